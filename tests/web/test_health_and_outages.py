"""``/healthz`` and ``/readyz`` for any host, and a database that does not answer: the app
starts anyway, says what is down, answers ``503`` (``temporarily_unavailable`` with
``Retry-After``) instead of hanging or failing, and recovers by itself."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from authgate.settings import Settings
from authgate.storage.sql.driver import open_database
from authgate.web.app import create_app
from tests.conftest import Clock, Factory

NOWHERE = "postgresql://authgate@127.0.0.1:9/authgate"  # the discard port: nothing listens


@pytest.mark.parametrize("host", ["testserver", "10.1.2.3:8000", "pod-7.internal"])
async def test_healthz_answers_for_any_host(http: httpx.AsyncClient, host: str) -> None:
    r = await http.get("/healthz", headers={"Host": host})
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert r.headers["cache-control"] == "no-store"
    assert (await http.head("/healthz", headers={"Host": host})).status_code == 200


async def test_readyz_checks_the_database_and_its_schema(http: httpx.AsyncClient) -> None:
    r = await http.get("/readyz", headers={"Host": "10.1.2.3"})
    assert r.status_code == 200
    assert r.json() == {"status": "ready", "checks": {"database": "ok", "schema": "ok"}}
    assert (await http.post("/readyz")).status_code == 405


class TestRedisClosedUnderUs:
    """uvloop's closed-transport ``RuntimeError`` from the ping is Redis being down, not a
    failing probe: ``/readyz`` says so with ``503``."""

    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"redis_url": "redis://127.0.0.1:1/0"}

    async def test_readyz_names_redis_unreachable(
        self, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        async def closed(self: Any, **options: Any) -> Any:
            raise RuntimeError(
                "unable to perform operation on <TCPTransport closed=True>; the handler is closed"
            )

        monkeypatch.setattr("redis.asyncio.Redis.ping", closed)
        r = await http.get("/readyz")
        assert r.status_code == 503
        assert r.json()["checks"]["redis"] == "unreachable (RuntimeError)"


async def test_readyz_names_an_outdated_schema(http: httpx.AsyncClient, settings: Settings) -> None:
    db = await open_database(settings.database_url)
    head = await db.fetchval("SELECT version_num FROM alembic_version")
    try:
        await db.execute("UPDATE alembic_version SET version_num = $1", "0004")
        await asyncio.sleep(1.1)  # the last answer is reused for a second
        r = await http.get("/readyz")
        assert r.status_code == 503
        assert r.json()["checks"]["schema"] == f"is at revision 0004, this authgate needs {head}"
    finally:
        await db.execute("UPDATE alembic_version SET version_num = $1", head)
        await db.close()


@pytest.fixture
def unreachable_settings(tmp_path: Any) -> Settings:
    return Settings(
        database_url=NOWHERE,
        secret_key="k",
        issuer="http://testserver",
        database_timeout=1,
    )


@pytest.fixture
async def down(unreachable_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app: Starlette = create_app(unreachable_settings)
    async with app.router.lifespan_context(app):  # starts although nothing answers
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def test_an_unreachable_database_is_503_everywhere_it_is_needed(
    down: httpx.AsyncClient,
) -> None:
    assert (await down.get("/healthz")).status_code == 200
    ready = await down.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"
    assert ready.json()["checks"]["database"].startswith("unreachable (")
    token = await down.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=("some-client", "s")
    )
    assert token.status_code == 503
    assert token.json()["error"] == "temporarily_unavailable"
    assert token.headers["retry-after"] == "5" and token.headers["cache-control"] == "no-store"
    for path in ("/oauth/introspect", "/oauth/revoke"):
        r = await down.post(path, data={"token": "1.x"}, auth=("some-client", "s"))
        assert r.status_code == 503 and r.json()["error"] == "temporarily_unavailable"
    api = await down.get("/api/me", headers={"Authorization": "Bearer 1." + "a" * 43})
    assert api.status_code == 503 and api.json()["error"] == "temporarily_unavailable"
    page = await down.get(
        "/oauth/authorize?response_type=code&client_id=x", headers={"Accept": "text/html"}
    )
    assert page.status_code == 503 and "Temporarily unavailable" in page.text
    jwks = await down.get("/.well-known/jwks.json")
    assert jwks.status_code == 503
    assert (await down.get("/api/ping")).status_code == 200  # needs no database


async def test_the_app_connects_once_the_database_answers(database_url: str, clock: Clock) -> None:
    """Started while its database was away, the app serves 503; once it is back (here: the
    same app pointed at a working database), it opens it, creates its key and serves."""
    settings = Settings(
        database_url=database_url, secret_key="k", issuer="http://testserver", database_timeout=1
    )
    app = create_app(settings, clock=clock)
    connector = app.state.connector
    connector._url = NOWHERE  # away at start
    connector.RETRY = (0.05,)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            assert (await http.get("/readyz")).status_code == 503
            connector._url = database_url  # back
            for _ in range(100):
                await asyncio.sleep(0.05)
                if connector.up:
                    break
            await asyncio.sleep(1.1)
            assert (await http.get("/readyz")).status_code == 200
            reg = await Factory(app.state.services).client()
            assert reg.client_secret
            r = await http.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(reg.client.client_id, reg.client_secret),
            )
            assert r.status_code == 200, r.text
            assert (await http.get("/.well-known/jwks.json")).json()["keys"]


async def test_a_missing_sqlite_file_is_configuration_not_an_outage(tmp_path: Any) -> None:
    from authgate.storage.sql.driver import NoDatabase

    app = create_app(
        Settings(database_url=f"sqlite:///{tmp_path}/none.db", secret_key="k", issuer="http://t")
    )
    with pytest.raises(NoDatabase):
        async with app.router.lifespan_context(app):
            pass
