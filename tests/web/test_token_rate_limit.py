"""The token endpoint's rate limit per authenticated client (``token_rate_limit``), beside
the sign-in failure throttles: over it, ``429`` with ``Retry-After`` and RFC 8628's
``slow_down`` error, counted before the grant does any work.

Every test runs on SQLite and PostgreSQL, with the counters in memory and in Redis.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from authgate.protocol.registration import Registered
from tests.conftest import Factory
from tests.web.rate_limit_support import backend_settings
from tests.web.token_support import client_auth

TOKEN = "/oauth/token"
CC = {"grant_type": "client_credentials"}


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    return {**backend_settings(request.param), "token_rate_limit": "3/minute"}


async def _issue(http: httpx.AsyncClient, reg: Registered) -> httpx.Response:
    return await http.post(TOKEN, data=CC, auth=client_auth(reg))


async def test_a_client_over_its_token_limit_gets_slow_down_with_retry_after(
    http: httpx.AsyncClient, make: Factory
) -> None:
    reg = await make.client()
    for _ in range(3):
        assert (await _issue(http, reg)).status_code == 200
    r = await _issue(http, reg)
    assert r.status_code == 429
    body = r.json()
    assert body["error"] == "slow_down"
    assert "3 requests per minute" in body["error_description"]
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert r.headers["cache-control"] == "no-store"  # RFC 6749 §5.1, errors included
    assert r.headers["pragma"] == "no-cache"
    assert "access_token" not in body


async def test_each_client_has_its_own_budget(http: httpx.AsyncClient, make: Factory) -> None:
    first, second = await make.client(), await make.client()
    for _ in range(3):
        await _issue(http, first)
    assert (await _issue(http, first)).status_code == 429
    assert (await _issue(http, second)).status_code == 200


async def test_failed_client_authentication_is_not_counted(
    http: httpx.AsyncClient, make: Factory
) -> None:
    reg = await make.client()
    for _ in range(5):
        r = await http.post(TOKEN, data=CC, auth=(reg.client.client_id, "wrong"))
        assert r.status_code == 401
    assert (await _issue(http, reg)).status_code == 200


async def test_the_limit_applies_before_the_grant_does_any_work(
    http: httpx.AsyncClient, make: Factory
) -> None:
    """Over the limit, a password grant is refused before the password is checked: the
    same wrong password gets ``slow_down``, not ``invalid_grant``."""
    await make.user()
    reg = await make.client(grant_types=["password"])
    guess = {"grant_type": "password", "username": "alice@example.com", "password": "nope"}
    for _ in range(3):
        r = await http.post(TOKEN, data=guess, auth=client_auth(reg))
        assert r.json()["error"] == "invalid_grant"
    r = await http.post(TOKEN, data=guess, auth=client_auth(reg))
    assert r.status_code == 429 and r.json()["error"] == "slow_down"


async def test_concurrent_token_requests_do_not_overshoot(
    http: httpx.AsyncClient, make: Factory
) -> None:
    reg = await make.client()
    answers = await asyncio.gather(*(_issue(http, reg) for _ in range(12)))
    assert sorted(r.status_code for r in answers) == [200] * 3 + [429] * 9
