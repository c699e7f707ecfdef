"""SQLite group commit: many writers share one COMMIT, each answered only once committed."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from authgate.storage.sql import migrate
from authgate.storage.sql.driver import SqliteDatabase

INSERT = (
    "INSERT INTO users (email, name, password_hash, is_active, created_at, subject) "
    "VALUES ($1, '', 'h', $2, 0, $1) RETURNING id"
)


async def test_concurrent_writes_share_a_commit_and_all_persist(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/g.db"
    migrate.upgrade(url)
    db = SqliteDatabase(tmp_path / "g.db")
    ids = await asyncio.gather(*(db.fetchval(INSERT, f"u{i}@example.com", True) for i in range(50)))
    assert len(set(ids)) == 50
    # Another connection (another process, in real life) sees every acknowledged row.
    other = sqlite3.connect(tmp_path / "g.db")
    assert other.execute("SELECT count(*) FROM users").fetchone()[0] == 50
    await db.close()


async def test_a_failing_statement_does_not_sink_its_batch(tmp_path: Path) -> None:
    migrate.upgrade(f"sqlite:///{tmp_path}/g.db")
    db = SqliteDatabase(tmp_path / "g.db")
    await db.fetchval(INSERT, "dup@example.com", True)
    results = await asyncio.gather(
        db.fetchval(INSERT, "a@example.com", True),
        db.fetchval(INSERT, "dup@example.com", True),
        db.fetchval(INSERT, "b@example.com", True),
        return_exceptions=True,
    )
    assert isinstance(results[1], sqlite3.IntegrityError)
    assert not isinstance(results[0], BaseException) and not isinstance(results[2], BaseException)
    other = sqlite3.connect(tmp_path / "g.db")
    assert other.execute("SELECT count(*) FROM users").fetchone()[0] == 3
    await db.close()


async def test_transaction_flushes_an_open_batch_first(tmp_path: Path) -> None:
    migrate.upgrade(f"sqlite:///{tmp_path}/g.db")
    db = SqliteDatabase(tmp_path / "g.db")
    write = asyncio.ensure_future(db.fetchval(INSERT, "a@example.com", True))
    await asyncio.sleep(0)  # the write has joined a batch that is not committed yet
    async with db.transaction() as tx:
        assert await tx.fetchval("SELECT count(*) FROM users") == 1
    assert await write
    with pytest.raises(sqlite3.IntegrityError):
        await db.fetchval(INSERT, "a@example.com", True)
    await db.close()
