"""Tokens, codes, consents, sessions and signing keys over a
:class:`~authgate.storage.sql.driver.Database` (users, clients and spaces have their own
modules beside this one).

Each statement is written once and runs on both SQLite and PostgreSQL.
"""

from __future__ import annotations

from authgate.domain import (
    AccessToken,
    AuthorizationCode,
    ClientPk,
    NewAccessToken,
    NewAuthorizationCode,
    NewRefreshToken,
    RefreshToken,
    Session,
    SigningKey,
    SpaceId,
    TokenId,
    UserId,
)
from authgate.storage.base import NOT_HELD, KeysChanged
from authgate.storage.sql.driver import Database, Executor, Row

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

    def peek_access(self, token_id: TokenId) -> tuple[bool, AccessToken | None]:
        """Nothing is held in memory here."""
        return NOT_HELD

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
        *,
        newest: str | None = None,
    ) -> SigningKey:
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL", signs_from
            )
            if newest is not None:
                # After the UPDATE: on PostgreSQL a concurrent rotation holds the rows it
                # retires until it commits, and this statement's snapshot then sees its
                # key; SQLite's write transactions run one at a time.
                current = await tx.fetchval(
                    "SELECT kid FROM signing_keys ORDER BY created_at DESC, id DESC LIMIT 1"
                )
                if current is not None and current != newest:
                    raise KeysChanged(current)
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
