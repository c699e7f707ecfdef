"""The platform API side: revoked admin permissions per membership, the access-token
format per client, and grant-type columns wide enough for RFC 8693's 47-character URN.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("memberships") as batch:
        batch.add_column(sa.Column("revoked_scopes", sa.Text, nullable=False, server_default=""))
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("access_token_format", sa.String(10), nullable=True))
    with op.batch_alter_table("access_tokens") as batch:
        batch.alter_column(
            "grant_type", existing_type=sa.String(40), type_=sa.String(64), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("access_tokens") as batch:
        batch.alter_column(
            "grant_type", existing_type=sa.String(64), type_=sa.String(40), existing_nullable=False
        )
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("access_token_format")
    with op.batch_alter_table("memberships") as batch:
        batch.drop_column("revoked_scopes")
