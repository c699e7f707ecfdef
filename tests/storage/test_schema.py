"""The migrations build exactly the schema that ``tables.py`` declares, on every backend."""

from __future__ import annotations

import asyncio

import asyncpg
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, create_engine
from sqlalchemy.ext.asyncio import create_async_engine

from authgate.storage.sql.tables import metadata


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


def test_migrations_match_the_declared_tables(database_url: str) -> None:
    if database_url.startswith("sqlite:"):
        engine = create_engine(database_url)
        with engine.connect() as connection:
            assert _diff(connection) == []
        engine.dispose()
        return

    async def run() -> list[object]:
        engine = create_async_engine(
            "postgresql+asyncpg://", async_creator=lambda: asyncpg.connect(database_url)
        )
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(_diff)
        finally:
            await engine.dispose()

    assert asyncio.run(run()) == []


def test_upgrade_gives_existing_users_a_subject(tmp_path: object) -> None:
    from alembic import command

    from authgate.storage.sql import migrate

    url = f"sqlite:///{tmp_path}/old.db"
    engine = create_engine(url)
    with engine.begin() as connection:
        config = migrate._config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
        connection.exec_driver_sql(
            "INSERT INTO users (email, name, password_hash, is_active, created_at) "
            "VALUES ('a@example.com', '', 'h', 1, 0), ('b@example.com', '', 'h', 1, 0)"
        )
    engine.dispose()
    migrate.upgrade(url)
    engine = create_engine(url)
    with engine.connect() as connection:
        subjects = [r[0] for r in connection.exec_driver_sql("SELECT subject FROM users")]
    engine.dispose()
    assert len(set(subjects)) == 2 and all(len(s) == 36 for s in subjects)
