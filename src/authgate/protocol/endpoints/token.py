"""The token endpoint (RFC 6749 §3.2): authenticate the client, dispatch to its grant."""

from __future__ import annotations

from collections.abc import Iterable

from authgate.domain import IssuedTokens
from authgate.errors import InvalidRequest, UnauthorizedClient, UnsupportedGrantType
from authgate.protocol.client_auth import ClientAuthenticator
from authgate.protocol.context import RequestContext
from authgate.protocol.grants.base import Grant
from authgate.protocol.requests import Params


class TokenEndpoint:
    def __init__(self, authenticator: ClientAuthenticator, grants: Iterable[Grant]) -> None:
        self._authenticator = authenticator
        self._grants = {grant.grant_type: grant for grant in grants}

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
        if not client.allows_grant(grant_type):
            raise UnauthorizedClient(f"this client is not allowed to use the {grant_type} grant")
        return await grant.issue(client, params, context)
