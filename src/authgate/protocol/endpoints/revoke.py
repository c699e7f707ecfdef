"""Token revocation (RFC 7009): a client says it no longer needs a token.

§2.2: the answer is 200 whether or not the token was known, so the endpoint tells nothing
about which tokens exist. A client revokes only its own tokens (§2.1); another client's
token, or one issued by another issuer, is left alone with the same 200.
"""

from __future__ import annotations

from authgate.crypto.tokens import matches, parse_token
from authgate.domain import Client, TokenId
from authgate.errors import InvalidRequest
from authgate.protocol.client_auth import ClientAuthenticator
from authgate.protocol.context import RequestContext
from authgate.protocol.minting import TokenMinter
from authgate.protocol.requests import Params
from authgate.protocol.token_formats import AccessTokenFormat
from authgate.storage.base import TokenStore

#: §2.1: the hint only says where to look first; any other value is ignored.
HINTS = ("access_token", "refresh_token")


class RevocationEndpoint:
    def __init__(
        self,
        authenticator: ClientAuthenticator,
        tokens: TokenStore,
        minter: TokenMinter,
        formats: AccessTokenFormat,
    ) -> None:
        self._authenticator = authenticator
        self._tokens = tokens
        self._minter = minter
        self._formats = formats

    async def handle(
        self, params: Params, authorization: str | None, context: RequestContext
    ) -> None:
        """Revoke the token if it is the authenticated client's; raise only for a request
        that is itself wrong (RFC 6749 §5.2 errors)."""
        client = await self._authenticator.authenticate(params, authorization)
        presented = params.get("token")
        if presented is None:
            raise InvalidRequest("missing required parameter 'token'")
        order = HINTS[::-1] if params.get("token_type_hint") == "refresh_token" else HINTS
        for kind in order:
            revoke = self._revoke_access if kind == "access_token" else self._revoke_refresh
            if await revoke(presented, client, context):
                return

    async def _revoke_access(self, presented: str, client: Client, context: RequestContext) -> bool:
        """Whether ``presented`` is an access token, in whatever format (revoked now if it
        is the client's)."""
        parsed = await self._formats.parse(presented)
        if parsed is None:
            return False
        access = await self._tokens.access(parsed.token_id)
        if access is None or not parsed.proves(access):
            return False
        if access.client_pk == client.pk and access.space_id == context.issuer.space_id:
            await self._tokens.revoke_access(access.id, self._minter.now())
        return True

    async def _revoke_refresh(
        self, presented: str, client: Client, context: RequestContext
    ) -> bool:
        """Whether ``presented`` is a refresh token (always opaque); the grant is revoked
        if it is the client's."""
        parsed = parse_token(presented)
        if parsed is None:
            return False
        now = self._minter.now()
        space = context.issuer.space_id
        refresh = await self._tokens.refresh(TokenId(parsed[0]))
        if refresh is None or not matches(parsed[1], refresh.secret_digest):
            return False
        if refresh.client_pk == client.pk and refresh.space_id == space:
            # §2.1: revoking a refresh token SHOULD also invalidate the access tokens of
            # the same grant: the whole family goes.
            await self._tokens.revoke_family(refresh.family_id, now)
        return True
