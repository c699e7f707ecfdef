"""Users over a :class:`~authgate.storage.sql.driver.Database` (UserStore)."""

from __future__ import annotations

import uuid
from typing import Any

from authgate.domain import User, UserId
from authgate.storage.base import NOT_HELD, EmailTaken, RevisionMismatch, UserHoldings
from authgate.storage.sql.driver import Database, Row
from authgate.storage.sql.revisions import ANY_REVISION
from authgate.text import storable

_USER_COLUMNS = (
    "id, email, name, password_hash, created_at, is_active, subject, email_verified, "
    "picture, phone_number, is_admin, revision"
)


def _user(row: Row) -> User:
    return User(
        id=UserId(row["id"]),
        email=row["email"],
        name=row["name"],
        password_hash=row["password_hash"],
        created_at=row["created_at"],
        is_active=bool(row["is_active"]),
        subject=row["subject"],
        email_verified=bool(row["email_verified"]),
        picture=row["picture"],
        phone_number=row["phone_number"],
        is_admin=bool(row["is_admin"]),
        revision=row["revision"],
    )


class SqlUserStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, email: str, name: str, password_hash: str, now: int) -> User:
        email = email.strip().lower()
        async with self._db.transaction() as tx:
            if await tx.fetchval("SELECT 1 FROM users WHERE email = $1", email):
                raise EmailTaken(email)
            row = await tx.fetchrow(
                "INSERT INTO users (email, name, password_hash, is_active, created_at, subject) "
                f"VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_USER_COLUMNS}",
                email,
                name,
                password_hash,
                True,
                now,
                str(uuid.uuid4()),
            )
        assert row is not None
        return _user(row)

    def peek_by_id(self, user_id: UserId) -> tuple[bool, User | None]:
        """Nothing is held in memory here."""
        return NOT_HELD

    async def by_id(self, user_id: UserId) -> User | None:
        row = await self._db.fetchrow(f"SELECT {_USER_COLUMNS} FROM users WHERE id = $1", user_id)
        return None if row is None else _user(row)

    async def by_email(self, email: str) -> User | None:
        if not storable(email):  # no row holds it; PostgreSQL would refuse the query
            return None
        row = await self._db.fetchrow(
            f"SELECT {_USER_COLUMNS} FROM users WHERE email = $1", email.strip().lower()
        )
        return None if row is None else _user(row)

    async def set_password(self, user_id: UserId, password_hash: str) -> None:
        await self._db.execute(
            "UPDATE users SET password_hash = $1, revision = revision + 1 WHERE id = $2",
            password_hash,
            user_id,
        )

    async def update_profile(
        self, user_id: UserId, *, name: str, picture: str | None, phone_number: str | None
    ) -> User | None:
        row = await self._db.fetchrow(
            "UPDATE users SET name = $1, picture = $2, phone_number = $3, revision = revision + 1 "
            "WHERE id = $4 "
            f"RETURNING {_USER_COLUMNS}",
            name,
            picture,
            phone_number,
            user_id,
        )
        return None if row is None else _user(row)

    async def set_email(self, user_id: UserId, email: str) -> User | None:
        email = email.strip().lower()
        async with self._db.transaction() as tx:
            if await tx.fetchval(
                "SELECT 1 FROM users WHERE email = $1 AND id <> $2", email, user_id
            ):
                raise EmailTaken(email)
            row = await tx.fetchrow(
                "UPDATE users SET email = $1, email_verified = $2, revision = revision + 1 "
                "WHERE id = $3 "
                f"RETURNING {_USER_COLUMNS}",
                email,
                False,
                user_id,
            )
        return None if row is None else _user(row)

    async def page(
        self, *, after: UserId | None = None, limit: int = 100, search: str | None = None
    ) -> list[User]:
        if search is not None and not storable(search):
            return []
        if not search:
            rows = await self._db.fetch(
                f"SELECT {_USER_COLUMNS} FROM users WHERE id > $1 ORDER BY id LIMIT $2",
                after or 0,
                limit,
            )
            return [_user(row) for row in rows]
        escaped = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = await self._db.fetch(
            f"SELECT {_USER_COLUMNS} FROM users WHERE id > $1 AND (lower(email) LIKE $2 "
            "ESCAPE '\\' OR lower(name) LIKE $2 ESCAPE '\\') ORDER BY id LIMIT $3",
            after or 0,
            f"%{escaped}%",
            limit,
        )
        return [_user(row) for row in rows]

    async def update(
        self,
        user_id: UserId,
        *,
        email: str | None = None,
        name: str | None = None,
        email_verified: bool | None = None,
        is_admin: bool | None = None,
        revision: int | None = None,
    ) -> User | None:
        async with self._db.transaction() as tx:
            if email is not None:
                email = email.strip().lower()
                taken = await tx.fetchval(
                    "SELECT 1 FROM users WHERE email = $1 AND id <> $2", email, user_id
                )
                if taken:
                    raise EmailTaken(email)
            row = await tx.fetchrow(
                "UPDATE users SET email = coalesce($2, email), name = coalesce($3, name), "
                "email_verified = coalesce($4, email_verified), "
                "is_admin = coalesce($5, is_admin), revision = revision + 1 "
                f"WHERE id = $1 AND ($6 = 0 OR revision = $6) RETURNING {_USER_COLUMNS}",
                user_id,
                email,
                name,
                email_verified,
                is_admin,
                revision or ANY_REVISION,
            )
            if (
                row is None
                and revision
                and await tx.fetchval("SELECT 1 FROM users WHERE id = $1", user_id)
            ):
                raise RevisionMismatch(user_id)
        return None if row is None else _user(row)

    async def disable(self, user_id: UserId, now: int) -> UserHoldings | None:
        async with self._db.transaction() as tx:
            found = await tx.execute(
                "UPDATE users SET is_active = $2, revision = revision + 1 WHERE id = $1",
                user_id,
                False,
            )
            if not found:
                return None
            live = "WHERE user_id = $1 AND revoked_at IS NULL"
            return UserHoldings(
                sessions=await tx.execute(
                    f"UPDATE sessions SET revoked_at = $2 {live}", user_id, now
                ),
                access_tokens=await tx.execute(
                    f"UPDATE access_tokens SET revoked_at = $2 {live}", user_id, now
                ),
                refresh_tokens=await tx.execute(
                    f"UPDATE refresh_tokens SET revoked_at = $2 {live}", user_id, now
                ),
                codes=await tx.execute(
                    "DELETE FROM authorization_codes WHERE user_id = $1 AND used_at IS NULL",
                    user_id,
                ),
            )

    async def enable(self, user_id: UserId) -> bool:
        changed = await self._db.execute(
            "UPDATE users SET is_active = $2, revision = revision + 1 WHERE id = $1", user_id, True
        )
        return changed > 0

    async def holdings(self, user_id: UserId, now: int) -> UserHoldings:
        live = "user_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)"

        async def count(sql: str, *args: Any) -> int:
            return int(await self._db.fetchval(sql, *args) or 0)

        return UserHoldings(
            sessions=await count(f"SELECT count(*) FROM sessions WHERE {live}", user_id, now),
            access_tokens=await count(
                f"SELECT count(*) FROM access_tokens WHERE {live}", user_id, now
            ),
            refresh_tokens=await count(
                f"SELECT count(*) FROM refresh_tokens WHERE {live} AND used_at IS NULL",
                user_id,
                now,
            ),
            codes=await count(
                "SELECT count(*) FROM authorization_codes "
                "WHERE user_id = $1 AND used_at IS NULL AND expires_at > $2",
                user_id,
                now,
            ),
            consents=await count("SELECT count(*) FROM consents WHERE user_id = $1", user_id),
            memberships=await count("SELECT count(*) FROM memberships WHERE user_id = $1", user_id),
            owned_clients=await count("SELECT count(*) FROM clients WHERE owner_id = $1", user_id),
        )

    async def delete(self, user_id: UserId, revision: int | None = None) -> bool:
        async with self._db.transaction() as tx:
            # Their test tokens are the user's and go with the user: forget the copies.
            await tx.execute(
                "UPDATE clients SET test_token_sealed = NULL, revision = revision + 1 "
                "WHERE owner_id = $1 AND test_token_sealed IS NOT NULL",
                user_id,
            )
            deleted: int = await tx.execute(
                "DELETE FROM users WHERE id = $1 AND ($2 = 0 OR revision = $2)",
                user_id,
                revision or ANY_REVISION,
            )
            if (
                not deleted
                and revision
                and await tx.fetchval("SELECT 1 FROM users WHERE id = $1", user_id)
            ):
                raise RevisionMismatch(user_id)  # rolls the clients' change back
        return deleted > 0
