""":class:`~authgate.storage.base.GrantStore` over SQL: what users have granted apps, and
how apps are used. Each statement is written once for SQLite and PostgreSQL."""

from __future__ import annotations

from authgate.domain import ClientPk, ClientUsage, SpaceId, UserGrant, UserId
from authgate.storage.sql.driver import Database

#: the test tokens of an app's owner (registration.py) are not a grant of a user's
TEST = "test"
DAY = 86400


class SqlGrantStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def of_user(self, user_id: UserId, now: int) -> list[UserGrant]:
        consents = await self._db.fetch(
            "SELECT client_pk, space_id, scope, granted_at FROM consents WHERE user_id = $1",
            user_id,
        )
        live = await self._db.fetch(
            "SELECT client_pk, space_id, scope, issued_at FROM access_tokens "
            "WHERE user_id = $1 AND grant_type <> $2 AND revoked_at IS NULL "
            "AND (expires_at IS NULL OR expires_at > $3) "
            "UNION ALL SELECT client_pk, space_id, scope, issued_at FROM refresh_tokens "
            "WHERE user_id = $1 AND revoked_at IS NULL AND used_at IS NULL "
            "AND (expires_at IS NULL OR expires_at > $3)",
            user_id,
            TEST,
            now,
        )
        used = await self._db.fetch(
            "SELECT client_pk, space_id, MAX(issued_at) AS last FROM access_tokens "
            "WHERE user_id = $1 AND grant_type <> $2 GROUP BY client_pk, space_id",
            user_id,
            TEST,
        )
        found: dict[tuple[int, int | None], tuple[set[str], int]] = {}
        for row in consents:
            key = (row["client_pk"], row["space_id"] or None)
            found[key] = (set(row["scope"].split()), row["granted_at"])
        for row in live:
            key = (row["client_pk"], row["space_id"])
            scopes, since = found.get(key, (set(), row["issued_at"]))
            scopes.update(row["scope"].split())
            found[key] = (scopes, min(since, row["issued_at"]))
        last = {(row["client_pk"], row["space_id"]): row["last"] for row in used}
        return [
            UserGrant(
                client_pk=ClientPk(pk),
                space_id=None if space is None else SpaceId(space),
                scopes=frozenset(scopes),
                authorized_at=since,
                last_used=last.get((pk, space)),
            )
            for (pk, space), (scopes, since) in sorted(found.items(), key=lambda i: i[1][1])
        ]

    async def revoke(self, user_id: UserId, client_pk: ClientPk, now: int) -> int:
        """On PostgreSQL each statement sees what was committed when it started. The code
        UPDATE waits for a redemption that has claimed one of the codes; once it has
        committed, the token UPDATEs that follow see what it stored. Likewise the first
        refresh-token UPDATE waits for a rotation holding one of the refresh tokens, and
        the second pass sees the tokens that rotation added (as ``revoke_family`` does)."""
        refresh = (
            "UPDATE refresh_tokens SET revoked_at = $1 "
            "WHERE user_id = $2 AND client_pk = $3 AND revoked_at IS NULL"
        )
        access = (
            "UPDATE access_tokens SET revoked_at = $1 "
            "WHERE user_id = $2 AND client_pk = $3 AND revoked_at IS NULL AND grant_type <> $4"
        )
        async with self._db.transaction() as tx:
            await tx.execute(
                "DELETE FROM consents WHERE user_id = $1 AND client_pk = $2", user_id, client_pk
            )
            await tx.execute(
                "UPDATE authorization_codes SET used_at = $1 "
                "WHERE user_id = $2 AND client_pk = $3 AND used_at IS NULL",
                now,
                user_id,
                client_pk,
            )
            count: int = 0
            for _ in range(2):
                count += await tx.execute(refresh, now, user_id, client_pk)
                count += await tx.execute(access, now, user_id, client_pk, TEST)
        return count

    async def revoke_refresh_tokens(self, user_id: UserId, now: int) -> int:
        statement = (
            "UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL"
        )
        async with self._db.transaction() as tx:
            count: int = await tx.execute(statement, now, user_id)
            count += await tx.execute(statement, now, user_id)
        return count

    async def usage(self, client_pk: ClientPk, since: int, days: int) -> ClientUsage:
        totals = await self._db.fetchrow(
            "SELECT COUNT(*) AS tokens, COUNT(DISTINCT user_id) AS users FROM access_tokens "
            "WHERE client_pk = $1 AND issued_at >= $2 AND grant_type <> $3",
            client_pk,
            since,
            TEST,
        )
        daily = await self._db.fetch(
            "SELECT (issued_at - $2) / $4 AS day, COUNT(*) AS tokens FROM access_tokens "
            "WHERE client_pk = $1 AND issued_at >= $2 AND grant_type <> $3 "
            "GROUP BY 1",
            client_pk,
            since,
            TEST,
            DAY,
        )
        last = await self._db.fetchval(
            "SELECT MAX(issued_at) FROM access_tokens WHERE client_pk = $1 AND grant_type <> $2",
            client_pk,
            TEST,
        )
        per_day = [0] * days
        for row in daily:
            if 0 <= row["day"] < days:
                per_day[int(row["day"])] = int(row["tokens"])
        assert totals is not None
        return ClientUsage(
            tokens_issued=int(totals["tokens"]),
            active_users=int(totals["users"]),
            per_day=tuple(per_day),
            last_used=last,
        )

    async def last_used(self, client_pks: list[ClientPk]) -> dict[ClientPk, int]:
        if not client_pks:
            return {}
        marks = ", ".join(f"${i}" for i in range(2, len(client_pks) + 2))
        rows = await self._db.fetch(
            "SELECT client_pk, MAX(issued_at) AS last FROM access_tokens "
            f"WHERE grant_type <> $1 AND client_pk IN ({marks}) GROUP BY client_pk",
            TEST,
            *client_pks,
        )
        return {ClientPk(row["client_pk"]): row["last"] for row in rows}
