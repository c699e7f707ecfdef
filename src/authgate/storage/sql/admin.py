""":class:`~authgate.storage.base.AdminStore` over SQL: a client's tokens, a user's
sessions, every consent, for the admin API and console. Each statement is written once for
SQLite and PostgreSQL."""

from __future__ import annotations

from authgate.domain import AccessToken, ClientPk, Consent, Session, SpaceId, TokenId, UserId
from authgate.storage.sql.driver import Database
from authgate.storage.sql.stores import ACCESS_COLUMNS, access_row

_LIVE = "revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)"


class SqlAdminStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def client_tokens(
        self, client_pk: ClientPk, now: int, *, after: TokenId | None, limit: int
    ) -> list[AccessToken]:
        rows = await self._db.fetch(
            f"SELECT {ACCESS_COLUMNS} FROM access_tokens "
            f"WHERE client_pk = $1 AND {_LIVE} AND id > $3 ORDER BY id LIMIT $4",
            client_pk,
            now,
            after or 0,
            limit,
        )
        return [access_row(row) for row in rows]

    async def revoke_client_tokens(self, client_pk: ClientPk, now: int) -> int:
        """Two passes, as ``SqlGrantStore.revoke`` does: the second sees what a rotation
        the first waited for added."""
        count = 0
        async with self._db.transaction() as tx:
            for _ in range(2):
                for table in ("refresh_tokens", "access_tokens"):
                    count += await tx.execute(
                        f"UPDATE {table} SET revoked_at = $1 "
                        "WHERE client_pk = $2 AND revoked_at IS NULL",
                        now,
                        client_pk,
                    )
        return count

    async def sessions_of(self, user_id: UserId, now: int) -> list[Session]:
        rows = await self._db.fetch(
            "SELECT id, user_id, created_at, expires_at, space_id FROM sessions "
            f"WHERE user_id = $1 AND {_LIVE} ORDER BY id",
            user_id,
            now,
        )
        return [
            Session(
                id=TokenId(row["id"]),
                user_id=UserId(row["user_id"]),
                created_at=row["created_at"],
                expires_at=row["expires_at"],
                space_id=row["space_id"],
            )
            for row in rows
        ]

    async def revoke_session(self, user_id: UserId, session_id: TokenId, now: int) -> bool:
        changed = await self._db.execute(
            "UPDATE sessions SET revoked_at = $1 "
            "WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
            now,
            session_id,
            user_id,
        )
        return changed > 0

    async def consents(
        self,
        *,
        user_id: UserId | None = None,
        client_pk: ClientPk | None = None,
        after: tuple[int, int, int] | None = None,
        limit: int = 100,
    ) -> list[Consent]:
        last = after or (0, 0, -1)
        rows = await self._db.fetch(
            "SELECT user_id, client_pk, space_id, scope, granted_at FROM consents "
            "WHERE ($1 = 0 OR user_id = $1) AND ($2 = 0 OR client_pk = $2) "
            "AND (user_id > $3 OR (user_id = $3 AND (client_pk > $4 "
            "OR (client_pk = $4 AND space_id > $5)))) "
            "ORDER BY user_id, client_pk, space_id LIMIT $6",
            user_id or 0,
            client_pk or 0,
            *last,
            limit,
        )
        return [
            Consent(
                user_id=UserId(row["user_id"]),
                client_pk=ClientPk(row["client_pk"]),
                space_id=SpaceId(row["space_id"]) if row["space_id"] else None,
                scopes=frozenset(row["scope"].split()),
                granted_at=row["granted_at"],
            )
            for row in rows
        ]
