"""OpenID Connect: signing keys, subjects, spaces and memberships, and the space and
sign-in time that tokens, codes and sessions were issued for.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _space_fk() -> sa.ForeignKey:
    return sa.ForeignKey("spaces.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "signing_keys",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("kid", sa.String(64), nullable=False, unique=True),
        sa.Column("alg", sa.String(16), nullable=False),
        sa.Column("public_jwk", sa.Text, nullable=False),
        sa.Column("private_sealed", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("signs_from", sa.BigInteger, nullable=False),
        sa.Column("retired_at", sa.BigInteger, nullable=True),
    )
    op.create_table(
        "spaces",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("slug", sa.String(63), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "space_domains",
        sa.Column("domain", sa.String(253), primary_key=True),
        sa.Column("space_id", Id, _space_fk(), nullable=False),
    )
    op.create_table(
        "memberships",
        sa.Column("space_id", Id, _space_fk(), primary_key=True),
        sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False, server_default="member"),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("picture", sa.Text, nullable=True),
        sa.Column("phone_number", sa.String(32), nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_memberships_user", "memberships", ["user_id"])

    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("subject", sa.String(36), nullable=True))
        batch.add_column(
            sa.Column("email_verified", sa.Boolean, nullable=False, server_default=sa.false())
        )
    users = sa.table("users", sa.column("id", Id), sa.column("subject", sa.String))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(
            users.update().where(users.c.id == user_id).values(subject=str(uuid.uuid4()))
        )
    with op.batch_alter_table("users") as batch:
        batch.alter_column("subject", existing_type=sa.String(36), nullable=False)
        batch.create_unique_constraint("uq_users_subject", ["subject"])

    # A consent is given to an app for one issuer (the root's: space 0): consenting in one
    # space must not release another space's profile.
    op.create_table(
        "consents_by_issuer",
        sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column(
            "client_pk", Id, sa.ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("space_id", Id, primary_key=True, autoincrement=False),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("granted_at", sa.BigInteger, nullable=False),
    )
    op.execute(
        "INSERT INTO consents_by_issuer (user_id, client_pk, space_id, scope, granted_at) "
        "SELECT user_id, client_pk, 0, scope, granted_at FROM consents"
    )
    op.drop_table("consents")
    op.rename_table("consents_by_issuer", "consents")

    for table, with_auth_time in (
        ("access_tokens", False),
        ("refresh_tokens", True),
        ("authorization_codes", True),
        ("sessions", False),
    ):
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column(
                    "space_id",
                    Id,
                    sa.ForeignKey("spaces.id", ondelete="CASCADE", name=f"fk_{table}_space"),
                    nullable=True,
                )
            )
            if with_auth_time:
                batch.add_column(sa.Column("auth_time", sa.BigInteger, nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM consents WHERE space_id <> 0")
    with op.batch_alter_table("consents") as batch:
        batch.drop_column("space_id")
    for table in ("sessions", "authorization_codes", "refresh_tokens", "access_tokens"):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_space", type_="foreignkey")
            batch.drop_column("space_id")
            if table in ("authorization_codes", "refresh_tokens"):
                batch.drop_column("auth_time")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("uq_users_subject", type_="unique")
        batch.drop_column("email_verified")
        batch.drop_column("subject")
    op.drop_index("ix_memberships_user", "memberships")
    op.drop_table("memberships")
    op.drop_table("space_domains")
    op.drop_table("spaces")
    op.drop_table("signing_keys")
