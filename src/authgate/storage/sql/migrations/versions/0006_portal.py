"""The developer portal and connected apps: what an app tells its users (description,
homepage, logo, privacy policy), the portal form a client was registered from (so that a
form sent twice registers one app), the user's own profile (picture, phone), and indexes
that find a user's tokens (connected apps, revoking one app, a password change).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("description", sa.Text, nullable=True))
        batch.add_column(sa.Column("homepage_url", sa.Text, nullable=True))
        batch.add_column(sa.Column("logo_url", sa.Text, nullable=True))
        batch.add_column(sa.Column("privacy_url", sa.Text, nullable=True))
        batch.add_column(sa.Column("registration_digest", sa.LargeBinary(32), nullable=True))
        batch.create_index("ux_clients_registration", ["registration_digest"], unique=True)
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("picture", sa.Text, nullable=True))
        batch.add_column(sa.Column("phone_number", sa.String(32), nullable=True))
    op.create_index("ix_access_tokens_user", "access_tokens", ["user_id", "client_pk"])
    op.create_index("ix_refresh_tokens_user", "refresh_tokens", ["user_id", "client_pk"])


def downgrade() -> None:
    op.drop_index("ix_refresh_tokens_user", "refresh_tokens")
    op.drop_index("ix_access_tokens_user", "access_tokens")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("phone_number")
        batch.drop_column("picture")
    with op.batch_alter_table("clients") as batch:
        batch.drop_index("ux_clients_registration")
        batch.drop_column("registration_digest")
        batch.drop_column("privacy_url")
        batch.drop_column("logo_url")
        batch.drop_column("homepage_url")
        batch.drop_column("description")
