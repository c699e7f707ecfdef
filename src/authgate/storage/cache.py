"""An in-process, time-bounded cache in front of the client store.

Clients are read on every token request. A cached entry is trusted for at most
``ttl`` seconds, so a deleted client or a rotated secret stops working within that bound
on every worker, without cross-process invalidation.
"""

from __future__ import annotations

import time
from typing import Any

from authgate.domain import Client, ClientPk, NewClient
from authgate.storage.base import ClientStore


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
