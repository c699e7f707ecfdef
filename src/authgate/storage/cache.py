"""In-process, time-bounded caches in front of the stores read on every request.

Clients are read on every token request, access-token rows and users on every API call.
A cached entry is trusted for at most ``ttl`` seconds, so a deleted client, a rotated
secret or a token revoked by another worker stops working within that bound everywhere,
without cross-process invalidation; a change made through this process takes effect here
at once.
"""

from __future__ import annotations

import time
from typing import Any

from authgate.domain import (
    AccessToken,
    Client,
    ClientPk,
    NewAccessToken,
    NewClient,
    NewRefreshToken,
    RefreshToken,
    TokenId,
    User,
    UserId,
)
from authgate.storage.base import ClientStore, TokenStore, UserStore


class CachedClientStore:
    def __init__(self, inner: ClientStore, ttl: float, max_entries: int = 10_000) -> None:
        self._inner = inner
        self._ttl = ttl
        self._max = max_entries
        self._by_id: dict[str, tuple[float, Client | None]] = {}
        self._by_pk: dict[ClientPk, tuple[float, Client | None]] = {}

    def _forget(self) -> None:
        self._by_id.clear()
        self._by_pk.clear()

    async def by_client_id(self, client_id: str) -> Client | None:
        now = time.monotonic()
        hit = self._by_id.get(client_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        client = await self._inner.by_client_id(client_id)
        if len(self._by_id) >= self._max:
            self._by_id.clear()
        # Unknown ids are cached too, so that a flood of made-up ids stays off the database.
        self._by_id[client_id] = (now + self._ttl, client)
        return client

    async def by_pk(self, pk: ClientPk) -> Client | None:
        now = time.monotonic()
        hit = self._by_pk.get(pk)
        if hit is not None and hit[0] > now:
            return hit[1]
        client = await self._inner.by_pk(pk)
        if len(self._by_pk) >= self._max:
            self._by_pk.clear()
        self._by_pk[pk] = (now + self._ttl, client)
        return client

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
        self._ttl = ttl
        self._max = max_entries
        self._access: dict[TokenId, tuple[float, AccessToken | None]] = {}

    async def access(self, token_id: TokenId) -> AccessToken | None:
        now = time.monotonic()
        hit = self._access.get(token_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        token = await self._inner.access(token_id)
        if self._ttl:
            if len(self._access) >= self._max:
                self._access.clear()
            self._access[token_id] = (now + self._ttl, token)
        return token

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
        self._ttl = ttl
        self._max = max_entries
        self._by_id: dict[UserId, tuple[float, User | None]] = {}

    async def by_id(self, user_id: UserId) -> User | None:
        now = time.monotonic()
        hit = self._by_id.get(user_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        user = await self._inner.by_id(user_id)
        if self._ttl:
            if len(self._by_id) >= self._max:
                self._by_id.clear()
            self._by_id[user_id] = (now + self._ttl, user)
        return user

    async def by_email(self, email: str) -> User | None:
        return await self._inner.by_email(email)

    async def create(self, email: str, name: str, password_hash: str, now: int) -> User:
        return await self._inner.create(email, name, password_hash, now)
