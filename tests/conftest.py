"""Shared fixtures: every HTTP and storage test runs on SQLite and on PostgreSQL.

PostgreSQL runs when ``AUTHGATE_TEST_POSTGRES_URL`` is set (``.ci/run`` sets it); then an
unreachable server fails the run instead of skipping it.
"""

from __future__ import annotations

import asyncio
import gc
import os
import secrets
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette

from authgate.crypto import keys
from authgate.crypto.passwords import hash_password
from authgate.domain import User
from authgate.protocol.registration import Registered
from authgate.services import Services
from authgate.settings import Settings
from authgate.storage.sql import migrate
from authgate.storage.sql.driver import open_database
from authgate.storage.sql.spaces import SqlSpaceStore
from authgate.web.app import create_app

POSTGRES_URL = os.environ.get("AUTHGATE_TEST_POSTGRES_URL")
TABLES = (
    "client_registrations",
    "initial_access_tokens",
    "audit_events",
    "signing_keys",
    "memberships",
    "space_domains",
    "spaces",
    "sessions",
    "consents",
    "authorization_codes",
    "refresh_tokens",
    "access_tokens",
    "clients",
    "users",
)


class Clock:
    """A controllable clock: starts at the real time, moves only when told."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def postgres_execute(url: str, sql: str) -> None:
    """Run one statement on a short-lived connection (schema set-up, clean-up)."""

    async def run() -> None:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """After each test module, what survives a collection is frozen out of the collector's
    view (:func:`gc.freeze`). The session keeps a million objects (hypothesis, schemathesis
    and FastAPI caches, pytest's reports), and a full collection over them paused the event
    loop for more than a second: long enough for a test's Redis calls to time out."""
    if nextitem is None or nextitem.module is not item.module:  # type: ignore[attr-defined]
        gc.collect()
        gc.freeze()


def _setting_variables() -> list[str]:
    return [
        name
        for name in os.environ
        if name.startswith("AUTHGATE_") and not name.startswith("AUTHGATE_TEST_")
    ]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in _setting_variables():
        monkeypatch.delenv(name)
    yield
    # What the code under test set itself: the CLI sets AUTHGATE_PROFILE and others for the
    # workers it starts. Left behind, they reached the next module's fixtures (which run
    # before this fixture), depending on which tests a worker had run before.
    for name in _setting_variables():
        del os.environ[name]


_KEYS: dict[str, list[Any]] = {}


@pytest.fixture(autouse=True)
def _key_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """Signing keys come from a pool that lives for the session: the n-th key a test makes
    for an algorithm is the pool's n-th, so a test's keys stay distinct while an RSA key is
    generated (~50 ms) only once per session instead of once per app started."""
    made: dict[str, int] = {}
    generate = keys.generate

    def pooled(alg: keys.Algorithm) -> Any:
        pool = _KEYS.setdefault(alg, [])
        index = made[alg] = made.get(alg, -1) + 1
        if index == len(pool):
            pool.append(generate(alg))
        return pool[index]

    monkeypatch.setattr("authgate.protocol.keyring.generate", pooled)


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str]:
    """A private schema, migrated once, dropped at the end of the session."""
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL runs need AUTHGATE_TEST_POSTGRES_URL (set by .ci/run)")
    schema = f"authgate_test_{os.getpid()}_{secrets.token_hex(3)}"
    postgres_execute(POSTGRES_URL, f'CREATE SCHEMA "{schema}"')
    url = f"{POSTGRES_URL}{'&' if '?' in POSTGRES_URL else '?'}search_path={schema}"
    migrate.upgrade(url)
    yield url
    postgres_execute(POSTGRES_URL, f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file migrated once per session: each test gets a copy, which is much
    faster than running every migration again (Alembic takes ~0.2 s per upgrade)."""
    path = tmp_path_factory.mktemp("template") / "authgate.db"
    migrate.upgrade(f"sqlite:///{path}")
    return str(path)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "authgate.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)  # keeps its 0600 mode
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_schema")
    postgres_execute(url, f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
    yield url


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Tests override this to change settings."""
    return {}


@pytest.fixture
def settings(database_url: str, settings_overrides: dict[str, Any]) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "secret_key": "test-secret-key",
        "issuer": "http://testserver",
        "client_cache_seconds": 0,
    }
    values.update(settings_overrides)
    return Settings(**values)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def app(settings: Settings, clock: Clock) -> AsyncIterator[Starlette]:
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
def services(app: Starlette) -> Services:
    result: Services = app.state.services
    return result


_HASHES: dict[str, str] = {}


@dataclass
class Factory:
    services: Services

    async def user(self, email: str = "alice@example.com", password: str = "correct horse") -> User:
        if password not in _HASHES:  # Argon2 is slow on purpose; hash each password once
            _HASHES[password] = hash_password(password)
        return await self.services.users.create(
            email, email.split("@")[0].title(), _HASHES[password], self.services.minter.now()
        )

    async def client(self, **options: Any) -> Registered:
        options.setdefault("grant_types", ["client_credentials"])
        return await self.services.registry.register(options.pop("name", "Test App"), **options)


@pytest.fixture
def make(services: Services) -> Factory:
    return Factory(services)


def basic(client_id: str, secret: str) -> tuple[str, str]:
    return (client_id, secret)


@pytest.fixture
async def other_process(settings: Settings) -> AsyncIterator[SqlSpaceStore]:
    """The space store of another process on the same database (the CLI, another worker)."""
    db = await open_database(settings.database_url)
    try:
        yield SqlSpaceStore(db)
    finally:
        await db.close()
