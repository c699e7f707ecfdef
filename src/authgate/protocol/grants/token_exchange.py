"""RFC 8693 token exchange: a user's access token becomes one bound to one space.

Seed 000: "Initial tokens are user-specific, but our API allows you to request space
specific tokens after finalizing the authorization." The client sends its user's access
token as ``subject_token`` and names the space with ``resource`` (the space's issuer URL,
or one of its custom domains) or ``audience`` (its slug or issuer URL). The new token's
scope is the requested one (default: the subject token's), which may not go beyond the
subject token's, narrowed to what the user may do in the space (seed 001). It lives no
longer than the subject token, joins its family (revoking the grant revokes it) and comes
without a refresh token.

Errors (§2.2.2): a missing, malformed or unacceptable parameter or subject token is
``invalid_request``; a target that names no space the user belongs to is
``invalid_target``.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from authgate.domain import TOKEN_EXCHANGE, Client, IssuedTokens, Space
from authgate.errors import InvalidRequest, InvalidScope, InvalidTarget, InvalidToken
from authgate.protocol.context import RequestContext
from authgate.protocol.grants.base import require, user_is_active
from authgate.protocol.issuers import IssuerResolver
from authgate.protocol.minting import TokenMinter
from authgate.protocol.permissions import Permissions
from authgate.protocol.requests import Params
from authgate.protocol.scopes import format_scope, parse_scope
from authgate.protocol.token_check import AccessTokenChecker, TokenInfo
from authgate.storage.base import UserStore

#: RFC 8693 §3: the token type of an OAuth 2.0 access token
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
INVALID_SUBJECT = "the subject_token is not an active access token of this client and issuer"
NO_SPACE = "the {what} names no space the user is a member of"


class TokenExchangeGrant:
    grant_type: ClassVar[str] = TOKEN_EXCHANGE

    def __init__(
        self,
        minter: TokenMinter,
        checker: AccessTokenChecker,
        permissions: Permissions,
        issuers: IssuerResolver,
        *,
        users: UserStore | None = None,
    ) -> None:
        #: a disabled user's token is refused even if its revocation raced with this one
        self._users = users
        self._minter = minter
        self._checker = checker
        self._permissions = permissions
        self._issuers = issuers

    async def issue(self, client: Client, params: Params, context: RequestContext) -> IssuedTokens:
        presented = require(params, "subject_token")
        kind = require(params, "subject_token_type")
        if kind != ACCESS_TOKEN_TYPE:
            raise InvalidRequest(
                f"subject_token_type {kind[:80]!r} is not supported; send {ACCESS_TOKEN_TYPE}"
            )
        if "actor_token" in params or "actor_token_type" in params:
            raise InvalidRequest("actor_token (delegation) is not supported")
        wanted = params.get("requested_token_type", ACCESS_TOKEN_TYPE)
        if wanted != ACCESS_TOKEN_TYPE:
            raise InvalidRequest(
                f"requested_token_type {wanted[:80]!r} is not supported; "
                f"this server issues {ACCESS_TOKEN_TYPE}"
            )
        requested = parse_scope(params.get("scope"))
        if "resource" not in params and "audience" not in params:
            raise InvalidTarget("name the space with resource (its URL) or audience (its slug)")
        subject = await self._subject(presented, client, context)
        assert subject.user_id is not None
        space = await self._target(params, context)
        allowed = await self._permissions.effective(space.id, subject.user_id, subject.scopes)
        if allowed is None:
            raise InvalidTarget(NO_SPACE.format(what=_named_by(params)))
        if requested is not None and not requested <= subject.scopes:
            extra = format_scope(requested - subject.scopes)
            raise InvalidScope(f"scope {extra!r} is not in the subject_token's scope")
        scopes = (subject.scopes if requested is None else requested) & allowed
        if not scopes:
            raise InvalidScope("the user may use none of these scopes in this space")
        issued = await self._minter.exchange(
            client,
            subject.token,
            format_scope(scopes),
            space.id,
            issuer=self._issuers.space_issuer(space),
        )
        if issued is None:  # revoked while we were at it
            raise InvalidRequest(INVALID_SUBJECT)
        return dataclasses.replace(issued, extra={"issued_token_type": ACCESS_TOKEN_TYPE})

    async def _subject(self, presented: str, client: Client, context: RequestContext) -> TokenInfo:
        """§2.1: the subject token must be valid, here: a live access token of this client,
        issued by this issuer, acting for a user. Unknown, dead, foreign and other issuers'
        tokens get one answer, which confirms nothing about them."""
        try:
            info = await self._checker.check(presented)
        except InvalidToken:
            raise InvalidRequest(INVALID_SUBJECT) from None
        if info.client.pk != client.pk or info.space_id != context.issuer.space_id:
            raise InvalidRequest(INVALID_SUBJECT)
        if info.user_id is None:
            raise InvalidRequest("the subject_token acts for no user (a client's own token)")
        if not await user_is_active(self._users, info.user_id):
            raise InvalidRequest(INVALID_SUBJECT)
        return info

    async def _target(self, params: Params, context: RequestContext) -> Space:
        """The one space named by ``resource`` and ``audience`` (when both are sent, they
        must name the same space). A space's own issuer exchanges only for that space."""
        found: list[Space | None] = []
        if "resource" in params:
            found.append(await self._issuers.space_at(params["resource"]))
        if "audience" in params:
            audience = params["audience"]
            found.append(
                await self._issuers.space_at(audience)
                if "://" in audience
                else await self._issuers.space_named(audience)
            )
        space = found[0]
        if space is None or any(other is None or other.id != space.id for other in found):
            raise InvalidTarget(NO_SPACE.format(what=_named_by(params)))
        here = context.issuer.space
        if here is not None and space.id != here.id:
            raise InvalidTarget(f"the issuer of space {here.slug!r} issues tokens for it only")
        return space


def _named_by(params: Params) -> str:
    return " and ".join(name for name in ("resource", "audience") if name in params)
