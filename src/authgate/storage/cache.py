"""In-process, time-bounded caches in front of the stores read on every request.

Clients are read on every token request, access-token rows, users and (for tokens bound to
a space) memberships on every API call.
A cached entry is trusted for at most ``ttl`` seconds, so a deleted client, a rotated
secret or a token revoked by another worker stops working within that bound everywhere.
A change made through a cached store is announced, once written, to ``changes``
(:class:`authgate.invalidation.Invalidation` at the composition root): it empties every
cache of this process at once and, with Redis, of every other process too.

The look-ups of every request also have a ``peek_*`` twin (storage/base.py): a plain call
that answers a hit without a coroutine (about 1,300 machine instructions saved per look-up,
measured with callgrind), and says ``(False, None)`` on a miss, for the caller to await the
look-up itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any, Generic, Protocol, TypeVar

from authgate.domain import (
    AccessToken,
    Client,
    ClientPk,
    ClientUsage,
    Membership,
    NewAccessToken,
    NewClient,
    NewRefreshToken,
    RefreshToken,
    Space,
    SpaceId,
    TokenId,
    User,
    UserGrant,
    UserId,
)
from authgate.storage.base import (
    ClientStore,
    GrantStore,
    SpaceStore,
    TokenStore,
    UserHoldings,
    UserStore,
)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Changes(Protocol):
    async def changed(self) -> None:
        """Cached copies may be wrong now: drop them, here and in other processes."""
        ...


class TtlCache(Generic[K, V]):
    """Values (``None`` included: unknown keys are cached too, so that a flood of made-up
    ids stays off the database) trusted for ``ttl`` seconds; ``ttl=0`` disables it.

    ``clear()`` starts a new generation: a value read from the database before it (a read
    that was in flight while the change was written) is not cached after it."""

    def __init__(self, ttl: float, max_entries: int) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._entries: dict[K, tuple[float, V | None]] = {}
        self.generation = 0
        #: look-ups answered from the cache, and not (plain counts: the metrics read them)
        self.hits = 0
        self.misses = 0

    def hit(self, key: K) -> tuple[bool, V | None]:
        """``(True, value)`` while a fresh entry exists; a plain call, no await on a hit."""
        entry = self._entries.get(key)
        if entry is not None and entry[0] > time.monotonic():
            self.hits += 1
            return True, entry[1]
        self.misses += 1
        return False, None

    def peek(self, key: K) -> tuple[bool, V | None]:
        """As :meth:`hit`, except that a miss is not counted: the caller asks again by the
        store's async method, which counts it."""
        entry = self._entries.get(key)
        if entry is not None and entry[0] > time.monotonic():
            self.hits += 1
            return True, entry[1]
        return False, None

    def put(self, key: K, value: V | None, generation: int | None = None) -> V | None:
        """Cache ``value``, unless it was read in an older ``generation`` than now's."""
        if self._ttl and (generation is None or generation == self.generation):
            if len(self._entries) >= self._max:
                self._entries.clear()
            self._entries[key] = (time.monotonic() + self._ttl, value)
        return value

    def clear(self) -> None:
        self._entries.clear()
        self.generation += 1


async def _announce(changes: Changes | None, forget: Callable[[], None]) -> None:
    if changes is None:
        forget()
    else:
        await changes.changed()


