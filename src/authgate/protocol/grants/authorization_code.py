"""RFC 6749 §4.1.3: exchange an authorization code for tokens, with PKCE (RFC 7636)."""

from __future__ import annotations

from typing import ClassVar

from authgate.audit.log import AuditLog
from authgate.crypto.tokens import matches, parse_token
from authgate.domain import Client, IssuedTokens, TokenId
from authgate.errors import InvalidGrant
from authgate.protocol import pkce
from authgate.protocol.context import RequestContext
from authgate.protocol.grants.base import record_reuse, require, user_is_active
from authgate.protocol.minting import TokenMinter
from authgate.protocol.requests import Params
from authgate.storage.base import CodeStore, TokenStore, UserStore

INVALID = "the authorization code is invalid, expired or was already used"


class AuthorizationCodeGrant:
    grant_type: ClassVar[str] = "authorization_code"

    def __init__(
        self,
        minter: TokenMinter,
        codes: CodeStore,
        tokens: TokenStore,
        *,
        require_redirect_uri: bool = False,
        audit: AuditLog | None = None,
        users: UserStore | None = None,
    ) -> None:
        #: a disabled user's grant is refused even if its revocation raced with this one
        self._users = users
        self._minter = minter
        self._codes = codes
        self._tokens = tokens
        self._audit = audit
        #: the server requires redirect_uri at authorization, so here too (§4.1.3)
        self._require_redirect_uri = require_redirect_uri

    async def issue(self, client: Client, params: Params, context: RequestContext) -> IssuedTokens:
        parsed = parse_token(require(params, "code"))
        if self._require_redirect_uri:
            require(params, "redirect_uri")
        if parsed is None:
            raise InvalidGrant(INVALID)
        code_id, secret = parsed
        code = await self._codes.get(TokenId(code_id))
        # §4.1.3: ensure the code was issued to the authenticated confidential client, and
        # (OpenID Connect, seed 001) by the issuer it is redeemed at.
        if (
            code is None
            or not matches(secret, code.secret_digest)
            or code.client_pk != client.pk
            or code.space_id != context.issuer.space_id
        ):
            raise InvalidGrant(INVALID)
        now = self._minter.now()
        if code.used_at is not None:
            # §4.1.2: "If an authorization code is used more than once, the authorization
            # server MUST deny the request and SHOULD revoke (when possible) all tokens
            # previously issued based on that authorization code."
            if code.family_id is not None:
                revoked = await self._tokens.revoke_family(code.family_id, now)
                record_reuse(
                    self._audit,
                    client,
                    context,
                    kind="authorization_code",
                    family=code.family_id,
                    user_id=code.user_id,
                    revoked=revoked,
                )
            raise InvalidGrant(INVALID)
        if code.expires_at <= now:
            raise InvalidGrant(INVALID)
        # §4.1.3: redirect_uri is REQUIRED if it was included in the authorization request,
        # and the values MUST be identical.
        if code.redirect_uri is not None and params.get("redirect_uri") != code.redirect_uri:
            raise InvalidGrant("redirect_uri does not match the one used for authorization")
        pkce.verify(params.get("code_verifier"), code.code_challenge, code.code_challenge_method)
        if not await user_is_active(self._users, code.user_id):
            raise InvalidGrant(INVALID)
        issued = await self._minter.redeem(client, code, issuer=context.issuer)
        if issued is None:  # a concurrent redemption won; revoke what it issued
            replayed = await self._codes.get(code.id)
            if replayed is not None and replayed.family_id is not None:
                revoked = await self._tokens.revoke_family(replayed.family_id, now)
                record_reuse(
                    self._audit,
                    client,
                    context,
                    kind="authorization_code",
                    family=replayed.family_id,
                    user_id=code.user_id,
                    revoked=revoked,
                )
            raise InvalidGrant(INVALID)
        return issued
