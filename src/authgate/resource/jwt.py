"""Check RFC 9068 JWT access tokens with the issuer's published keys, without asking the
authorization server about each token.

The trade-off (docs/resource-servers.md): a signature stays valid until ``exp``, so a
revoked JWT keeps working here until it expires. Keep JWT clients' token lifetimes short,
or use :class:`~authgate.resource.introspection.IntrospectionVerifier` where revocation
must take effect at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from authgate.errors import InvalidToken
from authgate.resource.remote import (
    Clock,
    default_http,
    fetch_json,
    now_clock,
    plausible_token,
)
from authgate.resource.token import VerifiedToken

#: RFC 9068 §4: the ``typ`` header MUST be checked (``at+jwt``, or its long form)
ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})
ALGORITHMS = ("RS256", "ES256", "EdDSA")


def _claim_str(claims: dict[str, Any], name: str) -> str:
    value = claims.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidToken("invalid")
    return value


class JwtVerifier:
    """``issuers``: the ``iss`` values accepted (the root issuer and, for an API serving
    spaces, their issuers). ``audience``: this API's identifier, which must be in ``aud``.
    The JWKS comes from ``jwks_uri``, or from the first issuer's discovery document; an
    unknown ``kid`` fetches it again, at most every ``refetch_seconds``."""

    def __init__(
        self,
        issuers: str | Collection[str],
        *,
        audience: str,
        jwks_uri: str | None = None,
        http: httpx.AsyncClient | None = None,
        timeout: float = 5.0,
        leeway: int = 30,
        refetch_seconds: float = 30.0,
        algorithms: Collection[str] = ALGORITHMS,
        clock: Clock = now_clock,
    ) -> None:
        self._issuers = frozenset([issuers] if isinstance(issuers, str) else issuers)
        self._first_issuer = issuers if isinstance(issuers, str) else sorted(issuers)[0]
        self._audience = audience
        self._jwks_uri = jwks_uri
        self._http = http or default_http(timeout)
        self._leeway = leeway
        self._refetch = refetch_seconds
        self._algorithms = list(algorithms)
        self._clock = clock
        self._keys: KeySet | None = None
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def _fetch_keys(self) -> KeySet:
        if self._jwks_uri is None:
            metadata = await fetch_json(
                self._http, "GET", self._first_issuer + "/.well-known/openid-configuration"
            )
            uri = metadata.get("jwks_uri") if isinstance(metadata, dict) else None
            if not isinstance(uri, str):
                raise InvalidToken("invalid")
            self._jwks_uri = uri
        document = await fetch_json(self._http, "GET", self._jwks_uri)
        try:
            return KeySet.import_key_set(document)
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise InvalidToken("invalid") from exc

    async def _key_set(self, *, stale: bool) -> KeySet:
        """The cached keys; fetched again when ``stale`` (an unknown kid) and the last
        fetch is older than ``refetch_seconds``. One fetch at a time."""
        async with self._lock:
            due = self._clock() - self._fetched_at >= self._refetch
            if self._keys is None or (stale and due):
                self._fetched_at = self._clock()
                self._keys = await self._fetch_keys()
            return self._keys

    def _decode(self, presented: str, keys: KeySet) -> jwt.Token | None:
        """The verified token; ``None`` when no published key has its kid."""
        try:
            return jwt.decode(presented, keys, algorithms=self._algorithms)
        except InvalidKeyIdError:
            return None
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise InvalidToken("invalid") from exc

    async def verify(self, presented: str) -> VerifiedToken:
        if not plausible_token(presented) or presented.count(".") != 2:
            raise InvalidToken("invalid")
        token = self._decode(presented, await self._key_set(stale=False))
        if token is None:
            token = self._decode(presented, await self._key_set(stale=True))
        if token is None:
            raise InvalidToken("invalid")
        if str(token.header.get("typ", "")).lower() not in ACCESS_TOKEN_TYPES:
            raise InvalidToken("invalid")
        return self._validated(token.claims)

    def _validated(self, claims: dict[str, Any]) -> VerifiedToken:
        """RFC 9068 §4: iss, aud, exp; then the token's facts."""
        if claims.get("iss") not in self._issuers:
            raise InvalidToken("invalid")
        audience = claims.get("aud")
        audiences = [audience] if isinstance(audience, str) else audience
        if not isinstance(audiences, list) or self._audience not in audiences:
            raise InvalidToken("invalid")
        now = self._clock()
        exp, iat = claims.get("exp"), claims.get("iat")
        if not isinstance(exp, int) or isinstance(exp, bool):
            raise InvalidToken("invalid")
        if exp + self._leeway <= now:
            raise InvalidToken("expired")
        nbf = claims.get("nbf")
        if isinstance(nbf, int) and nbf - self._leeway > now:
            raise InvalidToken("invalid")
        client_id, subject = _claim_str(claims, "client_id"), _claim_str(claims, "sub")
        scope = claims.get("scope", "")
        space = claims.get("space")
        username = claims.get("username")
        return VerifiedToken(
            client_id=client_id,
            scopes=frozenset(scope.split()) if isinstance(scope, str) else frozenset(),
            subject=subject,
            # RFC 9068 §2.2: a client acting for itself has its client id as ``sub``
            for_user=subject != client_id,
            username=username if isinstance(username, str) else None,
            space=space if isinstance(space, str) else None,
            issued_at=iat if isinstance(iat, int) else None,
            expires_at=exp,
        )

    async def aclose(self) -> None:
        await self._http.aclose()