class CachedClientStore:
    def __init__(
        self,
        inner: ClientStore,
        ttl: float,
        max_entries: int = 10_000,
        changes: Changes | None = None,
    ) -> None:
        self._inner = inner
        self._by_id: TtlCache[str, Client] = TtlCache(ttl, max_entries)
        self._by_pk: TtlCache[ClientPk, Client] = TtlCache(ttl, max_entries)
        self._changes = changes
        #: by name, for the metrics' hit ratios
        self.caches: dict[str, TtlCache[Any, Any]] = {
            "clients_by_id": self._by_id,
            "clients_by_pk": self._by_pk,
        }

    def forget(self) -> None:
        self._by_id.clear()
        self._by_pk.clear()

    def peek_by_client_id(self, client_id: str) -> tuple[bool, Client | None]:
        return self._by_id.peek(client_id)

    def peek_by_pk(self, pk: ClientPk) -> tuple[bool, Client | None]:
        return self._by_pk.peek(pk)

    async def by_client_id(self, client_id: str) -> Client | None:
        found, value = self._by_id.hit(client_id)
        if found:
            return value
        generation = self._by_id.generation
        return self._by_id.put(client_id, await self._inner.by_client_id(client_id), generation)

    async def by_pk(self, pk: ClientPk) -> Client | None:
        found, value = self._by_pk.hit(pk)
        if found:
            return value
        generation = self._by_pk.generation
        return self._by_pk.put(pk, await self._inner.by_pk(pk), generation)

    async def create(self, new: NewClient) -> Client:
        created = await self._inner.create(new)
        await _announce(self._changes, self.forget)  # "unknown id" may have been cached
        return created

    async def all(self) -> list[Client]:
        return await self._inner.all()

    async def page(self, *, after: ClientPk | None = None, limit: int = 100) -> list[Client]:
        return await self._inner.page(after=after, limit=limit)

    async def update(
        self, client_id: str, *, revision: int | None = None, **changes: Any
    ) -> Client | None:
        updated = await self._inner.update(client_id, revision=revision, **changes)
        await _announce(self._changes, self.forget)
        return updated

    async def delete(self, client_id: str, revision: int | None = None) -> bool:
        deleted = await self._inner.delete(client_id, revision)
        await _announce(self._changes, self.forget)
        return deleted

    async def owned_by(self, owner_id: UserId) -> list[Client]:
        return await self._inner.owned_by(owner_id)

    async def by_registration(self, registration_digest: bytes) -> Client | None:
        return await self._inner.by_registration(registration_digest)

    async def replace_secret(self, client_id: str, old: bytes | None, new: bytes) -> bool:
        replaced = await self._inner.replace_secret(client_id, old, new)
        await _announce(self._changes, self.forget)
        return replaced

    async def replace_test_token(self, client_id: str, old: str | None, new: str) -> bool:
        replaced = await self._inner.replace_test_token(client_id, old, new)
        await _announce(self._changes, self.forget)
        return replaced


class CachedTokenStore:
    """Caches access-token rows; any revocation through this process clears the cache
    (and, through ``changes``, every other process's)."""

    def __init__(
        self,
        inner: TokenStore,
        ttl: float,
        max_entries: int = 100_000,
        changes: Changes | None = None,
    ) -> None:
        self._inner = inner
        self._access: TtlCache[TokenId, AccessToken] = TtlCache(ttl, max_entries)
        self._changes = changes
        self.caches: dict[str, TtlCache[Any, Any]] = {"access_tokens": self._access}

    def forget(self) -> None:
        self._access.clear()

    def peek_access(self, token_id: TokenId) -> tuple[bool, AccessToken | None]:
        return self._access.peek(token_id)

    async def access(self, token_id: TokenId) -> AccessToken | None:
        found, value = self._access.hit(token_id)
        if found:
            return value
        generation = self._access.generation
        return self._access.put(token_id, await self._inner.access(token_id), generation)

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
        revoked = await self._inner.revoke_family(root_id, now)
        await _announce(self._changes, self.forget)
        return revoked

    async def revoke_access(self, token_id: TokenId, now: int) -> bool:
        revoked = await self._inner.revoke_access(token_id, now)
        await _announce(self._changes, self.forget)
        return revoked


