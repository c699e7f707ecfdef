"""Token introspection (RFC 7662): may this token be used, and for what?

The caller authenticates as at the token endpoint. A client registered as a resource
server may introspect any client's tokens; any other client only its own (§4: the server
MUST decide who may see which tokens). Whatever is dead, unknown, of another issuer, or
not the caller's to see is ``{"active": false}`` and nothing more (§2.2).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from authgate.crypto.tokens import matches, parse_token
from authgate.domain import BEARER, Client, TokenId, TokenTypeName, UserId
from authgate.errors import InvalidRequest, InvalidToken
from authgate.protocol.client_auth import ClientAuthenticator
from authgate.protocol.context import RequestContext
from authgate.protocol.endpoints.revoke import HINTS
from authgate.protocol.requests import Params
from authgate.protocol.scopes import OIDC_SCOPE_NAMES, format_scope
from authgate.protocol.token_check import AccessTokenChecker
from authgate.storage.base import ClientStore, TokenStore, UserStore

INACTIVE: dict[str, Any] = {"active": False}


class IntrospectionEndpoint:
    def __init__(
        self,
        authenticator: ClientAuthenticator,
        checker: AccessTokenChecker,
        tokens: TokenStore,
        clients: ClientStore,
        users: UserStore,
        clock: Callable[[], float],
        *,
        token_type: TokenTypeName = BEARER,
        audience: str | None = None,
    ) -> None:
        self._authenticator = authenticator
        #: §2.2 ``aud`` of access tokens: what their JWTs say (``access_token_audience``,
        #: else the issuer URL), whichever format they are in
        self._audience = audience
        #: §2.2 ``token_type`` of access tokens, spelled as in the token responses
        self._token_type = token_type
        self._checker = checker
        self._tokens = tokens
        self._clients = clients
        self._users = users
        self._clock = clock

    async def handle(
        self, params: Params, authorization: str | None, context: RequestContext
    ) -> dict[str, Any]:
        caller = await self._authenticator.authenticate(params, authorization)
        presented = params.get("token")
        if presented is None:
            raise InvalidRequest("missing required parameter 'token'")
        order = HINTS[::-1] if params.get("token_type_hint") == "refresh_token" else HINTS
        for kind in order:
            found = await (
                self._access(presented, caller, context)
                if kind == "access_token"
                else self._refresh(presented, caller, context)
            )
            if found is not None:
                return found
        return INACTIVE

    @staticmethod
    def _may_see(
        caller: Client, owner: Client, space_id: int | None, context: RequestContext
    ) -> bool:
        return (
            caller.resource_server or caller.pk == owner.pk
        ) and space_id == context.issuer.space_id

    async def _access(
        self, presented: str, caller: Client, context: RequestContext
    ) -> dict[str, Any] | None:
        try:
            info = await self._checker.check(presented)
        except InvalidToken:
            return None
        if not self._may_see(caller, info.client, info.token.space_id, context):
            return INACTIVE
        token = info.token
        return await self._active(
            context,
            info.client,
            token.user_id,
            info.scopes,
            token.issued_at,
            token.expires_at,
            self._token_type,
            token.space_id,
            self._audience or context.issuer.url,
        )

    async def _refresh(
        self, presented: str, caller: Client, context: RequestContext
    ) -> dict[str, Any] | None:
        parsed = parse_token(presented)
        if parsed is None:
            return None
        refresh = await self._tokens.refresh(TokenId(parsed[0]))
        if refresh is None or not matches(parsed[1], refresh.secret_digest):
            return None
        now = self._clock()
        owner = await self._clients.by_pk(refresh.client_pk)
        dead = (
            refresh.revoked_at is not None
            or refresh.used_at is not None
            or (refresh.expires_at is not None and refresh.expires_at <= now)
        )
        if dead or owner is None or not self._may_see(caller, owner, refresh.space_id, context):
            return INACTIVE
        scopes = frozenset(refresh.scope.split()) & (owner.scopes | OIDC_SCOPE_NAMES)
        return await self._active(
            context,
            owner,
            refresh.user_id,
            scopes,
            refresh.issued_at,
            refresh.expires_at,
            "refresh_token",
            refresh.space_id,
            context.issuer.url,  # presented to the authorization server only
        )

    async def _active(
        self,
        context: RequestContext,
        owner: Client,
        user_id: UserId | None,
        scopes: frozenset[str],
        issued_at: int,
        expires_at: int | None,
        token_type: str,
        space_id: int | None,
        audience: str,
    ) -> dict[str, Any]:
        """§2.2's members for an active token."""
        body: dict[str, Any] = {
            "active": True,
            "scope": format_scope(scopes),
            "client_id": owner.client_id,
            "token_type": token_type,
            "iat": issued_at,
            "iss": context.issuer.url,
            "aud": audience,
        }
        if expires_at is not None:
            body["exp"] = expires_at
        if user_id is not None:
            found, user = self._users.peek_by_id(user_id)
            if not found:
                user = await self._users.by_id(user_id)
            if user is None or not user.is_active:
                return INACTIVE
            body["sub"] = user.subject
            body["username"] = user.email
        else:
            body["sub"] = owner.client_id
        if context.issuer.space is not None and space_id is not None:
            body["space"] = context.issuer.space.slug
        return body
