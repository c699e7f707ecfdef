"""Core §3.1.3.3: a token response for a grant with the ``openid`` scope carries an
``id_token``; so does a refresh of one (§12.2)."""

from __future__ import annotations

from authgate.domain import IssuedTokens
from authgate.protocol.context import RequestContext
from authgate.protocol.oidc.claims import OPENID
from authgate.protocol.oidc.id_token import IdTokenMinter, IdTokenRequest
from authgate.storage.base import SpaceStore, UserStore


class IdTokenExtension:
    def __init__(self, minter: IdTokenMinter, users: UserStore, spaces: SpaceStore) -> None:
        self._minter = minter
        self._users = users
        self._spaces = spaces

    async def extend(self, issued: IssuedTokens, context: RequestContext) -> dict[str, str | int]:
        facts = issued.facts
        scopes = frozenset(issued.scope.split())
        if facts is None or facts.user_id is None or OPENID not in scopes:
            return {}
        user = await self._users.by_id(facts.user_id)
        if user is None:
            return {}
        membership = None
        if facts.space_id is not None:
            membership = await self._spaces.membership(facts.space_id, user.id)
        id_token = await self._minter.mint(
            IdTokenRequest(
                issuer=context.issuer.url,
                client_id=facts.client.client_id,
                user=user,
                membership=membership,
                scopes=scopes,
                auth_time=facts.auth_time,
                nonce=facts.nonce,
                access_token=issued.access_token,
            )
        )
        return {"id_token": id_token}