class CachedUserStore:
    """Caches users by id (read on every API call that names its user)."""

    def __init__(
        self,
        inner: UserStore,
        ttl: float,
        max_entries: int = 100_000,
        changes: Changes | None = None,
    ) -> None:
        self._inner = inner
        self._by_id: TtlCache[UserId, User] = TtlCache(ttl, max_entries)
        self._changes = changes
        self.caches: dict[str, TtlCache[Any, Any]] = {"users": self._by_id}

    def forget(self) -> None:
        self._by_id.clear()

    def peek_by_id(self, user_id: UserId) -> tuple[bool, User | None]:
        return self._by_id.peek(user_id)

    async def by_id(self, user_id: UserId) -> User | None:
        found, value = self._by_id.hit(user_id)
        if found:
            return value
        generation = self._by_id.generation
        return self._by_id.put(user_id, await self._inner.by_id(user_id), generation)

    async def by_email(self, email: str) -> User | None:
        return await self._inner.by_email(email)

    async def create(self, email: str, name: str, password_hash: str, now: int) -> User:
        return await self._inner.create(email, name, password_hash, now)

    async def set_password(self, user_id: UserId, password_hash: str) -> None:
        await self._inner.set_password(user_id, password_hash)
        await _announce(self._changes, self.forget)

    async def update_profile(
        self, user_id: UserId, *, name: str, picture: str | None, phone_number: str | None
    ) -> User | None:
        updated = await self._inner.update_profile(
            user_id, name=name, picture=picture, phone_number=phone_number
        )
        await _announce(self._changes, self.forget)
        return updated

    async def page(
        self, *, after: UserId | None = None, limit: int = 100, search: str | None = None
    ) -> list[User]:
        return await self._inner.page(after=after, limit=limit, search=search)

    async def update(
        self,
        user_id: UserId,
        *,
        email: str | None = None,
        name: str | None = None,
        email_verified: bool | None = None,
        is_admin: bool | None = None,
        revision: int | None = None,
    ) -> User | None:
        updated = await self._inner.update(
            user_id,
            email=email,
            name=name,
            email_verified=email_verified,
            is_admin=is_admin,
            revision=revision,
        )
        await _announce(self._changes, self.forget)
        return updated

    async def set_email(self, user_id: UserId, email: str) -> User | None:
        updated = await self._inner.set_email(user_id, email)
        await _announce(self._changes, self.forget)
        return updated

    async def disable(self, user_id: UserId, now: int) -> UserHoldings | None:
        """Announced to every cache (token rows too: the user's tokens are revoked)."""
        revoked = await self._inner.disable(user_id, now)
        await _announce(self._changes, self.forget)
        return revoked

    async def enable(self, user_id: UserId) -> bool:
        enabled = await self._inner.enable(user_id)
        await _announce(self._changes, self.forget)
        return enabled

    async def holdings(self, user_id: UserId, now: int) -> UserHoldings:
        return await self._inner.holdings(user_id, now)

    async def delete(self, user_id: UserId, revision: int | None = None) -> bool:
        deleted = await self._inner.delete(user_id, revision)
        await _announce(self._changes, self.forget)
        return deleted


class AnnouncingGrantStore:
    """Revocations through the grant store drop the cached access-token rows (here at once,
    elsewhere through ``changes``), as the token store's own revocations do."""

    def __init__(
        self, inner: GrantStore, changes: Changes | None, forget: Callable[[], None]
    ) -> None:
        self._inner = inner
        self._changes = changes
        self._forget = forget

    async def of_user(self, user_id: UserId, now: int) -> list[UserGrant]:
        return await self._inner.of_user(user_id, now)

    async def revoke(self, user_id: UserId, client_pk: ClientPk, now: int) -> int:
        revoked = await self._inner.revoke(user_id, client_pk, now)
        await _announce(self._changes, self._forget)
        return revoked

    async def revoke_refresh_tokens(self, user_id: UserId, now: int) -> int:
        revoked = await self._inner.revoke_refresh_tokens(user_id, now)
        await _announce(self._changes, self._forget)
        return revoked

    async def usage(self, client_pk: ClientPk, since: int, days: int) -> ClientUsage:
        return await self._inner.usage(client_pk, since, days)

    async def last_used(self, client_pks: list[ClientPk]) -> dict[ClientPk, int]:
        return await self._inner.last_used(client_pks)


class CachedSpaceStore:
    """Caches memberships (read on every check of a space-bound token); any change to a
    membership through this process clears the cache, and :meth:`forget` does too (for a
    change another process announces)."""

    def __init__(
        self,
        inner: SpaceStore,
        ttl: float,
        max_entries: int = 100_000,
        changes: Changes | None = None,
    ) -> None:
        self._inner = inner
        self._memberships: TtlCache[tuple[SpaceId, UserId], Membership] = TtlCache(ttl, max_entries)
        self._changes = changes
        self.caches: dict[str, TtlCache[Any, Any]] = {"memberships": self._memberships}

    def forget(self) -> None:
        self._memberships.clear()

    async def membership(self, space_id: SpaceId, user_id: UserId) -> Membership | None:
        key = (space_id, user_id)
        found, value = self._memberships.hit(key)
        if found:
            return value
        generation = self._memberships.generation
        found_now = await self._inner.membership(space_id, user_id)
        return self._memberships.put(key, found_now, generation)

    async def add_member(self, member: Membership, revision: int | None = None) -> Membership:
        added = await self._inner.add_member(member, revision)
        await _announce(self._changes, self.forget)
        return added

    async def remove_member(
        self, space_id: SpaceId, user_id: UserId, revision: int | None = None
    ) -> bool:
        removed = await self._inner.remove_member(space_id, user_id, revision)
        await _announce(self._changes, self.forget)
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
