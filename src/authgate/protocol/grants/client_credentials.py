"""RFC 6749 §4.4: the client acts on its own behalf."""

from __future__ import annotations

from typing import ClassVar

from authgate.domain import Client, IssuedTokens
from authgate.errors import UnauthorizedClient
from authgate.protocol.context import RequestContext
from authgate.protocol.minting import TokenMinter
from authgate.protocol.requests import Params
from authgate.protocol.scopes import format_scope, narrow, requested_scope


class ClientCredentialsGrant:
    grant_type: ClassVar[str] = "client_credentials"

    def __init__(self, minter: TokenMinter, *, require_scope: bool = False) -> None:
        self._minter = minter
        #: §4.4.2's scope is OPTIONAL; the setting ``require_scope`` removes the default (§3.3)
        self._require_scope = require_scope

    async def issue(self, client: Client, params: Params, context: RequestContext) -> IssuedTokens:
        # §4.4: "The client credentials grant type MUST only be used by confidential clients."
        if client.is_public:
            raise UnauthorizedClient("public clients cannot use the client_credentials grant")
        requested = requested_scope(params.get("scope"), required=self._require_scope)
        scopes = narrow(requested, client.scopes)
        # §4.4.3: "A refresh token SHOULD NOT be included."
        return await self._minter.issue(
            client,
            None,
            format_scope(scopes),
            self.grant_type,
            with_refresh=False,
            space_id=context.issuer.space_id,
            issuer=context.issuer,
        )
