"""JWT access tokens (RFC 9068), signed with the key ring's current key (the keys the
JWKS publishes).

The token stands for the same stored row as an opaque one: ``jti`` is the row id, so
revocation, token families, introspection and refresh rotation work unchanged, and
authgate's own checks see a revocation at once. There is no secret: the signature proves
the token, and the row holds :data:`JWT_ROW_DIGEST`, the digest of no secret, so that
no opaque ``<id>.<secret>`` proves a JWT's row, nor any JWT an opaque token's row.

Reading a presented JWT: the cheap checks first (size, shape, header; crypto/compact_jws.py),
then the signature with the published key its ``kid`` names, for that key's algorithm
only; then ``typ`` (§4: ``at+jwt``), ``iss`` among this server's issuers, and the row
binding: :meth:`JwtPresented.proves` requires the row's ``iat`` and ``exp`` to be the
token's, so the checker's expiry rule is the token's ``exp`` exactly.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from authgate.crypto.compact_jws import split
from authgate.domain import AccessToken, Client, SpaceId, TokenId
from authgate.errors import InvalidGrant, InvalidScope
from authgate.protocol.issuers import IssuerResolver
from authgate.protocol.keyring import KeyRing
from authgate.protocol.requests import MAX_VALUE_LENGTH
from authgate.protocol.token_formats.base import MintedAccessToken, TokenDraft
from authgate.storage.base import SpaceStore, UserStore

#: RFC 9068 §2.1 (and §4: compared case-insensitively, with or without "application/")
TYP = "at+jwt"
_TYPES = frozenset({TYP, "application/" + TYP})
#: what every endpoint takes as a form parameter; a token this server writes is about
#: 1 KB with RS256. Anything longer is refused before any decoding.
MAX_LENGTH = MAX_VALUE_LENGTH
MAX_HEADER_LENGTH = 512
#: the claim naming the space a token is bound to (as introspection's ``space`` member)
SPACE_CLAIM = "space"
#: ``secret_digest`` of a JWT's row: a SHA-256 no secret is known to have (finding one
#: is a preimage attack)
JWT_ROW_DIGEST = hashlib.sha256(b"authgate: the row of an RFC 9068 JWT access token").digest()
_ROW_ID = re.compile(r"[1-9][0-9]{0,18}").fullmatch
_ID_LIMIT = 2**63


def _int(value: Any) -> int | None:
    return value if type(value) is int else None  # bool is an int; a JWT's true is not


@dataclass(frozen=True, slots=True)
class JwtPresented:
    token_id: TokenId
    issued_at: int
    expires_at: int

    def proves(self, row: AccessToken) -> bool:
        return (
            row.secret_digest == JWT_ROW_DIGEST
            and row.issued_at == self.issued_at
            and row.expires_at == self.expires_at
        )


class JwtFormat:
    def __init__(
        self,
        keys: KeyRing,
        issuers: IssuerResolver,
        users: UserStore,
        spaces: SpaceStore,
        *,
        audience: str | None = None,
    ) -> None:
        self._keys = keys
        self._issuers = issuers
        self._users = users
        self._spaces = spaces
        #: ``aud``; ``None``: the issuer URL the token is minted for
        self._audience = audience

    def prepare(self, client: Client, *, expires: bool) -> TokenDraft:
        return TokenDraft("jwt", JWT_ROW_DIGEST)

    async def claims(self, minted: MintedAccessToken) -> dict[str, Any]:
        """RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat, jti; scope (§2.2.3),
        auth_time (§2.2.1) when known, and the bound space."""
        row, issuer = minted.row, minted.issuer
        assert row.expires_at is not None  # §2.2: exp is REQUIRED; see AccessTokenFormats
        subject = minted.client.client_id  # §2.2: the client's own, for client credentials
        if row.user_id is not None:
            user = await self._users.by_id(row.user_id)
            if user is None:
                raise InvalidGrant("the user of this grant no longer exists")
            subject = user.subject
        claims: dict[str, Any] = {
            "iss": issuer.url,
            "sub": subject,
            "aud": self._audience or issuer.url,
            "client_id": minted.client.client_id,
            "iat": row.issued_at,
            "exp": row.expires_at,
            "jti": str(minted.token_id),
        }
        if row.scope:
            claims["scope"] = row.scope
        if minted.auth_time is not None:
            claims["auth_time"] = minted.auth_time
        if row.space_id is not None:
            claims[SPACE_CLAIM] = await self._slug(row.space_id, minted)
        return claims

    async def _slug(self, space_id: SpaceId, minted: MintedAccessToken) -> str:
        space = minted.issuer.space
        if space is None or space.id != space_id:
            space = await self._spaces.by_id(space_id)
        if space is None:
            raise InvalidGrant("the space of this grant no longer exists")
        return space.slug

    async def render(self, minted: MintedAccessToken) -> str:
        signer = await self._keys.signer()
        token = signer.sign(await self.claims(minted), typ=TYP)
        if len(token) > MAX_LENGTH:
            raise InvalidScope("the scope is too long for a JWT access token: ask for less")
        return token

    def epoch(self) -> object | None:
        """What a JWT's verification depends on besides the string: the published keys
        (:meth:`KeyRing.verifiers_epoch`)."""
        return self._keys.verifiers_epoch()

    async def parse(self, presented: str) -> JwtPresented | None:
        jws = split(presented, max_length=MAX_LENGTH, max_header_length=MAX_HEADER_LENGTH)
        if jws is None:
            return None
        header = jws.header
        typ, kid = header.get("typ"), header.get("kid")
        # RFC 7515 §4.1.11: a "crit" header names extensions this server does not know.
        if not isinstance(typ, str) or typ.lower() not in _TYPES or "crit" in header:
            return None
        if not isinstance(kid, str) or len(kid) > 128:
            return None
        verifier = await self._keys.verifier(kid)
        # The key's own algorithm only: never "none", never HS256 keyed with a public key.
        if verifier is None or header["alg"] != verifier.alg:
            return None
        if not verifier.verify(jws.signing_input, jws.signature):
            return None
        claims = jws.claims()
        if claims is None:
            return None
        jti, iss = claims.get("jti"), claims.get("iss")
        issued_at, expires_at = _int(claims.get("iat")), _int(claims.get("exp"))
        if not isinstance(jti, str) or not _ROW_ID(jti) or int(jti) >= _ID_LIMIT:
            return None
        if issued_at is None or expires_at is None or not isinstance(iss, str):
            return None
        if not await self._issuers.knows(iss):
            return None
        return JwtPresented(TokenId(int(jti)), issued_at, expires_at)
