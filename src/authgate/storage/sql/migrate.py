"""Schema versions with Alembic: upgrade, and the check that ``serve`` makes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import asyncpg
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine
from sqlalchemy.ext.asyncio import create_async_engine

T = TypeVar("T")
_MIGRATIONS = Path(__file__).with_name("migrations")


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def _run(database_url: str, work: Callable[[Connection], T]) -> T:
    if database_url.startswith("sqlite:"):
        path = Path(database_url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(f"sqlite:///{path}")
        try:
            with engine.begin() as connection:
                return work(connection)
        finally:
            engine.dispose()

    async def run_async() -> T:
        engine = create_async_engine(
            "postgresql+asyncpg://", async_creator=lambda: asyncpg.connect(database_url)
        )
        try:
            async with engine.begin() as connection:
                return await connection.run_sync(work)
        finally:
            await engine.dispose()

    return asyncio.run(run_async())


def upgrade(database_url: str) -> str:
    """Bring the schema to the newest revision; returns it."""

    def work(connection: Connection) -> str:
        config = _config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        return head_revision()

    return _run(database_url, work)


def current_revision(database_url: str) -> str | None:
    def work(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    return _run(database_url, work)


class OutdatedSchema(RuntimeError):
    """The database's schema is older than this authgate; the message says how to fix it."""


def check_schema(database_url: str) -> None:
    """SQLite is upgraded automatically; PostgreSQL must be upgraded by an operator."""
    if database_url.startswith("sqlite:"):
        upgrade(database_url)
        return
    current, head = current_revision(database_url), head_revision()
    if current != head:
        raise OutdatedSchema(
            f"the database schema is at revision {current or 'none'}, this authgate needs "
            f"{head}: run `authgate db upgrade` (with the same AUTHGATE_DATABASE_URL)"
        )
