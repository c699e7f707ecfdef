"""Opening the server's database, and going on without it while it does not answer.

At start, one attempt is made. If PostgreSQL is unreachable (or restarting, or its schema
is not this authgate's yet), the server starts anyway: every request that needs the
database is answered ``503`` (:class:`~authgate.storage.base.DatabaseUnavailable`), the
readiness check says why, and a background task tries again (backing off to every few
seconds) until it can open the database, find its schema current, and run ``ready`` (the
signing key). Anything else at start (a wrong password, a database that does not exist, a
file that is not a database) is raised: that is configuration, not an outage.

Once open, the pool reconnects by itself after a restart of PostgreSQL; statements fail
with ``DatabaseUnavailable`` in between (driver.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from authgate.storage.base import DatabaseUnavailable
from authgate.storage.sql.driver import (
    PG_OUTAGES,
    Database,
    DeferredDatabase,
    NoDatabase,
    SqliteDatabase,
    open_database,
)

log = logging.getLogger("authgate.database")

#: what opening a database may raise that a later attempt may not
OUTAGES: tuple[type[BaseException], ...] = (*PG_OUTAGES, DatabaseUnavailable)


async def schema_revision(db: Database) -> str | None:
    """The Alembic revision the database is at (``None``: no schema yet)."""
    try:
        value = await db.fetchval("SELECT version_num FROM alembic_version")
    except (asyncpg.UndefinedTableError, sqlite3.OperationalError):
        return None
    return None if value is None else str(value)


class Connector:
    RETRY = (0.25, 0.5, 1.0, 2.0, 5.0)

    def __init__(
        self,
        target: DeferredDatabase,
        database_url: str,
        head: Callable[[], str],
        *,
        synchronous: str = "NORMAL",
        wait_seconds: float | None = None,
        ready: Callable[[], Awaitable[None]] | None = None,
        observe_batch: Callable[[int], None] | None = None,
    ) -> None:
        self._target = target
        self._url = database_url
        self._head = head
        self._synchronous = synchronous
        self._wait = wait_seconds
        self._ready = ready
        self._observe_batch = observe_batch
        self._readied = False
        self._task: asyncio.Task[None] | None = None
        #: why the database cannot be used now; None once it is open and ready
        self.problem: str | None = "not connected yet"
        self._logged: str | None = None

    @property
    def up(self) -> bool:
        return self.problem is None

    def _report(self, problem: str) -> None:
        self.problem = problem
        if self._logged != problem:
            self._logged = problem
            log.warning("database %s: answering 503 until it is back", problem)

    async def start(self) -> None:
        """Open the database now if it answers; else keep trying in the background."""
        if not await self._attempt(first=True):
            self._task = asyncio.create_task(self._retry())

    async def _attempt(self, *, first: bool = False) -> bool:
        if not self._target.bound:
            try:
                db = await open_database(
                    self._url, synchronous=self._synchronous, wait_seconds=self._wait
                )
            except NoDatabase:
                if first:  # configuration: the file was never made
                    raise
                self._report("missing (its SQLite file is gone)")
                return False
            except OUTAGES as exc:
                self._report(f"unreachable ({type(exc).__name__})")
                return False
            except Exception:
                if first:
                    raise
                log.exception("cannot open the database; trying again")
                self._report("cannot be opened")
                return False
            try:
                current, head = await schema_revision(db), self._head()
            except OUTAGES as exc:
                await _close(db)
                self._report(f"unreachable ({type(exc).__name__})")
                return False
            if current != head:
                await _close(db)
                self._report(
                    f"schema is at revision {current or 'none'}, this authgate needs {head} "
                    "(run `authgate db upgrade`)"
                )
                return False
            if isinstance(db, SqliteDatabase):
                db.observe_batch = self._observe_batch
            self._target.bind(db)
        if not self._readied and self._ready is not None:
            try:
                await self._ready()
            except OUTAGES as exc:
                self._report(f"unreachable ({type(exc).__name__})")
                return False
        self._readied = True
        if self._logged is not None:
            log.warning("database reachable again")
        self.problem = self._logged = None
        return True

    async def _retry(self) -> None:
        failures = 0
        while not await self._attempt():
            await asyncio.sleep(self.RETRY[min(failures, len(self.RETRY) - 1)])
            failures += 1

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task


async def _close(db: Any) -> None:
    with contextlib.suppress(Exception):
        await db.close()
