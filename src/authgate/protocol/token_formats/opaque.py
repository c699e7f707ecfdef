"""Opaque access tokens: ``<row id>.<secret>`` (crypto/tokens.py); only the secret's
SHA-256 digest is stored, compared in constant time."""

from __future__ import annotations

from typing import NamedTuple

from authgate.crypto.tokens import digest, format_token, matches, new_secret, parse_token
from authgate.domain import AccessToken, Client, TokenId
from authgate.protocol.token_formats.base import MintedAccessToken, TokenDraft


# Immutable and built for every request: a NamedTuple costs half of a frozen dataclass.
class OpaquePresented(NamedTuple):
    token_id: TokenId
    secret: str

    def proves(self, row: AccessToken) -> bool:
        return matches(self.secret, row.secret_digest)


_STRING_ALONE = object()


class OpaqueFormat:
    def prepare(self, client: Client, *, expires: bool) -> TokenDraft:
        secret = new_secret()
        return TokenDraft("opaque", digest(secret), secret)

    async def render(self, minted: MintedAccessToken) -> str:
        return format_token(minted.token_id, minted.draft.secret)

    async def parse(self, presented: str) -> OpaquePresented | None:
        return self.parse_now(presented)

    def epoch(self) -> object | None:
        """A parse depends on the string alone."""
        return _STRING_ALONE

    @staticmethod
    def parse_now(presented: str) -> OpaquePresented | None:
        """:meth:`parse`, without a coroutine: an opaque token is read without I/O."""
        parsed = parse_token(presented)
        return None if parsed is None else OpaquePresented(TokenId(parsed[0]), parsed[1])
