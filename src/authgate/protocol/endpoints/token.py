"""The token endpoint (RFC 6749 §3.2): authenticate the client, count the request against
the client's rate limit, dispatch to its grant, then let the extensions add to the response
(the id token, later token-exchange fields)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Protocol

from authgate.domain import BEARER, Client, IssuedTokens, TokenTypeName
from authgate.errors import InvalidRequest, UnauthorizedClient, UnsupportedGrantType
from authgate.protocol.client_auth import ClientAuthenticator
from authgate.protocol.context import RequestContext
from authgate.protocol.grant_policy import GrantPolicy
from authgate.protocol.grants.base import Grant
from authgate.protocol.requests import Params


class TokenExtension(Protocol):
    async def extend(self, issued: IssuedTokens, context: RequestContext) -> dict[str, str | int]:
        """Fields to add to the token response of an issued grant (empty for none)."""
        ...


class ClientRateLimit(Protocol):
    async def check(self, client: Client) -> None:
        """Count one token request of ``client``; raise an ``OAuthError`` (``slow_down``)
        when it is over its limit."""
        ...


class TokenEndpoint:
    def __init__(
        self,
        authenticator: ClientAuthenticator,
        grants: Iterable[Grant],
        extensions: Sequence[TokenExtension] = (),
        rate_limit: ClientRateLimit | None = None,
        *,
        token_type: TokenTypeName = BEARER,
        policy: GrantPolicy | None = None,
    ) -> None:
        self._authenticator = authenticator
        self._policy = policy or GrantPolicy()
        #: RFC 6749 §5.2: a grant the server does not offer is ``unsupported_grant_type``
        self._grants = {g.grant_type: g for g in grants if g.grant_type in self._policy.offered}
        self._extensions = tuple(extensions)
        self._rate_limit = rate_limit
        #: §5.1 ``token_type``, as this server spells it (case insensitive, §7.1)
        self._token_type = token_type

    @property
    def grant_types(self) -> list[str]:
        return sorted(self._grants)

    async def handle(
        self, params: Params, authorization: str | None, context: RequestContext
    ) -> IssuedTokens:
        grant_type = params.get("grant_type")
        if grant_type is None:
            raise InvalidRequest("missing required parameter 'grant_type'")
        grant = self._grants.get(grant_type)
        if grant is None:
            raise UnsupportedGrantType(f"grant_type {grant_type[:60]!r} is not supported")
        client = await self._authenticator.authenticate(params, authorization)
        if self._rate_limit is not None:
            # Counted before the grant does any work: over the limit, nothing is checked.
            await self._rate_limit.check(client)
        if not self._policy.allows(client, grant_type):
            raise UnauthorizedClient(f"this client is not allowed to use the {grant_type} grant")
        issued = await grant.issue(client, params, context)
        extra: dict[str, str | int] = {}
        for extension in self._extensions:
            extra.update(await extension.extend(issued, context))
        if not extra and issued.token_type == self._token_type:
            return issued
        return dataclasses.replace(
            issued, extra={**issued.extra, **extra}, token_type=self._token_type
        )
