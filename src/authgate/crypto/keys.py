"""Signing keys for id tokens and JWT access tokens (JWS, RFC 7515) with joserfc:
generate, seal, sign, verify.

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
from joserfc.jws import JWSRegistry

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
        self._algorithms = [alg]

    def sign(self, claims: dict[str, Any], *, typ: str = "JWT") -> str:
        """A compact JWS of ``claims`` with the header ``typ`` (RFC 9068 §2.1: access
        tokens say ``at+jwt``)."""
        header = {"alg": self.alg, "kid": self.kid, "typ": typ}
        return jwt.encode(header, claims, self._key, algorithms=self._algorithms)


class Verifier:
    """Verifies signatures of one published public key, for its one algorithm: a header
    naming another algorithm (``none``, or HS256 keyed with the public key) never reaches
    this key. The key is parsed once, when the key set is loaded."""

    def __init__(self, public_jwk: dict[str, Any], kid: str, alg: Algorithm) -> None:
        self.kid = kid
        self.alg = alg
        self._key = import_key(public_jwk)
        self._model = JWSRegistry(algorithms=[alg]).get_alg(alg)
        self._model.check_key(self._key)

    def verify(self, signing_input: bytes, signature: bytes) -> bool:
        try:
            return bool(self._model.verify(signing_input, signature, self._key))
        except ValueError:  # e.g. an ECDSA signature that is not two integers
            return False
