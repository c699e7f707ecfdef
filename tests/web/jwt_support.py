"""Helpers for the JWT access-token tests: verify as an independent resource server would,
and build tokens by hand."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

JWKS = "/.well-known/jwks.json"
ALGORITHMS = ["RS256", "ES256", "EdDSA"]


def is_jwt(token: str) -> bool:
    return token.count(".") == 2 and token.startswith("eyJ")


async def verify_with_jwks(http: httpx.AsyncClient, token: str) -> tuple[dict[str, Any], Any]:
    """Header and claims of ``token``, verified with joserfc against the published key set
    only (no authgate code): what a resource server does with RFC 9068 §4."""
    document = (await http.get(JWKS)).json()
    decoded = jwt.decode(token, KeySet.import_key_set(document), algorithms=ALGORITHMS)
    assert decoded.header["kid"] in {k["kid"] for k in document["keys"]}
    claims: dict[str, Any] = decoded.claims
    return dict(decoded.header), claims


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def segment(value: Any) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode())


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header, payload, signature = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return (
        json.loads(base64.urlsafe_b64decode(pad(header))),
        json.loads(base64.urlsafe_b64decode(pad(payload))),
        signature,
    )
