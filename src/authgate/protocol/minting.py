"""Mint access and refresh tokens for a grant and store their digests.

The access token's format (opaque or JWT) is the strategy's business
(protocol/token_formats/): the minter stores the row, then asks the strategy to write it.
Refresh tokens are always opaque.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from authgate.crypto.tokens import digest, format_token, new_secret
from authgate.domain import (
    NEVER,
    TOKEN_EXCHANGE,
    AccessToken,
    AuthorizationCode,
    Client,
    GrantFacts,
    IssuedTokens,
    NewAccessToken,
    NewRefreshToken,
    RefreshToken,
    SpaceId,
    TokenId,
    UserId,
)
from authgate.protocol.context import Issuer
from authgate.protocol.grant_policy import GrantPolicy
from authgate.protocol.token_formats import AccessTokenFormat, MintedAccessToken, TokenDraft
from authgate.storage.base import CodeStore, TokenStore


class TokenMinter:
    def __init__(
        self,
        tokens: TokenStore,
        codes: CodeStore,
        *,
        access_lifetime: int,
        refresh_lifetime: int,
        clock: Callable[[], float],
        formats: AccessTokenFormat,
        root: Issuer,
        grants: GrantPolicy | None = None,
    ) -> None:
        self._tokens = tokens
        self._codes = codes
        self._formats = formats
        #: the issuer of tokens minted without a request (the CLI's test tokens)
        self._root = root
        #: ``access_token_lifetime``: seconds, or ``None`` for never (it is 0, seed 000)
        self.default_access_lifetime = None if access_lifetime == NEVER else access_lifetime
        self._refresh_lifetime = refresh_lifetime
        self._grants = grants or GrantPolicy()
        self.clock = clock

    def now(self) -> int:
        return int(self.clock())

    def access_lifetime(self, client: Client) -> int | None:
        """Seconds an access token for ``client`` lives: its own lifetime, else the
        server's; ``None`` for never (seed 000). RFC 6749 §5.1 makes ``expires_in``
        RECOMMENDED only: a token that never expires is answered without one."""
        if client.token_lifetime is None:
            return self.default_access_lifetime
        return None if client.token_lifetime == NEVER else client.token_lifetime

    async def _write(
        self,
        client: Client,
        token_id: TokenId,
        draft: TokenDraft,
        row: NewAccessToken,
        issuer: Issuer | None,
        auth_time: int | None,
    ) -> str:
        return await self._formats.render(
            MintedAccessToken(token_id, draft, row, client, issuer or self._root, auth_time)
        )

    def gives_refresh_tokens(self, client: Client) -> bool:
        """Only to a client that may use the refresh grant now (it may be off)."""
        return client.refresh_policy != "none" and self._grants.allows(client, "refresh_token")

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
        space_id: SpaceId | None = None,
    ) -> tuple[TokenDraft, NewAccessToken, int | None]:
        lifetime = None if never_expires else self.access_lifetime(client)
        draft = self._formats.prepare(client, expires=lifetime is not None)
        row = NewAccessToken(
            secret_digest=draft.secret_digest,
            client_pk=client.pk,
            user_id=user_id,
            scope=scope,
            issued_at=now,
            expires_at=None if lifetime is None else now + lifetime,
            family_id=family_id,
            grant_type=grant_type,
            space_id=space_id,
        )
        return draft, row, lifetime

    def _new_refresh(
        self,
        client: Client,
        user_id: UserId | None,
        scope: str,
        now: int,
        *,
        space_id: SpaceId | None,
        auth_time: int | None,
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
            space_id=space_id,
            auth_time=auth_time,
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
        space_id: SpaceId | None = None,
        auth_time: int | None = None,
        issuer: Issuer | None = None,
    ) -> IssuedTokens:
        """Tokens for ``client`` (and ``user_id``), bound to ``space_id`` if given, minted
        by ``issuer`` (the request's; the root issuer if ``None``); ``auth_time`` is when
        the user signed in, if they just did."""
        now = self.now()
        draft, access, lifetime = self._new_access(
            client,
            user_id,
            scope,
            grant_type,
            now,
            None,
            never_expires=never_expires,
            space_id=space_id,
        )
        refresh = None
        if with_refresh and self.gives_refresh_tokens(client):
            refresh_secret, refresh = self._new_refresh(
                client, user_id, scope, now, space_id=space_id, auth_time=auth_time
            )
        access_id, refresh_id = await self._tokens.issue(access, refresh)
        return IssuedTokens(
            access_token=await self._write(client, access_id, draft, access, issuer, auth_time),
            expires_in=lifetime,
            scope=scope,
            refresh_token=None if refresh_id is None else format_token(refresh_id, refresh_secret),
            facts=GrantFacts(client, user_id, scope, space_id, auth_time),
        )

    async def rotate(
        self, client: Client, old: RefreshToken, scope: str, *, issuer: Issuer | None = None
    ) -> IssuedTokens | None:
        """RFC 6749 §6 with rotation (RFC 9700 §4.14.2): a new access token for ``scope``
        and a new refresh token with the old one's scope; ``None`` if ``old`` was taken."""
        now = self.now()
        draft, access, lifetime = self._new_access(
            client, old.user_id, scope, "refresh_token", now, old.family_id, space_id=old.space_id
        )
        refresh_secret, refresh = self._new_refresh(
            client, old.user_id, old.scope, now, space_id=old.space_id, auth_time=old.auth_time
        )
        ids = await self._tokens.rotate(old, now, access, refresh)
        if ids is None:
            return None
        access_id, refresh_id = ids
        assert refresh_id is not None
        return IssuedTokens(
            access_token=await self._write(client, access_id, draft, access, issuer, old.auth_time),
            expires_in=lifetime,
            scope=scope,
            refresh_token=format_token(refresh_id, refresh_secret),
            # Core §12.2: the new id token keeps auth_time and has no nonce.
            facts=GrantFacts(client, old.user_id, scope, old.space_id, old.auth_time),
        )

    async def exchange(
        self,
        client: Client,
        subject: AccessToken,
        scope: str,
        space_id: SpaceId,
        *,
        issuer: Issuer | None = None,
    ) -> IssuedTokens | None:
        """RFC 8693: an access token for ``subject``'s user, bound to ``space_id``, in
        ``subject``'s family (revoking the family revokes it), living no longer than
        ``subject``; no refresh token. ``None`` if ``subject`` was revoked meanwhile.
        ``issuer`` is the space's: the token is the space's as if issued there."""
        now = self.now()
        draft, access, lifetime = self._new_access(
            client, subject.user_id, scope, TOKEN_EXCHANGE, now, subject.root_id, space_id=space_id
        )
        cap = subject.expires_at
        if cap is not None and (access.expires_at is None or access.expires_at > cap):
            access = replace(access, expires_at=cap)
            lifetime = cap - now
        token_id = await self._tokens.derive(subject.id, access)
        if token_id is None:
            return None
        # No facts: an exchange issues the requested access token only, never an id token.
        return IssuedTokens(
            access_token=await self._write(client, token_id, draft, access, issuer, None),
            expires_in=lifetime,
            scope=scope,
        )

    async def redeem(
        self, client: Client, code: AuthorizationCode, *, issuer: Issuer | None = None
    ) -> IssuedTokens | None:
        """Tokens for an authorization code, stored atomically with the code's use;
        ``None`` if another redemption of the same code won."""
        now = self.now()
        draft, access, lifetime = self._new_access(
            client,
            code.user_id,
            code.scope,
            "authorization_code",
            now,
            None,
            space_id=code.space_id,
        )
        refresh = None
        if self.gives_refresh_tokens(client):
            refresh_secret, refresh = self._new_refresh(
                client,
                code.user_id,
                code.scope,
                now,
                space_id=code.space_id,
                auth_time=code.auth_time,
            )
        ids = await self._codes.redeem(code, now, access, refresh)
        if ids is None:
            return None
        access_id, refresh_id = ids
        return IssuedTokens(
            access_token=await self._write(
                client, access_id, draft, access, issuer, code.auth_time
            ),
            expires_in=lifetime,
            scope=code.scope,
            refresh_token=None if refresh_id is None else format_token(refresh_id, refresh_secret),
            facts=GrantFacts(
                client,
                code.user_id,
                code.scope,
                code.space_id,
                code.auth_time,
                code.nonce,
            ),
        )
