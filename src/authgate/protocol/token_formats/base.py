"""The access-token format as one strategy (DESIGN.md, "Seams"): the minter asks it what
a new row stores and then to write the token for the stored row; every reader of a
presented token asks it which row the string names and whether it proves it. Neither
knows what the string looks like.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from authgate.domain import AccessToken, Client, NewAccessToken, TokenFormat, TokenId
from authgate.protocol.context import Issuer


@dataclass(frozen=True, slots=True)
class TokenDraft:
    """A new access token before its row is stored."""

    format: TokenFormat
    #: what the row stores in ``secret_digest``
    secret_digest: bytes
    #: the secret behind the digest, if the token hands one out (opaque tokens)
    secret: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class MintedAccessToken:
    """A row just stored, and what a format may need to write its token."""

    token_id: TokenId
    draft: TokenDraft
    row: NewAccessToken
    client: Client
    #: the issuer the token is minted for (the request's)
    issuer: Issuer
    #: when the user signed in, if known (OpenID Connect ``auth_time``)
    auth_time: int | None = None


class PresentedAccessToken(Protocol):
    """A presented string that names a row; the row logic then decides (revoked, expired,
    client gone)."""

    @property
    def token_id(self) -> TokenId: ...

    def proves(self, row: AccessToken) -> bool:
        """Whether the presented string is the token of ``row`` (not merely its id)."""
        ...


class AccessTokenFormat(Protocol):
    def prepare(self, client: Client, *, expires: bool) -> TokenDraft:
        """A draft of a new token for ``client`` (one that ``expires``, or never does)."""
        ...

    async def render(self, minted: MintedAccessToken) -> str:
        """The access token handed to the client for ``minted``."""
        ...

    async def parse(self, presented: str) -> PresentedAccessToken | None:
        """The row ``presented`` claims to be, or ``None`` for anything this format did
        not write. Never raises on hostile input."""
        ...

    def epoch(self) -> object | None:
        """What :meth:`parse` depends on besides the string (a JWT's: the published
        keys), as one object that stays the same while a parse of the same string would
        say the same; ``None`` when that is not known now (protocol/proven.py)."""
        ...
