"""ID token validation, OpenID Connect Core §3.1.3.7 (and §3.2.2.11 for ``at_hash``).

The signature is joserfc's work, against the issuer's published key set; this module
checks the claims. Only asymmetric algorithms are accepted: never ``none``, never an HMAC
keyed with the client secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from authgate_client.errors import InvalidIdToken

#: what this client verifies, whatever the server lists
ASYMMETRIC = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)


class KeyNotFound(InvalidIdToken):
    """The token's ``kid`` is not in the key set (fetch it again: the key was rotated)."""


@dataclass(frozen=True)
class IdTokenCheck:
    issuer: str | None
    client_id: str
    #: the nonce the authorization request sent; ``None``: none was sent (a refresh)
    nonce: str | None
    #: the access token that came with the id token, for ``at_hash``
    access_token: str | None
    #: implicit ``id_token token`` responses MUST carry ``at_hash`` (§3.2.2.10)
    at_hash_required: bool
    algorithms: Collection[str]
    #: seconds of clock difference allowed on ``exp`` and ``iat``
    leeway: float
    now: float


def half_hash(value: str, alg: str) -> str:
    """§3.1.3.6: base64url of the left half of the hash of ``value`` with the hash of the
    JWS algorithm (SHA-512 for EdDSA on Ed25519)."""
    if alg == "EdDSA" or alg.endswith("512"):
        digest = hashlib.sha512(value.encode("ascii")).digest()
    elif alg.endswith("384"):
        digest = hashlib.sha384(value.encode("ascii")).digest()
    else:
        digest = hashlib.sha256(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


def _number(claims: dict[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidIdToken(f"the id token has no numeric {name}")
    return float(value)


def validate_id_token(id_token: str, keys: KeySet, check: IdTokenCheck) -> dict[str, Any]:
    """The claims of a valid id token; :class:`InvalidIdToken` naming the failed check
    otherwise (:class:`KeyNotFound` for an unknown ``kid``)."""
    allowed = [a for a in (check.algorithms or ASYMMETRIC) if a in ASYMMETRIC] or list(ASYMMETRIC)
    try:
        token = jwt.decode(id_token, keys, algorithms=allowed)
    except InvalidKeyIdError:
        raise KeyNotFound("the id token is signed with a key the issuer does not publish") from None
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise InvalidIdToken(f"the id token's signature does not verify ({exc})") from None
    claims = dict(token.claims)
    # 2. iss MUST exactly match the issuer.
    if check.issuer is None:
        raise InvalidIdToken("the issuer is unknown (no discovery): id tokens cannot be checked")
    if claims.get("iss") != check.issuer:
        raise InvalidIdToken(f"the id token's iss {claims.get('iss')!r} is not {check.issuer!r}")
    # 3. aud MUST contain the client_id; 4./5. with several audiences, azp MUST be it.
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if check.client_id not in audiences:
        raise InvalidIdToken("the id token is not for this client (aud)")
    if len(audiences) > 1 and claims.get("azp") != check.client_id:
        raise InvalidIdToken("the id token has several audiences and azp is not this client")
    # 9. the current time MUST be before exp; 10. iat bounds the token's age.
    if _number(claims, "exp") + check.leeway <= check.now:
        raise InvalidIdToken("the id token expired")
    if _number(claims, "iat") - check.leeway > check.now:
        raise InvalidIdToken("the id token was issued in the future (iat)")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise InvalidIdToken("the id token has no sub")
    # 11. nonce MUST be present and equal when the request sent one.
    if check.nonce is not None:
        nonce = claims.get("nonce")
        if not isinstance(nonce, str) or not hmac.compare_digest(
            nonce.encode(), check.nonce.encode()
        ):
            raise InvalidIdToken("the id token's nonce is not the one the request sent")
    # §3.2.2.9 / §3.1.3.8: at_hash, when present (required in the implicit flow).
    at_hash = claims.get("at_hash")
    if at_hash is None and check.at_hash_required and check.access_token is not None:
        raise InvalidIdToken("the id token has no at_hash")
    if at_hash is not None and check.access_token is not None:
        expected = half_hash(check.access_token, str(token.header.get("alg", "")))
        if not isinstance(at_hash, str) or not hmac.compare_digest(at_hash, expected):
            raise InvalidIdToken("the id token's at_hash does not match the access token")
    return claims
