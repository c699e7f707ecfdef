"""Thin async adapters over the raw drivers: stdlib ``sqlite3`` and ``asyncpg``.

Stores write each statement once, with PostgreSQL's ``$1`` placeholders; the SQLite
adapter rewrites them to SQLite's equivalent ``?1``. Rows support ``row["column"]``.

SQLite calls run directly on the event loop: a primary-key look-up or a WAL append costs
microseconds, far less than a hop to a thread. Writes wait at most ``busy_timeout`` for
another process's write lock.

Only an explicit ``create`` makes a new SQLite file (and its folders): owner-only, so that
the ``-wal`` and ``-shm`` files SQLite makes beside it, which copy its mode, are too.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any, Protocol

import asyncpg

from authgate.files import create_private_file
from authgate.storage.base import DatabaseUnavailable

Row = Mapping[str, Any]

#: what asyncpg raises when PostgreSQL is away, restarting, refusing connections or too
#: slow (``command_timeout``): the request may succeed later, so it is answered 503
PG_OUTAGES: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.InterfaceError,
)
#: what SQLite raises when the file is locked past ``busy_timeout`` or cannot be read
_SQLITE_OUTAGES = ("database is locked", "disk i/o error", "unable to open database")


def unavailable(exc: BaseException) -> DatabaseUnavailable:
    """The outage, named by its kind only (a message may name the server's address)."""
    return DatabaseUnavailable(f"the database does not answer ({type(exc).__name__})")


def _sqlite_outage(exc: sqlite3.Error) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and str(exc).lower().startswith(
        _SQLITE_OUTAGES
    )


_PLACEHOLDER = re.compile(r"\$(\d+)")


class Executor(Protocol):
    async def fetchrow(self, sql: str, *args: Any) -> Row | None: ...
    async def fetch(self, sql: str, *args: Any) -> Sequence[Row]: ...
    async def fetchval(self, sql: str, *args: Any) -> Any: ...
    async def execute(self, sql: str, *args: Any) -> int:
        """Run a statement; returns the number of rows it changed."""
        ...


class Database(Executor, Protocol):
    @property
    def dialect(self) -> str: ...

    def transaction(self) -> Any:
        """``async with db.transaction() as tx:`` — statements on ``tx`` commit together."""
        ...

    async def close(self) -> None: ...


class NoDatabase(FileNotFoundError):
    """There is no SQLite file at the configured path, and creating one was not asked for."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"no database at {path}")
        self.path = path


def sqlite_file_uri(path: Path, *, create: bool) -> str:
    """A ``file:`` URI (``mode=rw``) for ``sqlite3.connect(uri, uri=True)`` that opens the
    database at ``path`` and never creates one; with ``create``, an empty ``0600`` file (in
    ``0700`` folders) is made first if there is none. Raises :class:`NoDatabase`."""
    if create:
        create_private_file(path)
    elif not path.is_file():
        raise NoDatabase(path)
    return f"{path.absolute().as_uri()}?mode=rw"


def _fetch(cursor: sqlite3.Cursor, kind: str) -> Any:
    if kind == "count":
        return cursor.rowcount
    # Read to the end, so that no statement is left in progress at COMMIT.
    rows = cursor.fetchall()
    if kind == "rows":
        return rows
    first = rows[0] if rows else None
    if kind == "value":
        return None if first is None else first[0]
    return first


class _SqliteExecutor:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._sql: dict[str, str] = {}

    def _translate(self, sql: str) -> str:
        translated = self._sql.get(sql)
        if translated is None:
            translated = self._sql[sql] = _PLACEHOLDER.sub(r"?\1", sql)
        return translated

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        row: Row | None = self._conn.execute(self._translate(sql), args).fetchone()
        return row

    async def fetch(self, sql: str, *args: Any) -> Sequence[Row]:
        return self._conn.execute(self._translate(sql), args).fetchall()

    async def fetchval(self, sql: str, *args: Any) -> Any:
        row = self._conn.execute(self._translate(sql), args).fetchone()
        return None if row is None else row[0]

    async def execute(self, sql: str, *args: Any) -> int:
        return self._conn.execute(self._translate(sql), args).rowcount


class SqliteDatabase(_SqliteExecutor):
    """One connection per process, WAL journal, group commit.

    Writes outside an explicit transaction join a batch: the first opens a write
    transaction, the rest of the current event-loop pass adds to it, and one COMMIT at
    the end of the pass makes them all durable. Each writer is answered only after that
    COMMIT, so an acknowledged write is committed (it survives a kill -9; with
    ``synchronous=FULL`` also a power loss) while the WAL sees one commit per batch
    instead of one per request. Explicit transactions are serialized in-process.
    """

    dialect = "sqlite"

    def __init__(self, path: Path, *, synchronous: str = "NORMAL", create: bool = False) -> None:
        uri = sqlite_file_uri(path, create=create)
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={'FULL' if synchronous == 'FULL' else 'NORMAL'}")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=5000")
        super().__init__(conn)
        self._lock = asyncio.Lock()
        self._batch: list[asyncio.Future[None]] | None = None
        self._writes: dict[str, bool] = {}
        #: ``observe_batch(n)`` after each group commit of ``n`` writes (the metrics)
        self.observe_batch: Callable[[int], None] | None = None

    def _is_write(self, sql: str) -> bool:
        known = self._writes.get(sql)
        if known is None:
            known = self._writes[sql] = sql.lstrip()[:6].upper() in {"INSERT", "UPDATE", "DELETE"}
        return known

    def _flush(self) -> None:
        """COMMIT the open batch and answer everyone waiting on it."""
        batch, self._batch = self._batch, None
        if batch is None:
            return
        try:
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with suppress(sqlite3.Error):
                self._conn.execute("ROLLBACK")
            for waiter in batch:
                if not waiter.done():
                    waiter.set_exception(exc)
            return
        for waiter in batch:
            if not waiter.done():
                waiter.set_result(None)
        if self.observe_batch is not None:
            self.observe_batch(len(batch))

    async def _run(self, sql: str, args: tuple[Any, ...], kind: str) -> Any:
        try:
            if self._lock.locked():
                # Never slip into a transaction another task holds open across an await.
                async with self._lock:
                    return await self._run_unlocked(sql, args, kind)
            return await self._run_unlocked(sql, args, kind)
        except sqlite3.Error as exc:
            if _sqlite_outage(exc):
                raise unavailable(exc) from exc
            raise

    async def _run_unlocked(self, sql: str, args: tuple[Any, ...], kind: str) -> Any:
        if not self._is_write(sql):
            return _fetch(self._conn.execute(self._translate(sql), args), kind)
        loop = asyncio.get_running_loop()
        if self._batch is None:
            self._conn.execute("BEGIN IMMEDIATE")
            self._batch = []
            loop.call_soon(self._flush)
        # A failing statement is undone by SQLite alone; the batch goes on without it.
        result = _fetch(self._conn.execute(self._translate(sql), args), kind)
        waiter: asyncio.Future[None] = loop.create_future()
        self._batch.append(waiter)
        await waiter
        return result

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        row: Row | None = await self._run(sql, args, "row")
        return row

    async def fetch(self, sql: str, *args: Any) -> Sequence[Row]:
        rows: Sequence[Row] = await self._run(sql, args, "rows")
        return rows

    async def fetchval(self, sql: str, *args: Any) -> Any:
        return await self._run(sql, args, "value")

    async def execute(self, sql: str, *args: Any) -> int:
        count: int = await self._run(sql, args, "count")
        return count

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Executor]:
        async with self._lock:
            self._flush()
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield _SqliteExecutor(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    async def close(self) -> None:
        self._flush()
        self._conn.close()


def _rowcount(status: str) -> int:
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


class _PgExecutor:
    """Each call raises :class:`DatabaseUnavailable` for an outage (:data:`PG_OUTAGES`),
    the driver's own error for anything else (a constraint, a bug)."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        try:
            row: Row | None = await self._conn.fetchrow(sql, *args)
        except PG_OUTAGES as exc:
            raise unavailable(exc) from exc
        return row

    async def fetch(self, sql: str, *args: Any) -> Sequence[Row]:
        try:
            rows: Sequence[Row] = await self._conn.fetch(sql, *args)
        except PG_OUTAGES as exc:
            raise unavailable(exc) from exc
        return rows

    async def fetchval(self, sql: str, *args: Any) -> Any:
        try:
            return await self._conn.fetchval(sql, *args)
        except PG_OUTAGES as exc:
            raise unavailable(exc) from exc

    async def execute(self, sql: str, *args: Any) -> int:
        try:
            return _rowcount(await self._conn.execute(sql, *args))
        except PG_OUTAGES as exc:
            raise unavailable(exc) from exc


class PostgresDatabase(_PgExecutor):
    """An asyncpg pool; each statement outside a transaction autocommits."""

    dialect = "postgresql"

    def __init__(self, pool: Any) -> None:
        super().__init__(pool)
        self._pool = pool

    @classmethod
    async def connect(
        cls, dsn: str, *, max_size: int = 10, wait_seconds: float | None = None
    ) -> PostgresDatabase:
        """A pool of up to ``max_size`` connections. With ``wait_seconds``, opening a connection
        and each statement give up after that many seconds (an outage then costs a
        request that long at most, never a hang). Connections are opened when needed (no
        floor to restore while the server is away): after an outage, the next request
        reconnects."""
        pool = await asyncpg.create_pool(
            dsn,
            min_size=0,
            max_size=max_size,
            timeout=wait_seconds or 60.0,
            command_timeout=wait_seconds,
        )
        return cls(pool)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Executor]:
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                yield _PgExecutor(conn)
        except PG_OUTAGES as exc:
            raise unavailable(exc) from exc

    async def close(self) -> None:
        await self._pool.close()


