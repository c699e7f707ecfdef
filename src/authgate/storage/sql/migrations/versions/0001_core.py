"""Core tables: users, clients, access and refresh tokens.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default="1"),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "clients",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("client_id", sa.String(100), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("secret_digest", sa.LargeBinary(32), nullable=True),
        sa.Column("is_public", sa.Boolean, nullable=False),
        sa.Column("redirect_uris", sa.Text, nullable=False, server_default=""),
        sa.Column("grant_types", sa.Text, nullable=False),
        sa.Column("scopes", sa.Text, nullable=False, server_default=""),
        sa.Column("token_lifetime", sa.Integer, nullable=True),
        sa.Column("refresh_policy", sa.String(20), nullable=False, server_default="rotate"),
        sa.Column("owner_id", Id, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("test_token_sealed", sa.Text, nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    for name, extra in (
        ("access_tokens", [sa.Column("grant_type", sa.String(40), nullable=False)]),
        (
            "refresh_tokens",
            [sa.Column("used_at", sa.BigInteger, nullable=True)],
        ),
    ):
        op.create_table(
            name,
            sa.Column("id", Id, primary_key=True, autoincrement=True),
            sa.Column("secret_digest", sa.LargeBinary(32), nullable=False),
            sa.Column(
                "client_pk", Id, sa.ForeignKey("clients.id", ondelete="CASCADE"), nullable=False
            ),
            sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
            sa.Column("scope", sa.Text, nullable=False),
            sa.Column("issued_at", sa.BigInteger, nullable=False),
            sa.Column("expires_at", sa.BigInteger, nullable=True),
            sa.Column("revoked_at", sa.BigInteger, nullable=True),
            sa.Column("family_id", Id, nullable=name == "access_tokens"),
            *extra,
        )
        op.create_index(f"ix_{name}_family", name, ["family_id"])
    op.create_index("ix_access_tokens_client", "access_tokens", ["client_pk"])


def downgrade() -> None:
    op.drop_table("refresh_tokens")
    op.drop_table("access_tokens")
    op.drop_table("clients")
    op.drop_table("users")
