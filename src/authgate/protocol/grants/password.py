"""RFC 6749 §4.3: resource owner password credentials (off unless the client allows it).

An unknown e-mail and a wrong password get the same error after the same work, and
repeated failures for one account name are throttled.
"""

from __future__ import annotations

from typing import ClassVar

from authgate.crypto.passwords import verify_password
from authgate.domain import Client, IssuedTokens
from authgate.errors import InvalidGrant
from authgate.protocol.grants.base import require
from authgate.protocol.issuer import TokenIssuer
from authgate.protocol.requests import Params
from authgate.protocol.scopes import format_scope, narrow, parse_scope
from authgate.protocol.throttle import FailureThrottle
from authgate.storage.base import UserStore

WRONG_CREDENTIALS = "the e-mail address or password is not correct"


class PasswordGrant:
    grant_type: ClassVar[str] = "password"

    def __init__(self, issuer: TokenIssuer, users: UserStore, throttle: FailureThrottle) -> None:
        self._issuer = issuer
        self._users = users
        self._throttle = throttle

    async def issue(self, client: Client, params: Params) -> IssuedTokens:
        username = require(params, "username")
        password = require(params, "password")
        scopes = narrow(parse_scope(params.get("scope")), client.scopes)
        key = "password:" + username.strip().lower()
        wait = await self._throttle.retry_after(key)
        if wait:
            raise InvalidGrant(
                f"too many failed attempts for this account; try again in {wait} seconds",
                headers={"Retry-After": str(wait)},
            )
        user = await self._users.by_email(username)
        ok = await verify_password(user.password_hash if user else None, password)
        if user is None or not ok or not user.is_active:
            await self._throttle.failed(key)
            raise InvalidGrant(WRONG_CREDENTIALS)
        await self._throttle.succeeded(key)
        return await self._issuer.issue(
            client, user.id, format_scope(scopes), self.grant_type, with_refresh=True
        )
