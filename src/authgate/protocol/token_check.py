"""Check a presented access token (the heart of RFC 6750 on the resource side).

Which row a presented string names, and whether it proves it, is the access-token
format's business (protocol/token_formats/); the rules on the row are the same for every
format."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from authgate.domain import AccessToken, Client, UserId
from authgate.errors import InvalidToken
from authgate.protocol.scopes import OIDC_SCOPE_NAMES
from authgate.protocol.token_formats import AccessTokenFormat
from authgate.storage.base import ClientStore, TokenStore

EXPIRED = "The access token expired"  # exactly as seed 003 documents it
INVALID = "The access token is invalid"
REVOKED = "The access token was revoked"


@dataclass(frozen=True, slots=True)
class TokenInfo:
    token: AccessToken
    client: Client
    #: the token's scopes, less any the client has since lost
    scopes: frozenset[str]

    @property
    def user_id(self) -> UserId | None:
        return self.token.user_id


class AccessTokenChecker:
    def __init__(
        self,
        tokens: TokenStore,
        clients: ClientStore,
        clock: Callable[[], float],
        *,
        formats: AccessTokenFormat,
    ) -> None:
        self._tokens = tokens
        self._clients = clients
        self._clock = clock
        self._formats = formats

    async def check(self, presented: str) -> TokenInfo:
        parsed = await self._formats.parse(presented)
        if parsed is None:
            raise InvalidToken(INVALID)
        token = await self._tokens.access(parsed.token_id)
        if token is None or not parsed.proves(token):
            raise InvalidToken(INVALID)
        if token.revoked_at is not None:
            raise InvalidToken(REVOKED)
        if token.expires_at is not None and token.expires_at <= self._clock():
            raise InvalidToken(EXPIRED)
        client = await self._clients.by_pk(token.client_pk)
        if client is None:
            raise InvalidToken(REVOKED)
        # Seed 000: changing a client's scopes never adds scopes to tokens issued before;
        # and a scope the client has lost is lost by its tokens too (OpenID Connect's scopes
        # are every client's).
        granted = frozenset(token.scope.split())
        scopes = granted & client.scopes
        if scopes != granted:
            scopes |= granted & OIDC_SCOPE_NAMES
        return TokenInfo(token=token, client=client, scopes=scopes)
