"""In-process, time-bounded caches in front of the stores read on every request.

Clients are read on every token request, access-token rows, users and (for tokens bound to
a space) memberships on every API call.
A cached entry is trusted for at most ``ttl`` seconds, so a deleted client, a rotated
secret or a token revoked by another worker stops working within that bound everywhere,
without cross-process invalidation; a change made through this process takes effect here
at once.
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

from authgate.domain import (
    AccessToken,
    Client,
    ClientPk,
    Membership,
    NewAccessToken,
    NewClient,
    NewRefreshToken,
    RefreshToken,
    Space,
    SpaceId,
    TokenId,
    User,
    UserId,
)
from authgate.storage.base import ClientStore, SpaceStore, TokenStore, UserStore

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """Values (``None`` included: unknown keys are cached too, so that a flood of made-up
    ids stays off the database) trusted for ``ttl`` seconds; ``ttl=0`` disables it."""

    def __init__(self, ttl: float, max_entries: int) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._entries: dict[K, tuple[float, V | None]] = {}

    def hit(self, key: K) -> tuple[bool, V | None]:
        """``(True, value)`` while a fresh entry exists; a plain call, no await on a hit."""
        entry = self._entries.get(key)
        if entry is not None and entry[0] > time.monotonic():
            return True, entry[1]
        return False, None

    def put(self, key: K, value: V | None) -> V | None:
        if self._ttl:
            if len(self._entries) >= self._max:
                self._entries.clear()
            self._entries[key] = (time.monotonic() + self._ttl, value)
        return value

    def clear(self) -> None:
        self._entries.clear()


class CachedClientStore:
    def __init__(self, inner: ClientStore, ttl: float, max_entries: int = 10_000) -> None:
        self._inner = inner
        self._by_id: TtlCache[str, Client] = TtlCache(ttl, max_entries)
        self._by_pk: TtlCache[ClientPk, Client] = TtlCache(ttl, max_entries)

    def _forget(self) -> None:
        self._by_id.clear()
        self._by_pk.clear()

    async def by_client_id(self, client_id: str) -> Client | None:
        found, value = self._by_id.hit(client_id)
        if found:
            return value
        return self._by_id.put(client_id, await self._inner.by_client_id(client_id))

    async def by_pk(self, pk: ClientPk) -> Client | None:
        found, value = self._by_pk.hit(pk)
        if found:
            return value
        return self._by_pk.put(pk, await self._inner.by_pk(pk))

    async def create(self, new: NewClient) -> Client:
        self._forget()
        return await self._inner.create(new)

    async def all(self) -> list[Client]:
        return await self._inner.all()

    async def update(self, client_id: str, **changes: Any) -> Client | None:
        self._forget()
        return await self._inner.update(client_id, **changes)

    async def delete(self, client_id: str) -> bool:
        self._forget()
        return await self._inner.delete(client_id)


class CachedTokenStore:
    """Caches access-token rows; any revocation through this process clears the cache."""

    def __init__(self, inner: TokenStore, ttl: float, max_entries: int = 100_000) -> None:
        self._inner = inner
        self._access: TtlCache[TokenId, AccessToken] = TtlCache(ttl, max_entries)

    async def access(self, token_id: TokenId) -> AccessToken | None:
        found, value = self._access.hit(token_id)
        if found:
            return value
        return self._access.put(token_id, await self._inner.access(token_id))

    async def issue(
        self, access: NewAccessToken, refresh: NewRefreshToken | None = None
    ) -> tuple[TokenId, TokenId | None]:
        return await self._inner.issue(access, refresh)

    async def refresh(self, token_id: TokenId) -> RefreshToken | None:
        return await self._inner.refresh(token_id)

    async def rotate(
        self, old: RefreshToken, now: int, access: NewAccessToken, refresh: NewRefreshToken | None
    ) -> tuple[TokenId, TokenId | None] | None:
        return await self._inner.rotate(old, now, access, refresh)

    async def derive(self, subject_id: TokenId, access: NewAccessToken) -> TokenId | None:
        return await self._inner.derive(subject_id, access)

    async def revoke_family(self, root_id: TokenId, now: int) -> int:
        self._access.clear()
        return await self._inner.revoke_family(root_id, now)

    async def revoke_access(self, token_id: TokenId, now: int) -> bool:
        self._access.clear()
        return await self._inner.revoke_access(token_id, now)


class CachedUserStore:
    """Caches users by id (read on every API call that names its user)."""

    def __init__(self, inner: UserStore, ttl: float, max_entries: int = 100_000) -> None:
        self._inner = inner
        self._by_id: TtlCache[UserId, User] = TtlCache(ttl, max_entries)

    async def by_id(self, user_id: UserId) -> User | None:
        found, value = self._by_id.hit(user_id)
        if found:
            return value
        return self._by_id.put(user_id, await self._inner.by_id(user_id))

    async def by_email(self, email: str) -> User | None:
        return await self._inner.by_email(email)

    async def create(self, email: str, name: str, password_hash: str, now: int) -> User:
        return await self._inner.create(email, name, password_hash, now)

    async def set_password(self, user_id: UserId, password_hash: str) -> None:
        self._by_id.clear()
        await self._inner.set_password(user_id, password_hash)


class CachedSpaceStore:
    """Caches memberships (read on every check of a space-bound token); any change to a
    membership through this process clears the cache, and :meth:`forget` does too (for a
    change another process announces)."""

    def __init__(self, inner: SpaceStore, ttl: float, max_entries: int = 100_000) -> None:
        self._inner = inner
        self._memberships: TtlCache[tuple[SpaceId, UserId], Membership] = TtlCache(ttl, max_entries)

    def forget(self) -> None:
        self._memberships.clear()

    async def membership(self, space_id: SpaceId, user_id: UserId) -> Membership | None:
        key = (space_id, user_id)
        found, value = self._memberships.hit(key)
        if found:
            return value
        return self._memberships.put(key, await self._inner.membership(space_id, user_id))

    async def add_member(self, member: Membership) -> Membership:
        added = await self._inner.add_member(member)
        self.forget()
        return added

    async def remove_member(self, space_id: SpaceId, user_id: UserId) -> bool:
        removed = await self._inner.remove_member(space_id, user_id)
        self.forget()
        return removed

    async def create(self, slug: str, name: str, domains: tuple[str, ...], now: int) -> Space:
        return await self._inner.create(slug, name, domains, now)

    async def by_slug(self, slug: str) -> Space | None:
        return await self._inner.by_slug(slug)

    async def by_id(self, space_id: SpaceId) -> Space | None:
        return await self._inner.by_id(space_id)

    async def by_domain(self, domain: str) -> Space | None:
        return await self._inner.by_domain(domain)

    async def all(self) -> list[Space]:
        return await self._inner.all()

    async def members(self, space_id: SpaceId) -> list[Membership]:
        return await self._inner.members(space_id)

    async def spaces_of(self, user_id: UserId) -> list[tuple[Space, Membership]]:
        return await self._inner.spaces_of(user_id)
