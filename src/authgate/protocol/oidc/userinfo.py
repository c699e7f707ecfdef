"""The UserInfo endpoint (OpenID Connect Core §5.3): the claims an access token's scopes
release, for the issuer that issued it."""

from __future__ import annotations

from typing import Any

from authgate.errors import InsufficientScope, InvalidToken
from authgate.protocol.context import Issuer
from authgate.protocol.oidc.claims import OPENID, user_claims
from authgate.protocol.token_check import TokenInfo
from authgate.storage.base import SpaceStore, UserStore


class UserInfo:
    def __init__(self, users: UserStore, spaces: SpaceStore) -> None:
        self._users = users
        self._spaces = spaces

    async def claims(self, info: TokenInfo, issuer: Issuer) -> dict[str, Any]:
        """§5.3.2 claims, or an RFC 6750 error (§5.3.3)."""
        if OPENID not in info.scopes or info.user_id is None:
            raise InsufficientScope("the UserInfo endpoint needs the scope 'openid'", OPENID)
        if info.token.space_id != issuer.space_id:
            raise InvalidToken("other_issuer")
        user = await self._users.by_id(info.user_id)
        if user is None or not user.is_active:
            raise InvalidToken("revoked")
        membership = None
        if issuer.space is not None:
            membership = await self._spaces.membership(issuer.space.id, user.id)
            if membership is None:
                raise InvalidToken("not_a_member")
        return user_claims(user, membership, info.scopes)
