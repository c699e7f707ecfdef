"""RFC 6749 §4.3: resource owner password credentials (off unless the client allows it).

An unknown e-mail and a wrong password get the same error after the same work. Failures
are budgeted per account name, per client address and per client (RFC 6749 §4.3.2: "the
authorization server MUST protect the endpoint against brute force attacks").
"""

from __future__ import annotations

from typing import ClassVar

from authgate.domain import Client, IssuedTokens
from authgate.errors import InvalidGrant, TemporarilyUnavailable
from authgate.protocol.context import RequestContext
from authgate.protocol.grants.base import require
from authgate.protocol.minting import TokenMinter
from authgate.protocol.password_check import (
    CheckUnavailable,
    PasswordCheck,
    TooManyFailures,
    WrongCredentials,
)
from authgate.protocol.requests import Params
from authgate.protocol.scopes import OIDC_SCOPE_NAMES, format_scope, narrow, requested_scope
from authgate.protocol.spaces import NOT_A_MEMBER, SpaceMembers

WRONG_CREDENTIALS = "the e-mail address or password is not correct"
_TOO_MANY = {
    "account": "too many failed attempts for this account",
    "address": "too many failed attempts from this address",
    "client": "too many failed attempts for this client",
}


class PasswordGrant:
    grant_type: ClassVar[str] = "password"

    def __init__(
        self,
        minter: TokenMinter,
        passwords: PasswordCheck,
        members: SpaceMembers,
        *,
        require_scope: bool = False,
    ) -> None:
        self._minter = minter
        self._passwords = passwords
        self._members = members
        #: §4.3.2's scope is OPTIONAL; the setting ``require_scope`` removes the default (§3.3)
        self._require_scope = require_scope

    async def issue(self, client: Client, params: Params, context: RequestContext) -> IssuedTokens:
        username = require(params, "username")
        password = require(params, "password")
        requested = requested_scope(params.get("scope"), required=self._require_scope)
        scopes = narrow(requested, client.scopes, also=OIDC_SCOPE_NAMES)
        try:
            user = await self._passwords.check(
                username,
                password,
                address=context.client_address,
                client=client.client_id,
                space_id=context.issuer.space_id,
            )
        except TooManyFailures as exc:
            raise InvalidGrant(
                f"{_TOO_MANY[exc.budget]}; try again in {exc.retry_after} seconds",
                headers={"Retry-After": str(exc.retry_after)},
            ) from None
        except CheckUnavailable as exc:
            raise TemporarilyUnavailable(
                "the server is busy; try again in a moment",
                headers={"Retry-After": str(exc.retry_after)},
            ) from None
        except WrongCredentials:
            raise InvalidGrant(WRONG_CREDENTIALS) from None
        if not await self._members.admit(context.issuer, user.id):
            raise InvalidGrant(NOT_A_MEMBER)
        return await self._minter.issue(
            client,
            user.id,
            format_scope(scopes),
            self.grant_type,
            with_refresh=True,
            space_id=context.issuer.space_id,
            auth_time=self._minter.now(),
            issuer=context.issuer,
        )
