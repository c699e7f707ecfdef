"""Operations: the append-only audit log, and indexes by user on what a user holds (what
disabling or deleting the user revokes or deletes, without a scan of every token).

The access and refresh tokens already have an index by user from 0006 (``user_id,
client_pk``, the developer portal's connected apps), which serves a look-up by user
alone too: this revision adds those of the codes and the sessions.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-15
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


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
    op.create_index("ix_authorization_codes_user", "authorization_codes", ["user_id"])
    op.create_index("ix_sessions_user", "sessions", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_sessions_user", "sessions")
    op.drop_index("ix_authorization_codes_user", "authorization_codes")
    op.drop_index("ix_audit_events_at", "audit_events")
    op.drop_table("audit_events")
