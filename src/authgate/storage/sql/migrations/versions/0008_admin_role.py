"""The admin API and console: a server-admin role on users (``users.is_admin``: the
console lets only such users in), and a revision number on the rows the admin API lets
operators change (users, clients, memberships).

A revision is the row's ``ETag``: every UPDATE of the row adds one, and an update or delete
sent with ``If-Match`` runs only ``WHERE revision = <the one read>``, in the same
statement, so of two writers that read the same revision exactly one wins.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("revision", sa.BigInteger, nullable=False, server_default="1"))
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("revision", sa.BigInteger, nullable=False, server_default="1"))
    with op.batch_alter_table("memberships") as batch:
        batch.add_column(sa.Column("revision", sa.BigInteger, nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("memberships") as batch:
        batch.drop_column("revision")
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("revision")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("revision")
        batch.drop_column("is_admin")
