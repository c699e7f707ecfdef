"""Schema versions with Alembic: upgrade, and the check that ``serve`` makes."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
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

from authgate.storage.sql.driver import sqlite_file_uri

T = TypeVar("T")
_MIGRATIONS = Path(__file__).with_name("migrations")


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


@functools.cache
def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def _run(database_url: str, work: Callable[[Connection], T], *, create: bool) -> T:
    """Run ``work`` in one transaction; only with ``create`` is a missing SQLite file made."""
    if database_url.startswith("sqlite:"):
        path = Path(database_url.removeprefix("sqlite:///"))
        uri = sqlite_file_uri(path, create=create)
        engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True))
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


def upgrade(database_url: str, *, create: bool = True) -> str:
    """Bring the schema to the newest revision, creating a missing SQLite database unless
    ``create`` is false (then :class:`NoDatabase`); returns the revision."""

    def work(connection: Connection) -> str:
        config = _config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        return head_revision()

    return _run(database_url, work, create=create)


def current_revision(database_url: str) -> str | None:
    def work(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    return _run(database_url, work, create=False)


class OutdatedSchema(RuntimeError):
    """The database's schema is older than this authgate; the message says how to fix it."""


def check_schema(database_url: str, *, create: bool = False) -> None:
    """SQLite is upgraded automatically (and made, if missing, only with ``create``);
    PostgreSQL must be upgraded by an operator."""
    if database_url.startswith("sqlite:"):
        upgrade(database_url, create=create)
        return
    current, head = current_revision(database_url), head_revision()
    if current != head:
        raise OutdatedSchema(
            f"the database schema is at revision {current or 'none'}, this authgate needs "
            f"{head}: run `authgate db upgrade` (with the same AUTHGATE_DATABASE_URL)"
        )
