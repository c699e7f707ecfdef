"""Throttles over the ``limits`` library: in memory for one process, Redis to share
counters between workers and machines."""

from __future__ import annotations

import math
import time

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string


def make_storage(redis_url: str | None) -> Storage:
    if redis_url:
        storage = storage_from_string("async+" + redis_url, implementation="redispy")
        assert isinstance(storage, Storage)
        return storage
    return MemoryStorage()


class LimitsFailureThrottle:
    """After ``max_failures`` failures within ``window`` seconds, a key waits until the
    oldest failure leaves the window (a moving window, so there is no burst at edges)."""

    def __init__(self, storage: Storage, max_failures: int, window: int, prefix: str) -> None:
        self._limiter = MovingWindowRateLimiter(storage)
        self._item = RateLimitItemPerSecond(max_failures, window, namespace=prefix)

    async def retry_after(self, key: str) -> int:
        if await self._limiter.test(self._item, key):
            return 0
        stats = await self._limiter.get_window_stats(self._item, key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def failed(self, key: str) -> None:
        await self._limiter.hit(self._item, key)

    async def succeeded(self, key: str) -> None:
        await self._limiter.clear(self._item, key)
