"""Dynamic client registration's stores over SQLite and PostgreSQL: initial access tokens
whose uses are reserved atomically, and the registrations RFC 7592 manages."""

from __future__ import annotations

import json

from authgate.domain import ClientPk
from authgate.storage.registrations import ClientRegistration, InitialAccessToken
from authgate.storage.sql.driver import Database, Row

_TOKEN_COLUMNS = "id, secret_digest, created_at, expires_at, max_uses, uses, created_by"
_REGISTRATION_COLUMNS = (
    "client_pk, token_digest, auth_method, response_types, created_at, initial_token_id"
)


def _token(row: Row) -> InitialAccessToken:
    return InitialAccessToken(
        id=row["id"],
        secret_digest=bytes(row["secret_digest"]),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        max_uses=row["max_uses"],
        uses=row["uses"],
        created_by=row["created_by"],
    )


def _response_types(text: str) -> tuple[str, ...]:
    try:
        values = json.loads(text)
    except ValueError:
        return ()
    return tuple(v for v in values if isinstance(v, str)) if isinstance(values, list) else ()


def _registration(row: Row) -> ClientRegistration:
    return ClientRegistration(
        client_pk=ClientPk(row["client_pk"]),
        token_digest=bytes(row["token_digest"]),
        auth_method=row["auth_method"],
        response_types=_response_types(row["response_types"]),
        created_at=row["created_at"],
        initial_token_id=row["initial_token_id"],
    )


class SqlInitialTokenStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        secret_digest: bytes,
        now: int,
        expires_at: int | None,
        max_uses: int | None,
        created_by: str | None,
    ) -> InitialAccessToken:
        row = await self._db.fetchrow(
            "INSERT INTO initial_access_tokens (secret_digest, created_at, expires_at, "
            "max_uses, uses, created_by) VALUES ($1, $2, $3, $4, 0, $5) "
            f"RETURNING {_TOKEN_COLUMNS}",
            secret_digest,
            now,
            expires_at,
            max_uses,
            created_by,
        )
        assert row is not None
        return _token(row)

    async def get(self, token_id: int) -> InitialAccessToken | None:
        row = await self._db.fetchrow(
            f"SELECT {_TOKEN_COLUMNS} FROM initial_access_tokens WHERE id = $1", token_id
        )
        return None if row is None else _token(row)

    async def reserve(self, token_id: int, now: int) -> bool:
        # One statement: the row lock (PostgreSQL re-checks the WHERE after waiting for
        # it) or the single connection (SQLite) makes check and count one step.
        changed = await self._db.execute(
            "UPDATE initial_access_tokens SET uses = uses + 1 WHERE id = $1 "
            "AND (expires_at IS NULL OR expires_at > $2) "
            "AND (max_uses IS NULL OR uses < max_uses)",
            token_id,
            now,
        )
        return changed > 0

    async def release(self, token_id: int) -> None:
        await self._db.execute(
            "UPDATE initial_access_tokens SET uses = uses - 1 WHERE id = $1 AND uses > 0",
            token_id,
        )

    async def page(self, *, after: int | None, limit: int) -> list[InitialAccessToken]:
        rows = await self._db.fetch(
            f"SELECT {_TOKEN_COLUMNS} FROM initial_access_tokens WHERE id > $1 "
            "ORDER BY id LIMIT $2",
            after or 0,
            limit,
        )
        return [_token(row) for row in rows]

    async def delete(self, token_id: int) -> bool:
        return (
            await self._db.execute("DELETE FROM initial_access_tokens WHERE id = $1", token_id) > 0
        )


class SqlClientRegistrationStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, registration: ClientRegistration) -> None:
        await self._db.execute(
            f"INSERT INTO client_registrations ({_REGISTRATION_COLUMNS}) "
            "VALUES ($1, $2, $3, $4, $5, $6)",
            registration.client_pk,
            registration.token_digest,
            registration.auth_method,
            json.dumps(list(registration.response_types)),
            registration.created_at,
            registration.initial_token_id,
        )

    async def get(self, client_pk: ClientPk) -> ClientRegistration | None:
        row = await self._db.fetchrow(
            f"SELECT {_REGISTRATION_COLUMNS} FROM client_registrations WHERE client_pk = $1",
            client_pk,
        )
        return None if row is None else _registration(row)

    async def replace(
        self,
        client_pk: ClientPk,
        old_digest: bytes,
        new_digest: bytes,
        auth_method: str,
        response_types: tuple[str, ...],
    ) -> bool:
        changed = await self._db.execute(
            "UPDATE client_registrations SET token_digest = $1, auth_method = $2, "
            "response_types = $3 WHERE client_pk = $4 AND token_digest = $5",
            new_digest,
            auth_method,
            json.dumps(list(response_types)),
            client_pk,
            old_digest,
        )
        return changed > 0

    async def reset(self, client_pk: ClientPk, new_digest: bytes) -> bool:
        changed = await self._db.execute(
            "UPDATE client_registrations SET token_digest = $1 WHERE client_pk = $2",
            new_digest,
            client_pk,
        )
        return changed > 0
