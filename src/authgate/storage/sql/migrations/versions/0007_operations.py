"""Operations: the append-only audit log, and indexes by user on what a user holds (what
disabling or deleting the user revokes or deletes, without a scan of every token).

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-15
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
# The merge re-chains this onto the developer portal's revision 0006.
down_revision = "0005"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
HAS_USER = sa.text("user_id IS NOT NULL")


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("actor_type", sa.String(16), nullable=False),
        sa.Column("actor", sa.Text, nullable=True),
        sa.Column("address", sa.Text, nullable=True),
        sa.Column("target_type", sa.String(16), nullable=True),
        sa.Column("target", sa.Text, nullable=True),
        sa.Column("request_id", sa.Text, nullable=True),
        sa.Column("details", sa.Text, nullable=False, server_default="{}"),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    for table in ("access_tokens", "refresh_tokens"):
        op.create_index(
            f"ix_{table}_user",
            table,
            ["user_id"],
            postgresql_where=HAS_USER,
            sqlite_where=HAS_USER,
        )
    op.create_index("ix_authorization_codes_user", "authorization_codes", ["user_id"])
    op.create_index("ix_sessions_user", "sessions", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_sessions_user", "sessions")
    op.drop_index("ix_authorization_codes_user", "authorization_codes")
    for table in ("refresh_tokens", "access_tokens"):
        op.drop_index(f"ix_{table}_user", table)
    op.drop_index("ix_audit_events_at", "audit_events")
    op.drop_table("audit_events")
