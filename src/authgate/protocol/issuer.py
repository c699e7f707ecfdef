"""Mint access and refresh tokens for a grant and store their digests."""

from __future__ import annotations

from collections.abc import Callable

from authgate.crypto.tokens import digest, format_token, new_secret
from authgate.domain import (
    NEVER,
    AuthorizationCode,
    Client,
    IssuedTokens,
    NewAccessToken,
    NewRefreshToken,
    RefreshToken,
    TokenId,
    UserId,
)
from authgate.storage.base import CodeStore, TokenStore


class TokenIssuer:
    def __init__(
        self,
        tokens: TokenStore,
        codes: CodeStore,
        *,
        access_lifetime: int,
        refresh_lifetime: int,
        clock: Callable[[], float],
    ) -> None:
        self._tokens = tokens
        self._codes = codes
        self._access_lifetime = access_lifetime
        self._refresh_lifetime = refresh_lifetime
        self.clock = clock

    def now(self) -> int:
        return int(self.clock())

    def access_lifetime(self, client: Client) -> int | None:
        """Seconds an access token for ``client`` lives; ``None`` for never (seed 000)."""
        if client.token_lifetime is None:
            return self._access_lifetime
        return None if client.token_lifetime == NEVER else client.token_lifetime

    def gives_refresh_tokens(self, client: Client) -> bool:
        return client.refresh_policy != "none" and client.allows_grant("refresh_token")

    def _new_access(
        self,
        client: Client,
        user_id: UserId | None,
        scope: str,
        grant_type: str,
        now: int,
        family_id: TokenId | None,
        *,
        never_expires: bool = False,
    ) -> tuple[str, NewAccessToken, int | None]:
        secret = new_secret()
        lifetime = None if never_expires else self.access_lifetime(client)
        row = NewAccessToken(
            secret_digest=digest(secret),
            client_pk=client.pk,
            user_id=user_id,
            scope=scope,
            issued_at=now,
            expires_at=None if lifetime is None else now + lifetime,
            family_id=family_id,
            grant_type=grant_type,
        )
        return secret, row, lifetime

    def _new_refresh(
        self, client: Client, user_id: UserId | None, scope: str, now: int
    ) -> tuple[str, NewRefreshToken]:
        secret = new_secret()
        lifetime = self._refresh_lifetime
        return secret, NewRefreshToken(
            secret_digest=digest(secret),
            client_pk=client.pk,
            user_id=user_id,
            scope=scope,
            issued_at=now,
            expires_at=now + lifetime if lifetime else None,
        )

    async def issue(
        self,
        client: Client,
        user_id: UserId | None,
        scope: str,
        grant_type: str,
        *,
        with_refresh: bool,
        never_expires: bool = False,
    ) -> IssuedTokens:
        now = self.now()
        secret, access, lifetime = self._new_access(
            client, user_id, scope, grant_type, now, None, never_expires=never_expires
        )
        refresh = None
        if with_refresh and self.gives_refresh_tokens(client):
            refresh_secret, refresh = self._new_refresh(client, user_id, scope, now)
        access_id, refresh_id = await self._tokens.issue(access, refresh)
        return IssuedTokens(
            access_token=format_token(access_id, secret),
            expires_in=lifetime,
            scope=scope,
            refresh_token=None if refresh_id is None else format_token(refresh_id, refresh_secret),
        )

    async def rotate(self, client: Client, old: RefreshToken, scope: str) -> IssuedTokens | None:
        """RFC 6749 §6 with rotation (RFC 9700 §4.14.2): a new access token for ``scope``
        and a new refresh token with the old one's scope; ``None`` if ``old`` was taken."""
        now = self.now()
        secret, access, lifetime = self._new_access(
            client, old.user_id, scope, "refresh_token", now, old.family_id
        )
        refresh_secret, refresh = self._new_refresh(client, old.user_id, old.scope, now)
        ids = await self._tokens.rotate(old, now, access, refresh)
        if ids is None:
            return None
        access_id, refresh_id = ids
        assert refresh_id is not None
        return IssuedTokens(
            access_token=format_token(access_id, secret),
            expires_in=lifetime,
            scope=scope,
            refresh_token=format_token(refresh_id, refresh_secret),
        )

    async def redeem(self, client: Client, code: AuthorizationCode) -> IssuedTokens | None:
        """Tokens for an authorization code, stored atomically with the code's use;
        ``None`` if another redemption of the same code won."""
        now = self.now()
        secret, access, lifetime = self._new_access(
            client, code.user_id, code.scope, "authorization_code", now, None
        )
        refresh = None
        if self.gives_refresh_tokens(client):
            refresh_secret, refresh = self._new_refresh(client, code.user_id, code.scope, now)
        ids = await self._codes.redeem(code, now, access, refresh)
        if ids is None:
            return None
        access_id, refresh_id = ids
        return IssuedTokens(
            access_token=format_token(access_id, secret),
            expires_in=lifetime,
            scope=code.scope,
            refresh_token=None if refresh_id is None else format_token(refresh_id, refresh_secret),
        )
