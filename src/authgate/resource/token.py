"""What every way of checking a token hands to the API: a :class:`VerifiedToken`."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, Protocol

if TYPE_CHECKING:
    from authgate.domain import User, UserId
    from authgate.protocol.token_check import TokenInfo


# Immutable and built for every request: a NamedTuple costs half of a frozen dataclass.
class VerifiedToken(NamedTuple):
    """An access token that is active now, as the API may rely on it.

    The same shape comes from a local check against authgate's database, from RFC 7662
    introspection and from RFC 9068 JWT verification, so an API can move between them.
    """

    client_id: str
    #: the scopes the token may use now (the client's and the user's current rights)
    scopes: frozenset[str]
    #: the user's OpenID Connect ``sub``, or the client id for a client acting for itself
    subject: str
    #: whether the token acts for a user (``False``: client credentials)
    for_user: bool
    #: the user's e-mail address, when the check knows it
    username: str | None = None
    #: the slug of the space the token is bound to; ``None``: every space of the user
    space: str | None = None
    issued_at: int | None = None
    expires_at: int | None = None
    #: the rows behind the token, when it was checked against authgate's own database
    local: TokenInfo | None = None
    #: the user's row, read by that check (``None`` for other checks and client tokens)
    user: User | None = None

    @property
    def user_id(self) -> UserId | None:
        """authgate's row id of the user (local checks only)."""
        return None if self.local is None else self.local.user_id

    def has(self, *scopes: str) -> bool:
        return set(scopes) <= self.scopes


class TokenVerifier(Protocol):
    async def verify(self, presented: str) -> VerifiedToken:
        """The token's facts, or :class:`authgate.errors.InvalidToken`."""
        ...