async def open_database(
    database_url: str,
    *,
    synchronous: str = "NORMAL",
    create: bool = False,
    wait_seconds: float | None = None,
) -> Database:
    """Open the database; a missing SQLite file is created only with ``create``.
    ``wait_seconds`` bounds PostgreSQL's connects and statements."""
    if database_url.startswith("sqlite:"):
        path = Path(database_url.removeprefix("sqlite:///"))
        return SqliteDatabase(path, synchronous=synchronous, create=create)
    return await PostgresDatabase.connect(database_url, wait_seconds=wait_seconds)


class DeferredDatabase:
    """Stands in for a :class:`Database` until the app's lifespan opens the real one, so
    that the whole object graph can be built once, up front, in ``create_app``."""

    def __init__(self) -> None:
        self._db: Database | None = None

    @property
    def dialect(self) -> str:
        return self._target().dialect

    def bind(self, db: Database | None) -> None:
        self._db = db

    @property
    def bound(self) -> bool:
        return self._db is not None

    def _target(self) -> Database:
        if self._db is None:
            raise DatabaseUnavailable("the database is not connected (yet)")
        return self._db

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        return await self._target().fetchrow(sql, *args)

    async def fetch(self, sql: str, *args: Any) -> Sequence[Row]:
        return await self._target().fetch(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        return await self._target().fetchval(sql, *args)

    async def execute(self, sql: str, *args: Any) -> int:
        return await self._target().execute(sql, *args)

    def transaction(self) -> Any:
        return self._target().transaction()

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None
