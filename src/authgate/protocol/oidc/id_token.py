"""ID tokens (OpenID Connect Core §2, §3.1.3.6, §3.3.2.11, §12.2)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from joserfc import jwt
from joserfc.errors import JoseError

from authgate.crypto.keys import ALGORITHMS
from authgate.domain import Membership, User
from authgate.protocol.keyring import KeyRing
from authgate.protocol.oidc.claims import user_claims


def half_hash(value: str, alg: str) -> str:
    """Core §3.1.3.6 ``at_hash`` / §3.3.2.11 ``c_hash``: base64url of the left half of the
    hash of the ASCII value, with the hash of the JWS ``alg`` (SHA-256 for RS256 and ES256;
    SHA-512 for EdDSA with Ed25519, as the OpenID Foundation's certification expects)."""
    hasher = hashlib.sha512 if alg == "EdDSA" else hashlib.sha256
    full = hasher(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(full[: len(full) // 2]).rstrip(b"=").decode("ascii")


@dataclass(frozen=True, slots=True)
class IdTokenRequest:
    issuer: str
    client_id: str
    user: User
    membership: Membership | None
    scopes: frozenset[str]
    auth_time: int | None
    nonce: str | None = None
    access_token: str | None = None
    code: str | None = None


class IdTokenMinter:
    def __init__(self, keys: KeyRing, clock: Callable[[], float], *, lifetime: int) -> None:
        self._keys = keys
        self._clock = clock
        self.lifetime = lifetime

    async def mint(self, request: IdTokenRequest) -> str:
        signer = await self._keys.signer()
        now = int(self._clock())
        claims = {
            "iss": request.issuer,
            **user_claims(request.user, request.membership, request.scopes),
            "aud": request.client_id,
            "iat": now,
            "exp": now + self.lifetime,
        }
        if request.auth_time is not None:
            claims["auth_time"] = request.auth_time
        if request.nonce is not None:
            claims["nonce"] = request.nonce
        if request.access_token is not None:
            claims["at_hash"] = half_hash(request.access_token, signer.alg)
        if request.code is not None:
            claims["c_hash"] = half_hash(request.code, signer.alg)
        return signer.sign(claims)

    async def subject_of(self, token: str) -> str | None:
        """The ``sub`` of an id token this server signed (expired or not), else ``None``."""
        if len(token) > 8192:
            return None
        try:
            decoded = jwt.decode(token, await self._keys.public_keys(), algorithms=ALGORITHMS)
        except (JoseError, ValueError, TypeError):
            return None
        subject = decoded.claims.get("sub")
        return subject if isinstance(subject, str) else None
