"""Clients over a :class:`~authgate.storage.sql.driver.Database` (ClientStore)."""

from __future__ import annotations

from typing import Any, cast

from authgate.domain import Client, ClientPk, NewClient, RefreshPolicy, TokenFormat, UserId
from authgate.storage.base import NOT_HELD, ClientIdTaken, RegistrationTaken, RevisionMismatch
from authgate.storage.sql.driver import Database, Row
from authgate.storage.sql.revisions import ANY_REVISION
from authgate.text import storable

_CLIENT_COLUMNS = (
    "id, client_id, name, secret_digest, is_public, redirect_uris, grant_types, scopes, "
    "token_lifetime, refresh_policy, owner_id, created_at, test_token_sealed, is_resource_server, "
    "access_token_format, description, homepage_url, logo_url, privacy_url, revision"
)
# Client fields that ``update`` may change, with how each is written to its column.
_UPDATABLE: dict[str, Any] = {
    "name": str,
    "secret_digest": lambda v: v,
    "redirect_uris": " ".join,
    "grant_types": lambda v: " ".join(sorted(v)),
    "scopes": lambda v: " ".join(sorted(v)),
    "token_lifetime": lambda v: v,
    "refresh_policy": str,
    "test_token_sealed": lambda v: v,
    "resource_server": bool,
    "access_token_format": lambda v: v,
    "description": lambda v: v,
    "homepage_url": lambda v: v,
    "logo_url": lambda v: v,
    "privacy_url": lambda v: v,
}
# Fields whose column is named differently.
_COLUMN_OF = {"resource_server": "is_resource_server"}


def _client(row: Row) -> Client:
    owner = row["owner_id"]
    return Client(
        pk=ClientPk(row["id"]),
        client_id=row["client_id"],
        name=row["name"],
        secret_digest=None if row["secret_digest"] is None else bytes(row["secret_digest"]),
        is_public=bool(row["is_public"]),
        redirect_uris=tuple(row["redirect_uris"].split()),
        grant_types=frozenset(row["grant_types"].split()),
        scopes=frozenset(row["scopes"].split()),
        token_lifetime=row["token_lifetime"],
        refresh_policy=cast(RefreshPolicy, row["refresh_policy"]),
        owner_id=None if owner is None else UserId(owner),
        created_at=row["created_at"],
        test_token_sealed=row["test_token_sealed"],
        resource_server=bool(row["is_resource_server"]),
        access_token_format=cast(TokenFormat | None, row["access_token_format"]),
        description=row["description"],
        homepage_url=row["homepage_url"],
        logo_url=row["logo_url"],
        privacy_url=row["privacy_url"],
        revision=row["revision"],
    )


class SqlClientStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, new: NewClient) -> Client:
        row = await self._db.fetchrow(
            "INSERT INTO clients (client_id, name, secret_digest, is_public, redirect_uris, "
            "grant_types, scopes, token_lifetime, refresh_policy, owner_id, created_at, "
            "is_resource_server, access_token_format, description, homepage_url, logo_url, "
            "privacy_url, registration_digest) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, "
            f"$17, $18) ON CONFLICT DO NOTHING RETURNING {_CLIENT_COLUMNS}",
            new.client_id,
            new.name,
            new.secret_digest,
            new.is_public,
            " ".join(new.redirect_uris),
            " ".join(sorted(new.grant_types)),
            " ".join(sorted(new.scopes)),
            new.token_lifetime,
            new.refresh_policy,
            new.owner_id,
            new.created_at,
            new.resource_server,
            new.access_token_format,
            new.description,
            new.homepage_url,
            new.logo_url,
            new.privacy_url,
            new.registration_digest,
        )
        if row is None:  # the id or the registration form is taken: nothing was inserted
            if new.registration_digest is not None and await self.by_registration(
                new.registration_digest
            ):
                raise RegistrationTaken(new.client_id)
            raise ClientIdTaken(new.client_id)
        return _client(row)

    async def owned_by(self, owner_id: UserId) -> list[Client]:
        rows = await self._db.fetch(
            f"SELECT {_CLIENT_COLUMNS} FROM clients WHERE owner_id = $1 ORDER BY id", owner_id
        )
        return [_client(row) for row in rows]

    async def by_registration(self, registration_digest: bytes) -> Client | None:
        row = await self._db.fetchrow(
            f"SELECT {_CLIENT_COLUMNS} FROM clients WHERE registration_digest = $1",
            registration_digest,
        )
        return None if row is None else _client(row)

    async def replace_secret(self, client_id: str, old: bytes | None, new: bytes) -> bool:
        if not storable(client_id) or old is None:
            return False
        changed = await self._db.execute(
            "UPDATE clients SET secret_digest = $1, revision = revision + 1 "
            "WHERE client_id = $2 AND secret_digest = $3",
            new,
            client_id,
            old,
        )
        return changed > 0

    async def replace_test_token(self, client_id: str, old: str | None, new: str) -> bool:
        if not storable(client_id):
            return False
        if old is None:
            changed = await self._db.execute(
                "UPDATE clients SET test_token_sealed = $1, revision = revision + 1 "
                "WHERE client_id = $2 AND test_token_sealed IS NULL",
                new,
                client_id,
            )
        else:
            changed = await self._db.execute(
                "UPDATE clients SET test_token_sealed = $1, revision = revision + 1 "
                "WHERE client_id = $2 AND test_token_sealed = $3",
                new,
                client_id,
                old,
            )
        return changed > 0

    def peek_by_client_id(self, client_id: str) -> tuple[bool, Client | None]:
        """Nothing is held in memory here."""
        return NOT_HELD

    def peek_by_pk(self, pk: ClientPk) -> tuple[bool, Client | None]:
        """Nothing is held in memory here."""
        return NOT_HELD

    async def by_client_id(self, client_id: str) -> Client | None:
        if not storable(client_id):
            return None
        row = await self._db.fetchrow(
            f"SELECT {_CLIENT_COLUMNS} FROM clients WHERE client_id = $1", client_id
        )
        return None if row is None else _client(row)

    async def by_pk(self, pk: ClientPk) -> Client | None:
        row = await self._db.fetchrow(f"SELECT {_CLIENT_COLUMNS} FROM clients WHERE id = $1", pk)
        return None if row is None else _client(row)

    async def all(self) -> list[Client]:
        rows = await self._db.fetch(f"SELECT {_CLIENT_COLUMNS} FROM clients ORDER BY id")
        return [_client(row) for row in rows]

    async def page(self, *, after: ClientPk | None = None, limit: int = 100) -> list[Client]:
        rows = await self._db.fetch(
            f"SELECT {_CLIENT_COLUMNS} FROM clients WHERE id > $1 ORDER BY id LIMIT $2",
            after or 0,
            limit,
        )
        return [_client(row) for row in rows]

    async def update(
        self, client_id: str, *, revision: int | None = None, **changes: Any
    ) -> Client | None:
        unknown = set(changes) - set(_UPDATABLE)
        if unknown:
            raise TypeError(f"cannot update client fields {sorted(unknown)}")
        if not storable(client_id):
            return None
        if not changes and not revision:
            return await self.by_client_id(client_id)
        names = sorted(changes)
        assignments = "".join(
            f"{_COLUMN_OF.get(name, name)} = ${i}, " for i, name in enumerate(names, start=3)
        )
        row = await self._db.fetchrow(
            f"UPDATE clients SET {assignments}revision = revision + 1 "
            f"WHERE client_id = $1 AND ($2 = 0 OR revision = $2) RETURNING {_CLIENT_COLUMNS}",
            client_id,
            revision or ANY_REVISION,
            *(_UPDATABLE[name](changes[name]) for name in names),
        )
        if row is None and revision and await self.by_client_id(client_id) is not None:
            raise RevisionMismatch(client_id)
        return None if row is None else _client(row)

    async def delete(self, client_id: str, revision: int | None = None) -> bool:
        if not storable(client_id):
            return False
        deleted = await self._db.execute(
            "DELETE FROM clients WHERE client_id = $1 AND ($2 = 0 OR revision = $2)",
            client_id,
            revision or ANY_REVISION,
        )
        if not deleted and revision and await self.by_client_id(client_id) is not None:
            raise RevisionMismatch(client_id)
        return deleted > 0
