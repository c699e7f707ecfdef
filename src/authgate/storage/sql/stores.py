"""The storage Protocols over a :class:`~authgate.storage.sql.driver.Database`.

Each statement is written once and runs on both SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from authgate.domain import (
    AccessToken,
    AuthorizationCode,
    Client,
    ClientPk,
    Membership,
    NewAccessToken,
    NewAuthorizationCode,
    NewClient,
    NewRefreshToken,
    RefreshPolicy,
    RefreshToken,
    Role,
    Session,
    SigningKey,
    Space,
    SpaceId,
    TokenFormat,
    TokenId,
    User,
    UserId,
)
from authgate.storage.base import (
    ClientIdTaken,
    EmailTaken,
    RegistrationTaken,
    RevisionMismatch,
    SlugTaken,
    UserHoldings,
)
from authgate.storage.sql.driver import Database, Executor, Row
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


#: ``WHERE … AND (${n} = 0 OR revision = ${n})``: 0 (revisions start at 1) is "whatever
#: the row's revision": the statement is written once for both cases
ANY_REVISION = 0


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


ACCESS_COLUMNS = (
    "id, secret_digest, client_pk, user_id, scope, issued_at, expires_at, revoked_at, "
    "family_id, grant_type, space_id"
)
_REFRESH_COLUMNS = (
    "id, secret_digest, client_pk, user_id, scope, issued_at, expires_at, used_at, "
    "revoked_at, family_id, space_id, auth_time"
)
_INSERT_ACCESS = (
    "INSERT INTO access_tokens (secret_digest, client_pk, user_id, scope, issued_at, "
    "expires_at, family_id, grant_type, space_id) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id"
)
_INSERT_REFRESH = (
    "INSERT INTO refresh_tokens (secret_digest, client_pk, user_id, scope, issued_at, "
    "expires_at, family_id, space_id, auth_time) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id"
)


def access_row(row: Row) -> AccessToken:
    return AccessToken(
        id=TokenId(row["id"]),
        secret_digest=bytes(row["secret_digest"]),
        client_pk=ClientPk(row["client_pk"]),
        user_id=row["user_id"],
        scope=row["scope"],
        issued_at=row["issued_at"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
        family_id=row["family_id"],
        grant_type=row["grant_type"],
        space_id=row["space_id"],
    )


def _refresh(row: Row) -> RefreshToken:
    return RefreshToken(
        id=TokenId(row["id"]),
        secret_digest=bytes(row["secret_digest"]),
        client_pk=ClientPk(row["client_pk"]),
        user_id=row["user_id"],
        scope=row["scope"],
        issued_at=row["issued_at"],
        expires_at=row["expires_at"],
        used_at=row["used_at"],
        revoked_at=row["revoked_at"],
        family_id=TokenId(row["family_id"]),
        space_id=row["space_id"],
        auth_time=row["auth_time"],
    )


async def _insert_access(db: Executor, new: NewAccessToken) -> TokenId:
    return TokenId(
        await db.fetchval(
            _INSERT_ACCESS,
            new.secret_digest,
            new.client_pk,
            new.user_id,
            new.scope,
            new.issued_at,
            new.expires_at,
            new.family_id,
            new.grant_type,
            new.space_id,
        )
    )


async def _insert_refresh(db: Executor, new: NewRefreshToken, family: TokenId) -> TokenId:
    return TokenId(
        await db.fetchval(
            _INSERT_REFRESH,
            new.secret_digest,
            new.client_pk,
            new.user_id,
            new.scope,
            new.issued_at,
            new.expires_at,
            family,
            new.space_id,
            new.auth_time,
        )
    )


class SqlTokenStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def issue(
        self, access: NewAccessToken, refresh: NewRefreshToken | None = None
    ) -> tuple[TokenId, TokenId | None]:
        if refresh is None:
            return await _insert_access(self._db, access), None
        async with self._db.transaction() as tx:
            access_id = await _insert_access(tx, access)
            family = access.family_id if access.family_id is not None else access_id
            return access_id, await _insert_refresh(tx, refresh, family)

    async def access(self, token_id: TokenId) -> AccessToken | None:
        row = await self._db.fetchrow(
            f"SELECT {ACCESS_COLUMNS} FROM access_tokens WHERE id = $1", token_id
        )
        return None if row is None else access_row(row)

    async def refresh(self, token_id: TokenId) -> RefreshToken | None:
        row = await self._db.fetchrow(
            f"SELECT {_REFRESH_COLUMNS} FROM refresh_tokens WHERE id = $1", token_id
        )
        return None if row is None else _refresh(row)

    async def rotate(
        self, old: RefreshToken, now: int, access: NewAccessToken, refresh: NewRefreshToken | None
    ) -> tuple[TokenId, TokenId | None] | None:
        async with self._db.transaction() as tx:
            claimed = await tx.execute(
                "UPDATE refresh_tokens SET used_at = $1 "
                "WHERE id = $2 AND used_at IS NULL AND revoked_at IS NULL",
                now,
                old.id,
            )
            if not claimed:
                return None
            access_id = await _insert_access(tx, access)
            refresh_id = (
                None if refresh is None else await _insert_refresh(tx, refresh, old.family_id)
            )
        return access_id, refresh_id

    async def derive(self, subject_id: TokenId, access: NewAccessToken) -> TokenId | None:
        async with self._db.transaction() as tx:
            # A write that changes nothing, to hold the subject's row until the new token
            # is committed (see revoke_family); on PostgreSQL it also re-reads a row that a
            # concurrent revocation is changing, once that revocation has committed.
            live = await tx.execute(
                "UPDATE access_tokens SET revoked_at = NULL WHERE id = $1 AND revoked_at IS NULL",
                subject_id,
            )
            if not live:
                return None
            return await _insert_access(tx, access)

    async def revoke_family(self, root_id: TokenId, now: int) -> int:
        """Revoke the family, including what a rotation or an exchange racing with this
        adds to it.

        On PostgreSQL each statement sees the rows committed when it starts. The first
        refresh-token UPDATE waits for a rotation that has already claimed a refresh token
        of this family to commit (it holds that row); once it has, the access-token UPDATE
        and a second refresh-token UPDATE see the tokens that rotation added. A rotation
        that had not claimed its row yet finds it revoked and issues nothing. Likewise the
        first access-token UPDATE waits for a :meth:`derive` holding its subject's row, and
        the second one sees the token it added; a later ``derive`` finds the subject revoked.
        """
        refresh = (
            "UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL"
        )
        access = (
            "UPDATE access_tokens SET revoked_at = $1 "
            "WHERE (id = $2 OR family_id = $2) AND revoked_at IS NULL"
        )
        async with self._db.transaction() as tx:
            count: int = await tx.execute(refresh, now, root_id)
            count += await tx.execute(access, now, root_id)
            count += await tx.execute(refresh, now, root_id)
            count += await tx.execute(access, now, root_id)
        return count

    async def revoke_access(self, token_id: TokenId, now: int) -> bool:
        changed = await self._db.execute(
            "UPDATE access_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            now,
            token_id,
        )
        return changed > 0


_CODE_COLUMNS = (
    "id, secret_digest, client_pk, user_id, redirect_uri, scope, code_challenge, "
    "code_challenge_method, nonce, issued_at, expires_at, used_at, family_id, space_id, "
    "auth_time"
)


def _code(row: Row) -> AuthorizationCode:
    return AuthorizationCode(
        id=TokenId(row["id"]),
        secret_digest=bytes(row["secret_digest"]),
        client_pk=ClientPk(row["client_pk"]),
        user_id=UserId(row["user_id"]),
        redirect_uri=row["redirect_uri"],
        scope=row["scope"],
        code_challenge=row["code_challenge"],
        code_challenge_method=row["code_challenge_method"],
        nonce=row["nonce"],
        issued_at=row["issued_at"],
        expires_at=row["expires_at"],
        used_at=row["used_at"],
        family_id=row["family_id"],
        space_id=row["space_id"],
        auth_time=row["auth_time"],
    )


class SqlCodeStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, new: NewAuthorizationCode) -> TokenId:
        return TokenId(
            await self._db.fetchval(
                "INSERT INTO authorization_codes (secret_digest, client_pk, user_id, "
                "redirect_uri, scope, code_challenge, code_challenge_method, nonce, issued_at, "
                "expires_at, space_id, auth_time) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
                new.secret_digest,
                new.client_pk,
                new.user_id,
                new.redirect_uri,
                new.scope,
                new.code_challenge,
                new.code_challenge_method,
                new.nonce,
                new.issued_at,
                new.expires_at,
                new.space_id,
                new.auth_time,
            )
        )

    async def get(self, code_id: TokenId) -> AuthorizationCode | None:
        row = await self._db.fetchrow(
            f"SELECT {_CODE_COLUMNS} FROM authorization_codes WHERE id = $1", code_id
        )
        return None if row is None else _code(row)

    async def redeem(
        self,
        code: AuthorizationCode,
        now: int,
        access: NewAccessToken,
        refresh: NewRefreshToken | None,
    ) -> tuple[TokenId, TokenId | None] | None:
        async with self._db.transaction() as tx:
            claimed = await tx.execute(
                "UPDATE authorization_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL",
                now,
                code.id,
            )
            if not claimed:
                return None
            access_id = await _insert_access(tx, access)
            refresh_id = None
            if refresh is not None:
                refresh_id = await _insert_refresh(tx, refresh, access_id)
            await tx.execute(
                "UPDATE authorization_codes SET family_id = $1 WHERE id = $2", access_id, code.id
            )
        return access_id, refresh_id


class SqlConsentStore:
    """Consents per user, client and issuer (space 0 is the root issuer)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def scopes(
        self, user_id: UserId, client_pk: ClientPk, space_id: SpaceId | None = None
    ) -> frozenset[str]:
        scope = await self._db.fetchval(
            "SELECT scope FROM consents WHERE user_id = $1 AND client_pk = $2 AND space_id = $3",
            user_id,
            client_pk,
            space_id or 0,
        )
        return frozenset(scope.split()) if scope else frozenset()

    async def grant(
        self,
        user_id: UserId,
        client_pk: ClientPk,
        scopes: frozenset[str],
        now: int,
        space_id: SpaceId | None = None,
    ) -> None:
        async with self._db.transaction() as tx:
            old = await tx.fetchval(
                "SELECT scope FROM consents "
                "WHERE user_id = $1 AND client_pk = $2 AND space_id = $3",
                user_id,
                client_pk,
                space_id or 0,
            )
            merged = " ".join(sorted(scopes | frozenset((old or "").split())))
            await tx.execute(
                "INSERT INTO consents (user_id, client_pk, space_id, scope, granted_at) "
                "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, client_pk, space_id) "
                "DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at",
                user_id,
                client_pk,
                space_id or 0,
                merged,
                now,
            )


class SqlSessionStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        secret_digest: bytes,
        user_id: UserId,
        now: int,
        expires_at: int,
        space_id: SpaceId | None = None,
    ) -> TokenId:
        return TokenId(
            await self._db.fetchval(
                "INSERT INTO sessions (secret_digest, user_id, created_at, expires_at, space_id) "
                "VALUES ($1, $2, $3, $4, $5) RETURNING id",
                secret_digest,
                user_id,
                now,
                expires_at,
                space_id,
            )
        )

    async def get(self, session_id: TokenId) -> tuple[Session, bytes] | None:
        row = await self._db.fetchrow(
            "SELECT id, secret_digest, user_id, created_at, expires_at, space_id FROM sessions "
            "WHERE id = $1 AND revoked_at IS NULL",
            session_id,
        )
        if row is None:
            return None
        session = Session(
            id=TokenId(row["id"]),
            user_id=UserId(row["user_id"]),
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            space_id=row["space_id"],
        )
        return session, bytes(row["secret_digest"])

    async def revoke(self, session_id: TokenId, now: int) -> None:
        await self._db.execute("UPDATE sessions SET revoked_at = $1 WHERE id = $2", now, session_id)

    async def revoke_others(self, user_id: UserId, keep: TokenId | None, now: int) -> int:
        return await self._db.execute(
            "UPDATE sessions SET revoked_at = $1 "
            "WHERE user_id = $2 AND id <> $3 AND revoked_at IS NULL",
            now,
            user_id,
            keep if keep is not None else 0,
        )


