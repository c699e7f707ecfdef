"""Seed 001's rate limit on the platform API: "60 requests per minute per user", over it
"a 429 status code and a JSON error message" with "a Retry-After header", and on every
response ``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset``.

Every test runs on SQLite and PostgreSQL, with the counters in memory and in Redis.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest

from authgate.resource.ratelimit import ApiRateLimits
from authgate.services import Services
from tests.conftest import Factory
from tests.web.rate_limit_support import backend_settings, bearer, client_token, kit_app
from tests.web.token_support import password_tokens


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def backend(request: pytest.FixtureRequest) -> dict[str, Any]:
    return backend_settings(request.param)


@pytest.fixture
def limits() -> dict[str, Any]:
    """Rate-limit settings of a test (the defaults unless a test says otherwise)."""
    return {}


@pytest.fixture
def settings_overrides(backend: dict[str, Any], limits: dict[str, Any]) -> dict[str, Any]:
    return {**backend, **limits}


async def _alice_token(http: httpx.AsyncClient, make: Factory) -> str:
    await make.user()
    reg = await make.client(grant_types=["password"])
    token: str = (await password_tokens(http, reg))["access_token"]
    return token


async def test_every_api_response_carries_the_rate_limit_headers(
    http: httpx.AsyncClient, make: Factory
) -> None:
    token = await _alice_token(http, make)
    for remaining in (59, 58, 57):
        r = await http.get("/api/me", headers=bearer(token))
        assert r.status_code == 200
        assert r.headers["ratelimit-limit"] == "60"
        assert r.headers["ratelimit-remaining"] == str(remaining)
        assert 58 <= int(r.headers["ratelimit-reset"]) <= 60
        assert "retry-after" not in r.headers


async def test_the_61st_request_in_a_minute_is_429_with_retry_after_and_a_json_error(
    http: httpx.AsyncClient, make: Factory
) -> None:
    token = await _alice_token(http, make)
    for _ in range(60):
        assert (await http.get("/api/me", headers=bearer(token))).status_code == 200
    r = await http.get("/api/me", headers=bearer(token))
    assert r.status_code == 429
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["error"] == "rate_limit_exceeded"
    assert "60 requests per minute" in body["error_description"]
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert r.headers["ratelimit-remaining"] == "0"
    assert r.headers["ratelimit-reset"] == r.headers["retry-after"]
    assert r.headers["cache-control"] == "no-store"
    assert "www-authenticate" not in r.headers  # the token was fine; the rate was not


@pytest.mark.parametrize("limits", [{"api_rate_limit": "3/minute"}])
async def test_a_user_has_one_budget_whichever_app_acts_for_them(
    http: httpx.AsyncClient, make: Factory
) -> None:
    await make.user()
    first = await password_tokens(http, await make.client(grant_types=["password"]))
    second = await password_tokens(http, await make.client(grant_types=["password"]))
    for token in (first["access_token"], second["access_token"], first["access_token"]):
        assert (await http.get("/api/me", headers=bearer(token))).status_code == 200
    r = await http.get("/api/me", headers=bearer(second["access_token"]))
    assert r.status_code == 429


@pytest.mark.parametrize("limits", [{"api_rate_limit": "2/minute"}])
async def test_client_credentials_tokens_count_per_client(
    http: httpx.AsyncClient, make: Factory, services: Services
) -> None:
    reg = await make.client()
    assert reg.client_secret
    tokens = []
    for _ in range(2):
        r = await http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(reg.client.client_id, reg.client_secret),
        )
        tokens.append(r.json()["access_token"])
    for token in tokens:
        assert (await http.get("/api/me", headers=bearer(token))).status_code == 200
    assert (await http.get("/api/me", headers=bearer(tokens[0]))).status_code == 429
    other = await client_token(http, make)
    r = await http.get("/api/me", headers=bearer(other))
    assert r.status_code == 200 and r.headers["ratelimit-remaining"] == "1"


@pytest.mark.parametrize("limits", [{"api_rate_limit": "2/minute"}])
async def test_requests_refused_before_the_rate_limit_are_not_counted(
    http: httpx.AsyncClient, make: Factory
) -> None:
    token = await _alice_token(http, make)
    for headers in ({}, bearer("1.not-a-real-token"), bearer(token + "x")):
        r = await http.get("/api/me", headers=headers)
        assert r.status_code == 401
        assert "ratelimit-limit" not in r.headers
    r = await http.get("/api/me", headers=bearer(token))
    assert r.status_code == 200 and r.headers["ratelimit-remaining"] == "1"


@pytest.mark.parametrize("limits", [{"api_rate_limit": "5/minute"}])
async def test_concurrent_requests_do_not_overshoot_the_limit(
    http: httpx.AsyncClient, make: Factory
) -> None:
    token = await _alice_token(http, make)
    answers = await asyncio.gather(*(http.get("/api/me", headers=bearer(token)) for _ in range(20)))
    assert sorted(r.status_code for r in answers) == [200] * 5 + [429] * 15
    assert sorted(
        int(r.headers["ratelimit-remaining"]) for r in answers if r.status_code == 200
    ) == [
        0,
        1,
        2,
        3,
        4,
    ]


@pytest.mark.parametrize("limits", [{"api_rate_limits": {"GET /api/me": "3/minute"}}])
async def test_an_endpoint_override_sets_that_endpoints_limit(
    http: httpx.AsyncClient, make: Factory
) -> None:
    token = await _alice_token(http, make)
    for remaining in (2, 1, 0):
        r = await http.get("/api/me", headers=bearer(token))
        assert r.status_code == 200
        assert r.headers["ratelimit-limit"] == "3"
        assert r.headers["ratelimit-remaining"] == str(remaining)
    r = await http.get("/api/me", headers=bearer(token))
    assert r.status_code == 429 and "3 requests per minute" in r.json()["error_description"]


@pytest.mark.parametrize("limits", [{"rate_limits_enabled": False, "api_rate_limit": "1/minute"}])
async def test_rate_limits_can_be_switched_off(http: httpx.AsyncClient, make: Factory) -> None:
    token = await _alice_token(http, make)
    for _ in range(3):
        r = await http.get("/api/me", headers=bearer(token))
        assert r.status_code == 200
        assert "ratelimit-limit" not in r.headers


@pytest.mark.parametrize("limits", [{"api_rate_limits": {"GET /api/mee": "3/minute"}}])
async def test_an_override_naming_no_endpoint_is_logged_at_start(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    warnings = [r.getMessage() for r in caplog.get_records("setup") if r.levelno == logging.WARNING]
    assert "api_rate_limits names no endpoint of the API: GET /api/mee" in warnings


class TestKitEndpointBudgets:
    """A platform's own API: each overridden endpoint has its own budget, every other
    endpoint shares the default one."""

    @pytest.fixture
    def api_limits(self, services: Services) -> ApiRateLimits:
        return ApiRateLimits(services.rate_limiter, "3/minute", {"get /notes/{id}": "2/minute"})

    async def test_an_overridden_endpoint_counts_apart_from_the_others(
        self, http: httpx.AsyncClient, make: Factory, services: Services, api_limits: ApiRateLimits
    ) -> None:
        token = await client_token(http, make)
        async with kit_app(services, api_limits) as api:
            # /notes/{id} is one budget whichever id is asked for.
            assert (await api.get("/notes/1", headers=bearer(token))).headers[
                "ratelimit-limit"
            ] == "2"
            assert (await api.get("/notes/2", headers=bearer(token))).status_code == 200
            refused = await api.get("/notes/3", headers=bearer(token))
            assert refused.status_code == 429 and refused.headers["ratelimit-limit"] == "2"
            # GET and POST /notes share the default budget, untouched by /notes/{id}.
            r = await api.get("/notes", headers=bearer(token))
            assert r.headers["ratelimit-limit"] == "3" and r.headers["ratelimit-remaining"] == "2"
            r = await api.post("/notes", headers=bearer(token))
            assert r.status_code == 201 and r.headers["ratelimit-remaining"] == "1"

    async def test_a_path_without_method_covers_every_method(
        self, http: httpx.AsyncClient, make: Factory, services: Services
    ) -> None:
        token = await client_token(http, make)
        limits = ApiRateLimits(services.rate_limiter, "3/minute", {"/notes": "1/minute"})
        async with kit_app(services, limits) as api:
            assert (await api.get("/notes", headers=bearer(token))).status_code == 200
            assert (await api.post("/notes", headers=bearer(token))).status_code == 429
            assert (await api.get("/notes/1", headers=bearer(token))).status_code == 200

    async def test_unknown_endpoints_are_reported(self, services: Services) -> None:
        limits = ApiRateLimits(
            services.rate_limiter,
            "3/minute",
            {"GET /notes/{id}": "1/minute", "PUT /notes": "1/minute"},
        )
        from starlette.routing import Route

        routes = [Route("/notes/{id}", lambda r: None, methods=["GET"])]  # type: ignore[arg-type,return-value]
        assert limits.unknown_endpoints(routes) == ["PUT /notes"]
