"""Signing keys for id tokens (JWS, RFC 7515) with joserfc: generate, seal, sign.

Private keys are kept only sealed with the server's secret key (:class:`SecretBox`); the
``kid`` is the key's RFC 7638 thumbprint, so it names the key material itself.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from typing import Any, Literal

from joserfc import jwt
from joserfc.errors import SecurityWarning
from joserfc.jwk import ECKey, Key, OKPKey, RSAKey, import_key

from authgate.crypto.secretbox import SecretBox

# "EdDSA" (RFC 8037) is what relying parties know today; RFC 9864 prefers "Ed25519".
warnings.filterwarnings("ignore", message="EdDSA is deprecated", category=SecurityWarning)

Algorithm = Literal["RS256", "ES256", "EdDSA"]
ALGORITHMS: tuple[Algorithm, ...] = ("RS256", "ES256", "EdDSA")


def generate(alg: Algorithm) -> Key:
    """A new private key for ``alg``: RSA 2048, P-256 or Ed25519."""
    if alg == "RS256":
        return RSAKey.generate_key(2048, private=True)
    if alg == "ES256":
        return ECKey.generate_key("P-256", private=True)
    return OKPKey.generate_key("Ed25519", private=True)


@dataclass(frozen=True)
class SealedKey:
    kid: str
    alg: Algorithm
    public_jwk: dict[str, Any]
    private_sealed: str


def seal(key: Key, alg: Algorithm, box: SecretBox) -> SealedKey:
    kid = key.thumbprint()
    public = {**key.as_dict(private=False), "kid": kid, "alg": alg, "use": "sig"}
    return SealedKey(kid, alg, public, box.seal(json.dumps(key.as_dict(private=True))))


def unseal(sealed: str, box: SecretBox) -> Key | None:
    """The private key, or ``None`` when it was sealed under another secret key."""
    plain = box.open(sealed)
    return None if plain is None else import_key(json.loads(plain))


class Signer:
    """Signs JWTs with one private key, naming it in the ``kid`` header."""

    def __init__(self, key: Key, kid: str, alg: Algorithm) -> None:
        self._key = key
        self.kid = kid
        self.alg = alg
        self._header = {"alg": alg, "kid": kid, "typ": "JWT"}
        self._algorithms = [alg]

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(self._header, claims, self._key, algorithms=self._algorithms)
