"""Redis going away mid-run, and coming back: ``rate_limit_on_redis_error = "open"`` counts
in the worker's memory meanwhile, ``"closed"`` answers ``503``; either way the outage is
logged once (without tokens or keys) and Redis counts again once it answers."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Clock, Factory
from tests.redis_support import RedisServer, fresh_namespace
from tests.web.rate_limit_support import bearer, client_token

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def on_error() -> str:
    return "open"


@pytest.fixture
def settings_overrides(redis_server: RedisServer, on_error: str) -> dict[str, Any]:
    return {
        "redis_url": redis_server.url,
        "redis_namespace": fresh_namespace(),
        "api_rate_limit": "5/minute",
        "rate_limit_on_redis_error": on_error,
    }


def _limiter_logs(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "authgate.ratelimit"]


async def test_fail_open_counts_in_memory_logs_once_and_recovers(
    http: httpx.AsyncClient,
    make: Factory,
    redis_server: RedisServer,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = await client_token(http, make)
    r = await http.get("/api/me", headers=bearer(token))
    assert r.status_code == 200 and r.headers["ratelimit-remaining"] == "4"  # in Redis
    redis_server.stop()
    with caplog.at_level(logging.INFO):
        answers = [await http.get("/api/me", headers=bearer(token)) for _ in range(3)]
        # Through, and still counted: in this worker's memory, which starts from zero.
        assert [r.status_code for r in answers] == [200, 200, 200]
        assert [r.headers["ratelimit-remaining"] for r in answers] == ["4", "3", "2"]
        assert _limiter_logs(caplog) == [
            "rate limit counters (Redis) unreachable (ConnectionError): counting in each "
            "worker's memory until it answers"
        ]
        redis_server.start()
        clock.advance(2)  # past the retry interval: the next request tries Redis again
        r = await http.get("/api/me", headers=bearer(token))
        assert r.status_code == 200
        # Redis's count again, not this worker's (that would say 1): Redis restarted empty.
        assert r.headers["ratelimit-remaining"] == "4"
        assert _limiter_logs(caplog)[1:] == ["rate limit counters (Redis) reachable again"]
    assert not any(token in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("on_error", ["closed"])
async def test_fail_closed_answers_503_logs_once_and_recovers(
    http: httpx.AsyncClient,
    make: Factory,
    redis_server: RedisServer,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    reg = await make.client()
    assert reg.client_secret
    auth = (reg.client.client_id, reg.client_secret)
    token = await client_token(http, make)
    redis_server.stop()
    with caplog.at_level(logging.INFO):
        for _ in range(2):
            r = await http.get("/api/me", headers=bearer(token))
            assert r.status_code == 503
            assert r.json()["error"] == "temporarily_unavailable"
            assert r.headers["retry-after"] == "1"
            assert r.headers["cache-control"] == "no-store"
        r = await http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=auth)
        assert r.status_code == 503 and r.json()["error"] == "temporarily_unavailable"
        assert r.headers["retry-after"] == "1"
        assert len(_limiter_logs(caplog)) == 1
        assert "rate-limited requests get 503" in _limiter_logs(caplog)[0]
        redis_server.start()
        clock.advance(2)
        r = await http.get("/api/me", headers=bearer(token))
        assert r.status_code == 200 and r.headers["ratelimit-remaining"] == "4"
        assert _limiter_logs(caplog)[1:] == ["rate limit counters (Redis) reachable again"]


class TestNothingListening:
    """A ``redis_url`` where no Redis ever answered: the same two behaviours from the start."""

    @pytest.fixture
    def settings_overrides(self, on_error: str) -> dict[str, Any]:
        return {"redis_url": "redis://127.0.0.1:1/0", "rate_limit_on_redis_error": on_error}

    async def test_open_lets_requests_through_with_headers(
        self, http: httpx.AsyncClient, make: Factory
    ) -> None:
        token = await client_token(http, make)
        r = await http.get("/api/me", headers=bearer(token))
        assert r.status_code == 200 and r.headers["ratelimit-remaining"] == "59"

    @pytest.mark.parametrize("on_error", ["closed"])
    async def test_closed_refuses_with_503(self, http: httpx.AsyncClient, make: Factory) -> None:
        reg = await make.client()
        assert reg.client_secret
        r = await http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(reg.client.client_id, reg.client_secret),
        )
        assert r.status_code == 503 and r.json()["error"] == "temporarily_unavailable"


CLOSED_TRANSPORT = (
    "unable to perform operation on <TCPTransport closed=True reading=False 0x7f>; "
    "the handler is closed"
)


class TestClosedTransport:
    """uvloop's ``RuntimeError`` when redis-py writes to a connection Redis has just closed
    (seen as Redis stops) is the same outage as a refused connection: the setting's
    behaviour and one warning, never a 500."""

    @pytest.fixture(autouse=True)
    def closed_under_us(self, monkeypatch: pytest.MonkeyPatch) -> None:
        async def closed(self: Any, batch: Any) -> Any:
            raise RuntimeError(CLOSED_TRANSPORT)

        monkeypatch.setattr("authgate.ratelimit.pipelined.ScriptPipeline._pipeline", closed)

    @pytest.fixture
    def settings_overrides(self, on_error: str) -> dict[str, Any]:
        return {"redis_url": "redis://127.0.0.1:1/0", "rate_limit_on_redis_error": on_error}

    async def test_open_counts_in_memory(
        self, http: httpx.AsyncClient, make: Factory, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.INFO):
            token = await client_token(http, make)  # the token endpoint's limit: counted too
            answers = [await http.get("/api/me", headers=bearer(token)) for _ in range(2)]
        assert [r.status_code for r in answers] == [200, 200]
        assert [r.headers["ratelimit-remaining"] for r in answers] == ["59", "58"]
        logs = _limiter_logs(caplog)
        assert len(logs) == 1 and "unreachable (ConnectionError)" in logs[0]
        assert not [r for r in caplog.records if r.exc_info], "logged a traceback"

    @pytest.mark.parametrize("on_error", ["closed"])
    async def test_closed_answers_503(
        self, http: httpx.AsyncClient, make: Factory, caplog: pytest.LogCaptureFixture
    ) -> None:
        reg = await make.client()
        assert reg.client_secret
        with caplog.at_level(logging.INFO):
            r = await http.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(reg.client.client_id, reg.client_secret),
            )
        assert r.status_code == 503 and r.json()["error"] == "temporarily_unavailable"
        logs = _limiter_logs(caplog)
        assert len(logs) == 1 and "unreachable (ConnectionError)" in logs[0]
        assert not [r for r in caplog.records if r.exc_info], "logged a traceback"
