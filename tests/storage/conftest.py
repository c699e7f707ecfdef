"""Fixtures of the storage tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from authgate.storage.sql.driver import Database, open_database


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A connection to the test database (SQLite or PostgreSQL), closed afterwards."""
    opened = await open_database(database_url)
    try:
        yield opened
    finally:
        await opened.close()