_KEY_COLUMNS = "id, kid, alg, public_jwk, private_sealed, created_at, signs_from, retired_at"


def _key(row: Row) -> SigningKey:
    return SigningKey(
        id=row["id"],
        kid=row["kid"],
        alg=row["alg"],
        public_jwk=row["public_jwk"],
        private_sealed=row["private_sealed"],
        created_at=row["created_at"],
        signs_from=row["signs_from"],
        retired_at=row["retired_at"],
    )


class SqlKeyStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def all(self) -> list[SigningKey]:
        rows = await self._db.fetch(f"SELECT {_KEY_COLUMNS} FROM signing_keys ORDER BY id")
        return [_key(row) for row in rows]

    async def add(
        self,
        kid: str,
        alg: str,
        public_jwk: str,
        private_sealed: str,
        now: int,
        signs_from: int,
    ) -> SigningKey:
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL", signs_from
            )
            row = await tx.fetchrow(
                "INSERT INTO signing_keys "
                "(kid, alg, public_jwk, private_sealed, created_at, signs_from) "
                f"VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_KEY_COLUMNS}",
                kid,
                alg,
                public_jwk,
                private_sealed,
                now,
                signs_from,
            )
        assert row is not None
        return _key(row)

    async def delete_retired(self, before: int) -> int:
        return await self._db.execute(
            "DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < $1", before
        )


