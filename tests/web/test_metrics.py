"""Prometheus metrics on ``metrics_port``: what each counts, with bounded labels, and nothing
of them on the main port."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette

from authgate.web.metrics import Metrics
from tests.conftest import Factory
from tests.web.flow import Browser
from tests.web.token_support import client_auth, password_tokens

PORT = 9464


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"metrics_port": PORT, "token_rate_limit": "5/minute"}


@pytest.fixture
async def scrape(app: Starlette) -> AsyncIterator[Any]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=f"http://10.0.0.9:{PORT}") as c:

        async def values() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
            r = await c.get("/metrics")
            assert r.status_code == 200, r.text
            assert r.headers["content-type"].startswith("text/plain")
            found = {}
            for family in text_string_to_metric_families(r.text):
                for sample in family.samples:
                    found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
            return found

        values.client = c  # type: ignore[attr-defined]
        yield values


def value(found: dict[Any, float], name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_are_only_on_their_port(http: httpx.AsyncClient, scrape: Any) -> None:
    assert (await http.get("/metrics")).status_code == 404
    other = await scrape.client.get("/api/ping")
    assert other.status_code == 404
    assert (await scrape.client.get("/healthz")).status_code == 200
    assert (await scrape.client.get("/readyz")).status_code == 200


async def test_requests_tokens_and_failures_are_counted(
    http: httpx.AsyncClient, make: Factory, scrape: Any
) -> None:
    reg = await make.client()
    for _ in range(2):
        r = await http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=client_auth(reg)
        )
        assert r.status_code == 200
    bad = await http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(reg.client.client_id, "x")
    )
    assert bad.status_code == 401
    found = await scrape()
    assert value(found, "authgate_tokens_issued_total", grant_type="client_credentials") == 2
    assert value(found, "authgate_http_requests_total", endpoint="/oauth/token", status="200") == 2
    assert value(found, "authgate_http_requests_total", endpoint="/oauth/token", status="401") == 1
    assert value(found, "authgate_client_authentication_failures_total", endpoint="token") == 1
    assert (
        value(found, "authgate_http_request_duration_seconds_count", endpoint="/oauth/token") == 3
    )
    assert value(found, "authgate_cache_lookups_total", cache="clients_by_id", result="miss") >= 1
    assert ("process_cpu_seconds_total", ()) in found


async def test_documents_answered_from_memory_are_counted(
    http: httpx.AsyncClient, scrape: Any
) -> None:
    for _ in range(3):
        r = await http.get("/.well-known/jwks.json")
        assert r.status_code == 200
    r = await http.get("/.well-known/jwks.json", headers={"If-None-Match": r.headers["etag"]})
    assert r.status_code == 304
    found = await scrape()
    jwks = "/.well-known/jwks.json"
    assert value(found, "authgate_http_requests_total", endpoint=jwks, status="200") == 3
    assert value(found, "authgate_http_requests_total", endpoint=jwks, status="304") == 1


async def test_labels_are_route_templates_not_raw_paths(
    http: httpx.AsyncClient, scrape: Any
) -> None:
    for n in range(20):
        await http.get(f"/api/spaces/s{n}/members")
        await http.get(f"/no/such/page/{n}")
    found = await scrape()
    endpoints = {dict(labels).get("endpoint") for (name, labels) in found}
    assert "/api/spaces/{slug}/members" in endpoints and "other" in endpoints
    assert not any(e and ("/s1" in e or "/page/" in e) for e in endpoints)
    assert value(found, "authgate_http_requests_total", endpoint="other", status="404") == 20


async def test_throttling_reuse_and_sign_ins_are_counted(
    http: httpx.AsyncClient, make: Factory, browser: Browser, scrape: Any
) -> None:
    await make.user()
    reg = await make.client(grant_types=["password", "client_credentials"])
    first = await password_tokens(http, reg)
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    await http.post("/oauth/token", data=refresh, auth=client_auth(reg))
    await http.post("/oauth/token", data=refresh, auth=client_auth(reg))  # reuse
    for _ in range(3):  # the fifth and later requests are over 5/minute
        await http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=client_auth(reg)
        )
    await browser.login(password="wrong password")
    found = await scrape()
    assert value(found, "authgate_token_reuse_detections_total", kind="refresh_token") == 1
    assert value(found, "authgate_throttled_requests_total", limit="token") == 1
    assert value(found, "authgate_sign_ins_total", via="password_grant", result="success") == 1
    assert value(found, "authgate_sign_ins_total", via="sign_in_page", result="failure") == 1


async def test_sqlite_group_commits_are_measured(
    http: httpx.AsyncClient, make: Factory, scrape: Any, settings: Any
) -> None:
    reg = await make.client()
    await http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=client_auth(reg)
    )
    found = await scrape()
    batches = value(found, "authgate_db_commit_batch_size_count")
    assert batches >= 1 if settings.is_sqlite else batches == 0


def test_a_request_costs_the_metrics_a_few_microseconds() -> None:
    """What the edge adds per request: label look-up, one counter, one histogram."""
    metrics = Metrics(["/oauth/token"])
    scope = {"type": "http", "path": "/oauth/token", "root_path": ""}
    metrics.request(scope, 200, 0.001)
    n = 20_000
    start = time.perf_counter()
    for _ in range(n):
        metrics.request(scope, 200, 0.001)
    per_request = (time.perf_counter() - start) / n
    assert per_request < 20e-6, per_request


async def test_no_metrics_port_no_metrics(make: Factory) -> None:
    from authgate.settings import Settings
    from authgate.web.app import create_app

    app = create_app(Settings(secret_key="k", database_url="sqlite:////nonexistent/x.db"))
    assert app.state.metrics is None
    assert app.observe is None  # type: ignore[attr-defined]
