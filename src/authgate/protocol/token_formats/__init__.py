"""Access-token formats: opaque ``<id>.<secret>`` and RFC 9068 JWTs, behind one strategy."""

from __future__ import annotations

from authgate.protocol.token_formats.base import (
    AccessTokenFormat,
    MintedAccessToken,
    PresentedAccessToken,
    TokenDraft,
)
from authgate.protocol.token_formats.choice import AccessTokenFormats
from authgate.protocol.token_formats.jwt import JwtFormat
from authgate.protocol.token_formats.opaque import OpaqueFormat

__all__ = [
    "AccessTokenFormat",
    "AccessTokenFormats",
    "JwtFormat",
    "MintedAccessToken",
    "OpaqueFormat",
    "PresentedAccessToken",
    "TokenDraft",
]
