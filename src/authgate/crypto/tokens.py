"""Random secrets and their digests.

Tokens have the form ``<row id>.<secret>``: the row id is a non-secret, time-ordered
integer that makes look-ups and inserts cheap; the secret carries 256 random bits and only
its SHA-256 digest is stored. A slow hash buys nothing for a 256-bit random value.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SECRET_BYTES = 32  # 256 bits
MAX_TOKEN_LENGTH = 200


def new_secret() -> str:
    """A URL-safe secret of 256 random bits (43 characters)."""
    return secrets.token_urlsafe(SECRET_BYTES)


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()


def matches(secret: str, expected_digest: bytes | None) -> bool:
    """Constant-time comparison of a presented secret with a stored digest."""
    if expected_digest is None:
        return False
    return hmac.compare_digest(digest(secret), expected_digest)


def format_token(row_id: int, secret: str) -> str:
    return f"{row_id}.{secret}"


def parse_token(token: str) -> tuple[int, str] | None:
    """Split ``<id>.<secret>``; ``None`` for anything not of that shape."""
    if len(token) > MAX_TOKEN_LENGTH:
        return None
    row_id, sep, secret = token.partition(".")
    if not sep or not secret or not row_id.isascii() or not row_id.isdigit():
        return None
    if len(row_id) > 19:
        return None
    value = int(row_id)
    if value >= 2**63:
        return None
    return value, secret


def new_client_id() -> str:
    """A random, URL-safe client identifier (128 bits)."""
    return secrets.token_urlsafe(16)