def _space(row: Row, domains: tuple[str, ...]) -> Space:
    return Space(
        id=SpaceId(row["id"]),
        slug=row["slug"],
        name=row["name"],
        created_at=row["created_at"],
        domains=domains,
    )


def _membership(row: Row) -> Membership:
    return Membership(
        space_id=SpaceId(row["space_id"]),
        user_id=UserId(row["user_id"]),
        role=cast(Role, row["role"]),
        name=row["name"],
        picture=row["picture"],
        phone_number=row["phone_number"],
        created_at=row["created_at"],
        revoked_scopes=frozenset(row["revoked_scopes"].split()),
        revision=row["revision"],
    )


_MEMBER_COLUMNS = (
    "space_id, user_id, role, name, picture, phone_number, created_at, revoked_scopes, revision"
)
_MEMBER_VALUES = _MEMBER_COLUMNS.removesuffix(", revision")


class SqlSpaceStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(self, slug: str, name: str, domains: tuple[str, ...], now: int) -> Space:
        async with self._db.transaction() as tx:
            taken = await tx.fetchval("SELECT 1 FROM spaces WHERE slug = $1", slug)
            for domain in domains:
                taken = taken or await tx.fetchval(
                    "SELECT 1 FROM space_domains WHERE domain = $1", domain
                )
            if taken:
                raise SlugTaken(slug)
            row = await tx.fetchrow(
                "INSERT INTO spaces (slug, name, created_at) VALUES ($1, $2, $3) "
                "RETURNING id, slug, name, created_at",
                slug,
                name,
                now,
            )
            assert row is not None
            for domain in domains:
                await tx.execute(
                    "INSERT INTO space_domains (domain, space_id) VALUES ($1, $2)",
                    domain,
                    row["id"],
                )
        return _space(row, domains)

    async def _with_domains(self, row: Row | None) -> Space | None:
        if row is None:
            return None
        rows = await self._db.fetch(
            "SELECT domain FROM space_domains WHERE space_id = $1 ORDER BY domain", row["id"]
        )
        return _space(row, tuple(r["domain"] for r in rows))

    async def by_slug(self, slug: str) -> Space | None:
        if not storable(slug):
            return None
        row = await self._db.fetchrow(
            "SELECT id, slug, name, created_at FROM spaces WHERE slug = $1", slug
        )
        return await self._with_domains(row)

    async def by_id(self, space_id: SpaceId) -> Space | None:
        row = await self._db.fetchrow(
            "SELECT id, slug, name, created_at FROM spaces WHERE id = $1", space_id
        )
        return await self._with_domains(row)

    async def by_domain(self, domain: str) -> Space | None:
        if not storable(domain):
            return None
        row = await self._db.fetchrow(
            "SELECT s.id, s.slug, s.name, s.created_at FROM spaces s "
            "JOIN space_domains d ON d.space_id = s.id WHERE d.domain = $1",
            domain,
        )
        return await self._with_domains(row)

    async def all(self) -> list[Space]:
        rows = await self._db.fetch("SELECT id, slug, name, created_at FROM spaces ORDER BY slug")
        domains = await self._db.fetch("SELECT domain, space_id FROM space_domains ORDER BY domain")
        by_space: dict[int, list[str]] = {}
        for d in domains:
            by_space.setdefault(d["space_id"], []).append(d["domain"])
        return [_space(row, tuple(by_space.get(row["id"], []))) for row in rows]

    async def add_member(self, member: Membership, revision: int | None = None) -> Membership:
        values = (
            member.space_id,
            member.user_id,
            member.role,
            member.name,
            member.picture,
            member.phone_number,
            member.created_at,
            " ".join(sorted(member.revoked_scopes)),
        )
        if revision:  # replace that revision of an existing membership only
            row = await self._db.fetchrow(
                "UPDATE memberships SET role = $3, name = $4, picture = $5, phone_number = $6, "
                "revoked_scopes = $8, revision = revision + 1 "
                "WHERE space_id = $1 AND user_id = $2 AND created_at = $7 AND revision = $9 "
                f"RETURNING {_MEMBER_COLUMNS}",
                *values,
                revision,
            )
            if row is None:
                raise RevisionMismatch(member.user_id)
            return _membership(row)
        row = await self._db.fetchrow(
            f"INSERT INTO memberships ({_MEMBER_VALUES}) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
            "ON CONFLICT (space_id, user_id) DO UPDATE SET role = excluded.role, "
            "name = excluded.name, picture = excluded.picture, "
            "phone_number = excluded.phone_number, revoked_scopes = excluded.revoked_scopes, "
            "revision = memberships.revision + 1 "
            f"RETURNING {_MEMBER_COLUMNS}",
            *values,
        )
        assert row is not None
        return _membership(row)

    async def membership(self, space_id: SpaceId, user_id: UserId) -> Membership | None:
        row = await self._db.fetchrow(
            f"SELECT {_MEMBER_COLUMNS} FROM memberships WHERE space_id = $1 AND user_id = $2",
            space_id,
            user_id,
        )
        return None if row is None else _membership(row)

    async def remove_member(
        self, space_id: SpaceId, user_id: UserId, revision: int | None = None
    ) -> bool:
        removed = await self._db.execute(
            "DELETE FROM memberships WHERE space_id = $1 AND user_id = $2 "
            "AND ($3 = 0 OR revision = $3)",
            space_id,
            user_id,
            revision or ANY_REVISION,
        )
        if not removed and revision and await self.membership(space_id, user_id) is not None:
            raise RevisionMismatch(user_id)
        return removed > 0

    async def members(self, space_id: SpaceId) -> list[Membership]:
        rows = await self._db.fetch(
            f"SELECT {_MEMBER_COLUMNS} FROM memberships WHERE space_id = $1 ORDER BY user_id",
            space_id,
        )
        return [_membership(row) for row in rows]

    async def spaces_of(self, user_id: UserId) -> list[tuple[Space, Membership]]:
        member_columns = ", ".join(f"m.{c}" for c in _MEMBER_COLUMNS.split(", "))
        rows = await self._db.fetch(
            f"SELECT s.slug, s.name AS space_name, s.created_at AS space_created_at, "
            f"{member_columns} FROM memberships m JOIN spaces s ON s.id = m.space_id "
            "WHERE m.user_id = $1 ORDER BY s.slug",
            user_id,
        )
        domains = await self._db.fetch(
            "SELECT d.domain, d.space_id FROM space_domains d "
            "JOIN memberships m ON m.space_id = d.space_id WHERE m.user_id = $1 "
            "ORDER BY d.domain",
            user_id,
        )
        by_space: dict[int, list[str]] = {}
        for d in domains:
            by_space.setdefault(d["space_id"], []).append(d["domain"])
        return [
            (
                Space(
                    id=SpaceId(row["space_id"]),
                    slug=row["slug"],
                    name=row["space_name"],
                    created_at=row["space_created_at"],
                    domains=tuple(by_space.get(row["space_id"], [])),
                ),
                _membership(row),
            )
            for row in rows
        ]
