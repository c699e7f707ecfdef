"""Browser flows: authorization codes, remembered consents, login sessions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{table}.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "authorization_codes",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("secret_digest", sa.LargeBinary(32), nullable=False),
        sa.Column("client_pk", Id, _fk("clients"), nullable=False),
        sa.Column("user_id", Id, _fk("users"), nullable=False),
        sa.Column("redirect_uri", sa.Text, nullable=True),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("code_challenge", sa.String(128), nullable=True),
        sa.Column("code_challenge_method", sa.String(10), nullable=True),
        sa.Column("nonce", sa.Text, nullable=True),
        sa.Column("issued_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("used_at", sa.BigInteger, nullable=True),
        sa.Column("family_id", Id, nullable=True),
    )
    op.create_table(
        "consents",
        sa.Column("user_id", Id, _fk("users"), primary_key=True),
        sa.Column("client_pk", Id, _fk("clients"), primary_key=True),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("granted_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "sessions",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("secret_digest", sa.LargeBinary(32), nullable=False),
        sa.Column("user_id", Id, _fk("users"), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("revoked_at", sa.BigInteger, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("sessions")
    op.drop_table("consents")
    op.drop_table("authorization_codes")
