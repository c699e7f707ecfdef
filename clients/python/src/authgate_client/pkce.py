"""Proof Key for Code Exchange (RFC 7636), S256 only."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets

#: §4.1: 43 to 128 characters of ALPHA / DIGIT / "-" / "." / "_" / "~"
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")


def make_code_verifier(length: int = 64) -> str:
    """A high-entropy ``code_verifier`` of ``length`` characters (§4.1; at least 256 bits
    of randomness at the default)."""
    if not 43 <= length <= 128:
        raise ValueError("a code_verifier has 43 to 128 characters (RFC 7636 §4.1)")
    return secrets.token_urlsafe(length)[:length]


def s256_challenge(verifier: str) -> str:
    """§4.2: ``BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))``, without padding."""
    if not _VERIFIER.fullmatch(verifier):
        raise ValueError("not a code_verifier: 43 to 128 of A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1)")
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
