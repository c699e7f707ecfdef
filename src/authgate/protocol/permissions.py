"""What a user may do in a space, decided at request time (seed 001).

A token's effective scope in a space is the scope it was granted, intersected with what
its user may do there now: nothing at all for someone who is not a member (``None``, which
is not the same as an empty scope), and for a member everything granted except the scopes
revoked from their membership and, unless their role is ``admin``, the ``admin_scopes``.
So an admin whose rights were revoked, or a member removed from a space, loses that access
on the next request, without new tokens.

Memberships are read through a cache (``token_cache_seconds``): a change made through this
process takes effect here at once, one made elsewhere (the CLI, another worker) within
that time, or at once when :meth:`Permissions.forget` is called.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from authgate.domain import Membership, Space, SpaceId, UserId


class MembershipSource(Protocol):
    """The memberships, read through a cache that :meth:`forget` empties
    (storage.cache.CachedSpaceStore)."""

    async def membership(self, space_id: SpaceId, user_id: UserId) -> Membership | None: ...
    async def spaces_of(self, user_id: UserId) -> list[tuple[Space, Membership]]: ...
    def forget(self) -> None: ...


class TokenSubject(Protocol):
    """What :meth:`Permissions.scopes_in` needs of a checked token (a ``TokenInfo``)."""

    @property
    def user_id(self) -> UserId | None: ...
    @property
    def space_id(self) -> SpaceId | None: ...
    @property
    def scopes(self) -> frozenset[str]: ...


class Permissions:
    def __init__(self, spaces: MembershipSource, admin_scopes: Iterable[str]) -> None:
        self._spaces = spaces
        #: scopes only members with the role ``admin`` may use
        self.admin_scopes = frozenset(admin_scopes)

    def usable(self, membership: Membership, granted: frozenset[str]) -> frozenset[str]:
        """The part of ``granted`` this member may use now (possibly empty)."""
        usable = granted - membership.revoked_scopes
        if membership.role != "admin":
            usable -= self.admin_scopes
        return usable

    async def membership(self, space_id: SpaceId, user_id: UserId) -> Membership | None:
        """The user's membership of the space, ``None`` for a non-member (cached)."""
        return await self._spaces.membership(space_id, user_id)

    async def effective(
        self, space_id: SpaceId, user_id: UserId, granted: frozenset[str]
    ) -> frozenset[str] | None:
        """``granted`` narrowed to what the user may do in the space now; ``None`` when the
        user is not a member (no access at all)."""
        membership = await self._spaces.membership(space_id, user_id)
        return None if membership is None else self.usable(membership, granted)

    async def scopes_in(
        self,
        subject: TokenSubject | UserId,
        space_id: SpaceId,
        granted: frozenset[str] | None = None,
    ) -> frozenset[str] | None:
        """The scopes a checked token (or a user holding ``granted``) has on the space's
        resources; ``None`` when it has no access there.

        A token bound to another space has none. A user's token, bound to this space or to
        none, has what :meth:`effective` allows. A token of a client acting for itself has
        its scopes only in the space it is bound to. For a token, ``granted`` (default: all
        its scopes) can only narrow them; for a bare user id it is required.
        """
        if isinstance(subject, int):
            if granted is None:
                raise TypeError("scopes_in(user_id, ...) needs the scopes granted")
            return await self.effective(space_id, subject, granted)
        scopes = subject.scopes if granted is None else granted & subject.scopes
        if subject.space_id is not None and subject.space_id != space_id:
            return None
        if subject.user_id is None:
            return scopes if subject.space_id == space_id else None
        return await self.effective(space_id, subject.user_id, scopes)

    async def spaces_of(self, user_id: UserId) -> list[tuple[Space, Membership]]:
        """Every space the user is a member of (seed 002), with the membership, by slug;
        read from the database, not the cache."""
        return await self._spaces.spaces_of(user_id)

    def forget(self) -> None:
        """Drop every cached membership, for a change made in another process."""
        self._spaces.forget()
