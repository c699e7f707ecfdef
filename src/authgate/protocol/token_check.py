"""Check a presented access token (the heart of RFC 6750 on the resource side).

Which row a presented string names, and whether it proves it, is the access-token
format's business (protocol/token_formats/); the rules on the row are the same for every
format."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from authgate.domain import AccessToken, Client, SpaceId, UserId
from authgate.errors import InvalidToken
from authgate.protocol.permissions import Permissions
from authgate.protocol.proven import ProvenMemo
from authgate.protocol.scopes import OIDC_SCOPE_NAMES
from authgate.protocol.token_formats import AccessTokenFormats
from authgate.storage.base import ClientStore, TokenStore


# Immutable and built for every request: a NamedTuple costs half of a frozen dataclass.
class TokenInfo(NamedTuple):
    token: AccessToken
    client: Client
    #: the token's scopes, less any the client has since lost, and for a token bound to
    #: a space, less any its user may no longer use there (seed 001)
    scopes: frozenset[str]

    @property
    def user_id(self) -> UserId | None:
        return self.token.user_id

    @property
    def space_id(self) -> SpaceId | None:
        """The space the token is bound to (it works only on that space's resources), or
        ``None`` for a token that is not bound to one."""
        return self.token.space_id


class AccessTokenChecker:
    def __init__(
        self,
        tokens: TokenStore,
        clients: ClientStore,
        clock: Callable[[], float],
        permissions: Permissions,
        *,
        formats: AccessTokenFormats,
        proven_entries: int = 100_000,
    ) -> None:
        self._tokens = tokens
        self._clients = clients
        self._clock = clock
        self._permissions = permissions
        self._formats = formats
        #: tokens proven, by digest: what they concluded, and for a JWT the published keys
        #: it was verified with (protocol/proven.py)
        self.proven: ProvenMemo[tuple[TokenInfo, object | None]] = ProvenMemo(proven_entries)

    async def check(self, presented: str) -> TokenInfo:
        # Every API call and introspection runs this: a token already proven against the
        # rows still cached (a JWT: and the keys still published) is answered from its
        # memo (protocol/proven.py).
        key = ProvenMemo.key(presented)
        memo = self.proven.recall(key)
        if memo is not None:
            proven, keys = memo
            row = proven.token
            if (
                self._tokens.peek_access(row.id)[1] is row
                and self._clients.peek_by_pk(row.client_pk)[1] is proven.client
                and (keys is None or self._formats.epoch() is keys)
            ):
                if row.expires_at is not None and row.expires_at <= self._clock():
                    self.proven.forget(key)
                    raise InvalidToken("expired")
                if row.space_id is None or row.user_id is None:
                    return proven
                return await self._in_its_space(proven)
            self.proven.forget(key)
        # A cache hit, and an opaque token's parse, cost no coroutine (peek_*, parse_now).
        keys = None
        read, parsed = self._formats.parse_now(presented)
        if not read:
            keys = self._formats.epoch()  # before the verification: what it will use
            parsed = await self._formats.parse(presented)
        if parsed is None:
            raise InvalidToken("invalid")
        found, token = self._tokens.peek_access(parsed.token_id)
        if not found:
            token = await self._tokens.access(parsed.token_id)
        if token is None or not parsed.proves(token):
            raise InvalidToken("invalid")
        if token.revoked_at is not None:
            raise InvalidToken("revoked")
        if token.expires_at is not None and token.expires_at <= self._clock():
            raise InvalidToken("expired")
        found, client = self._clients.peek_by_pk(token.client_pk)
        if not found:
            client = await self._clients.by_pk(token.client_pk)
        if client is None:
            raise InvalidToken("revoked")
        # Seed 000: changing a client's scopes never adds scopes to tokens issued before;
        # and a scope the client has lost is lost by its tokens too (OpenID Connect's scopes
        # are every client's).
        granted = frozenset(token.scope.split())
        scopes = granted & client.scopes
        if scopes != granted:
            scopes |= granted & OIDC_SCOPE_NAMES
        info = TokenInfo(token, client, scopes)
        if read:
            self.proven.remember(key, (info, None))  # proven by the rows alone
        elif keys is not None and self._formats.epoch() is keys:
            # A JWT verified with keys that were current before and after: good while
            # they are. (Keys read again meanwhile: the next check remembers it.)
            self.proven.remember(key, (info, keys))
        if token.space_id is None or token.user_id is None:
            return info  # bound to no space: nothing more to ask
        return await self._in_its_space(info)

    async def _in_its_space(self, info: TokenInfo) -> TokenInfo:
        """Seed 001: a token bound to a space is worth, at each check, what its user may
        still do there; a user who left the space has lost it."""
        assert info.space_id is not None and info.user_id is not None
        scopes = await self._permissions.effective(info.space_id, info.user_id, info.scopes)
        if scopes is None:
            raise InvalidToken("not_a_member")
        return info if scopes == info.scopes else info._replace(scopes=scopes)
