"""Which format writes a new access token, and which one reads a presented string.

Both formats are always read, whatever is configured now: tokens written before a client
or the server switched format keep working until they expire.
"""

from __future__ import annotations

from authgate.domain import Client, TokenFormat
from authgate.protocol.token_formats.base import (
    AccessTokenFormat,
    MintedAccessToken,
    PresentedAccessToken,
    TokenDraft,
)
from authgate.protocol.token_formats.opaque import OpaqueFormat


class AccessTokenFormats:
    """The one strategy the minter and every reader of access tokens use: it writes a
    token in the client's format (``Client.access_token_format``, else the server's
    ``access_token_format`` setting) and reads either format by its shape (a JWT has two
    dots, an opaque token one).

    A token that never expires is always opaque: RFC 9068 §2.2 requires ``exp``, and a
    JWT without one could never be revoked where it is only verified against the JWKS.
    """

    def __init__(
        self, opaque: OpaqueFormat, jwt: AccessTokenFormat, *, default: TokenFormat
    ) -> None:
        self._opaque = opaque
        self._jwt = jwt
        self.default: TokenFormat = default

    def format_for(self, client: Client, *, expires: bool) -> TokenFormat:
        """The format of ``client``'s new access tokens (of those that expire, or not)."""
        if not expires:
            return "opaque"
        return client.access_token_format or self.default

    def prepare(self, client: Client, *, expires: bool) -> TokenDraft:
        chosen = self._jwt if self.format_for(client, expires=expires) == "jwt" else self._opaque
        return chosen.prepare(client, expires=expires)

    async def render(self, minted: MintedAccessToken) -> str:
        chosen = self._jwt if minted.draft.format == "jwt" else self._opaque
        return await chosen.render(minted)

    async def parse(self, presented: str) -> PresentedAccessToken | None:
        if presented.count(".") == 2:
            return await self._jwt.parse(presented)
        return self._opaque.parse_now(presented)

    def parse_now(self, presented: str) -> tuple[bool, PresentedAccessToken | None]:
        """``(True, what parse() says)`` for a string read without I/O (anything but a
        JWT's shape); ``(False, None)`` for a JWT, whose key may have to be loaded: await
        :meth:`parse`. Every bearer check starts here, so an opaque token costs no
        coroutine."""
        if presented.count(".") == 2:
            return False, None
        return True, self._opaque.parse_now(presented)

    def epoch(self) -> object | None:
        """What a parse depends on besides the string: the JWT format's (its published
        keys); an opaque token's parse depends on nothing else."""
        return self._jwt.epoch()
