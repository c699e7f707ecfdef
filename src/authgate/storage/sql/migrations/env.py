"""Alembic environment: runs on the connection that ``authgate.storage.sql.migrate`` opens."""

from __future__ import annotations

from alembic import context

from authgate.storage.sql.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `authgate db upgrade`")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
