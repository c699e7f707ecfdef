"""Check tokens against authgate's own database: for an API served by the same process or
sharing its database. Sees revocations at once (within ``token_cache_seconds`` on other
workers), and the user's current rights."""

from __future__ import annotations

from authgate.domain import SpaceId
from authgate.errors import InvalidToken
from authgate.protocol.token_check import AccessTokenChecker
from authgate.resource.token import VerifiedToken
from authgate.storage.base import SpaceStore, UserStore
from authgate.storage.cache import TtlCache


class LocalVerifier:
    def __init__(
        self,
        checker: AccessTokenChecker,
        users: UserStore,
        spaces: SpaceStore,
        *,
        cache_seconds: float = 60.0,
    ) -> None:
        self._checker = checker
        self._users = users
        self._spaces = spaces
        #: a space's slug never changes; only its deletion does
        self._slugs: TtlCache[SpaceId, str] = TtlCache(cache_seconds, 10_000)

    async def _slug(self, space_id: SpaceId) -> str:
        found, slug = self._slugs.hit(space_id)
        if found and slug is not None:
            return slug
        space = await self._spaces.by_id(space_id)
        if space is None:
            raise InvalidToken("revoked")
        self._slugs.put(space_id, space.slug)
        return space.slug

    async def verify(self, presented: str) -> VerifiedToken:
        info = await self._checker.check(presented)
        token = info.token
        subject, username, user = info.client.client_id, None, None
        if token.user_id is not None:
            user = await self._users.by_id(token.user_id)
            if user is None or not user.is_active:
                raise InvalidToken("revoked")
            subject, username = user.subject, user.email
        return VerifiedToken(
            client_id=info.client.client_id,
            scopes=info.scopes,
            subject=subject,
            for_user=token.user_id is not None,
            username=username,
            space=None if token.space_id is None else await self._slug(token.space_id),
            issued_at=token.issued_at,
            expires_at=token.expires_at,
            local=info,
            user=user,
        )
