"""RFC 6749 §6 with rotation and reuse detection (RFC 9700 §4.14.2).

Every refresh returns a new refresh token and the old one dies. Presenting a used one
revokes the whole family: the thief and the victim both lose access, and the user signs in
again.
"""

from __future__ import annotations

from typing import ClassVar

from authgate.audit.log import AuditLog
from authgate.crypto.tokens import matches, parse_token
from authgate.domain import Client, IssuedTokens, RefreshToken, TokenId
from authgate.errors import InvalidGrant
from authgate.protocol.context import RequestContext
from authgate.protocol.grants.base import record_reuse, require, user_is_active
from authgate.protocol.minting import TokenMinter
from authgate.protocol.requests import Params
from authgate.protocol.scopes import OIDC_SCOPE_NAMES, format_scope, narrow, parse_scope
from authgate.protocol.spaces import NOT_A_MEMBER, SpaceMembers
from authgate.storage.base import TokenStore, UserStore

INVALID = "the refresh token is invalid, expired or revoked"


class RefreshTokenGrant:
    grant_type: ClassVar[str] = "refresh_token"

    def __init__(
        self,
        minter: TokenMinter,
        tokens: TokenStore,
        members: SpaceMembers,
        *,
        audit: AuditLog | None = None,
        users: UserStore | None = None,
    ) -> None:
        #: a disabled user's grant is refused even if its revocation raced with this one
        self._users = users
        self._minter = minter
        self._tokens = tokens
        self._members = members
        self._audit = audit

    async def _reused(self, client: Client, context: RequestContext, old: RefreshToken) -> None:
        """RFC 9700 §4.14.2: revoke the family of a refresh token presented again."""
        revoked = await self._tokens.revoke_family(old.family_id, self._minter.now())
        record_reuse(
            self._audit,
            client,
            context,
            kind="refresh_token",
            family=old.family_id,
            user_id=old.user_id,
            revoked=revoked,
        )

    async def issue(self, client: Client, params: Params, context: RequestContext) -> IssuedTokens:
        parsed = parse_token(require(params, "refresh_token"))
        if parsed is None:
            raise InvalidGrant(INVALID)
        token_id, secret = parsed
        old = await self._tokens.refresh(TokenId(token_id))
        if old is None or not matches(secret, old.secret_digest):
            raise InvalidGrant(INVALID)
        # §6: "the authorization server MUST ... validate the refresh token" and that it
        # was issued to the authenticated client.
        # The same answer as for an unknown token (or one of another issuer): it must not
        # confirm that the token exists.
        if old.client_pk != client.pk or old.space_id != context.issuer.space_id:
            raise InvalidGrant(INVALID)
        now = self._minter.now()
        if old.revoked_at is not None:
            raise InvalidGrant(INVALID)
        if old.used_at is not None:
            await self._reused(client, context, old)
            raise InvalidGrant(
                "the refresh token was already used; every token of this grant is now revoked"
            )
        if old.expires_at is not None and old.expires_at <= now:
            raise InvalidGrant("the refresh token expired")
        if not await self._members.admit(context.issuer, old.user_id):
            raise InvalidGrant(NOT_A_MEMBER)
        if not await user_is_active(self._users, old.user_id):
            raise InvalidGrant(INVALID)
        # §6: the requested scope MUST NOT include any scope not originally granted.
        original = frozenset(old.scope.split()) & (client.scopes | OIDC_SCOPE_NAMES)
        scopes = narrow(parse_scope(params.get("scope")), original, what="the original grant")
        issued = await self._minter.rotate(client, old, format_scope(scopes), issuer=context.issuer)
        if issued is None:  # a concurrent request used it first: treat as reuse
            await self._reused(client, context, old)
            raise InvalidGrant(
                "the refresh token was already used; every token of this grant is now revoked"
            )
        return issued
