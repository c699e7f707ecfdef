"""Read a JWS in compact serialization (RFC 7515 §7.1) without trusting it.

:func:`split` does the cheap checks that need no key, so that oversize, garbled or
hostile strings are refused before any signature is verified: ASCII only, bounded
sizes, three base64url segments (RFC 7515 §2: no padding), a header that is a JSON
object naming ``alg``. The signature is verified by :class:`authgate.crypto.keys.Verifier`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

#: base64url without padding; a length of 4n+1 never decodes
_SEGMENT = re.compile(r"[A-Za-z0-9_-]*").fullmatch


@dataclass(frozen=True, slots=True)
class CompactJws:
    header: dict[str, Any]
    #: ``BASE64URL(header) "." BASE64URL(payload)``, what the signature covers
    signing_input: bytes
    payload_segment: str
    signature: bytes

    def claims(self) -> dict[str, Any] | None:
        """The payload as a JSON object (call after the signature verified)."""
        value = _json(self.payload_segment)
        return value if isinstance(value, dict) else None


def b64url_decode(segment: str) -> bytes | None:
    if len(segment) % 4 == 1 or not _SEGMENT(segment):
        return None
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        return None


def _json(segment: str) -> Any:
    raw = b64url_decode(segment)
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None


def split(token: str, *, max_length: int, max_header_length: int) -> CompactJws | None:
    """The parts of ``token``, or ``None`` when it cannot be a compact JWS of ours."""
    if len(token) > max_length or not token.isascii():
        return None
    parts = token.split(".")
    if len(parts) != 3:
        return None
    header_segment, payload_segment, signature_segment = parts
    if not header_segment or len(header_segment) > max_header_length or not payload_segment:
        return None
    header = _json(header_segment)
    if not isinstance(header, dict) or not isinstance(header.get("alg"), str):
        return None
    signature = b64url_decode(signature_segment)
    if not signature or not _SEGMENT(payload_segment):
        return None
    signing_input = f"{header_segment}.{payload_segment}".encode("ascii")
    return CompactJws(header, signing_input, payload_segment, signature)
