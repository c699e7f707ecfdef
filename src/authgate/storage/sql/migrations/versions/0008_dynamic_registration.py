"""Dynamic client registration (RFC 7591, RFC 7592): the operator's initial access tokens,
and the registration of each client registered at ``/oauth/register`` (its registration
access token's digest, its token endpoint auth method and response types).

Self-contained: two new tables, nothing else changed, so that it can follow any other
revision.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "initial_access_tokens",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("secret_digest", sa.LargeBinary(32), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=True),
        sa.Column("max_uses", sa.BigInteger, nullable=True),
        sa.Column("uses", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("created_by", sa.Text, nullable=True),
    )
    op.create_table(
        "client_registrations",
        sa.Column(
            "client_pk",
            Id,
            sa.ForeignKey("clients.id", ondelete="CASCADE", name="fk_client_registrations_client"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("token_digest", sa.LargeBinary(32), nullable=False),
        sa.Column("auth_method", sa.String(32), nullable=False),
        sa.Column("response_types", sa.Text, nullable=False, server_default="[]"),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("initial_token_id", Id, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("client_registrations")
    op.drop_table("initial_access_tokens")
