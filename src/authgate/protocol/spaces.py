"""Who may use a space's issuer: its members (seed 001)."""

from __future__ import annotations

from authgate.domain import UserId
from authgate.protocol.context import Issuer
from authgate.storage.base import SpaceStore

NOT_A_MEMBER = "the user is not a member of this space"


class SpaceMembers:
    def __init__(self, spaces: SpaceStore) -> None:
        self._spaces = spaces

    async def admit(self, issuer: Issuer, user_id: UserId | None) -> bool:
        """Whether the user may sign in to apps (or keep their tokens fresh) through
        ``issuer``: always on the root issuer, only as a member on a space's. Tokens of
        an app acting for itself (no user) are not about membership."""
        if issuer.space is None or user_id is None:
            return True
        return await self._spaces.membership(issuer.space.id, user_id) is not None
