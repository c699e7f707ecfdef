"""Request rate limits ("60/minute" per key) over the ``limits`` library.

Strategy: limits' **moving window**. It remembers the time of each counted request, so no
span of the window's length ever holds more than the limit (60 per minute means 60 in any
60 seconds, across every worker sharing Redis), and the wait it reports is exact: when the
oldest counted request leaves the window, a place is free, so a client that waits
``Retry-After`` seconds gets through. The sliding window counter would keep two numbers per
key instead of one timestamp per counted request, but it only estimates the count (up to
half a window of requests too many or too few around a window edge), and its retry time
is an estimate too. For per-user API limits (tens to a few thousand a window) the
timestamps are small, and measured here the moving window costs less per request in
memory as well. Memory per key grows with the limit: prefer "1000/hour" to "100000/day".

Counters live in this process's memory, or in Redis (:func:`for_redis`) so that every
worker and machine shares one budget per key; a busy key takes its places from Redis a
few at a time (ratelimit/leases.py). When Redis fails mid-run the limiter does
what ``on_redis_error`` says: ``"open"`` counts in this process's memory until Redis
answers again (each worker then allows the whole limit), ``"closed"`` refuses with
:class:`CountersUnavailable`. Either way the outage is logged once, and Redis is tried
again every ``retry_every`` seconds, so that a dead Redis costs a request nothing.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any, Literal, NamedTuple

from limits import RateLimitItem
from limits.aio.storage import Storage

from authgate.ratelimit.leases import Leases
from authgate.ratelimit.memory import SweptMemoryStorage
from authgate.ratelimit.pipelined import MovingWindow, PipelinedRedisStorage
from authgate.redis_pool import OutageLog, is_outage

log = logging.getLogger("authgate.ratelimit")

OnRedisError = Literal["open", "closed"]
Limit = RateLimitItem


# Immutable and built for every request: a NamedTuple costs half of a frozen dataclass.
class RateDecision(NamedTuple):
    """One counted request: whether it may go on, and what the ``RateLimit-*`` headers say."""

    allowed: bool
    limit: int
    #: places left in the window after this request
    remaining: int
    #: seconds until the oldest counted request leaves the window (a place frees up)
    reset: int
    #: seconds to wait before retrying; 0 when allowed
    retry_after: int

    def headers(self) -> dict[str, str]:
        """``RateLimit-Limit``, ``-Remaining`` and ``-Reset``, plus ``Retry-After``
        when refused (RFC 6585 §4, RFC 9110 §10.2.3)."""
        values = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
        }
        if not self.allowed:
            values["Retry-After"] = str(self.retry_after)
        return values

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """:meth:`headers` as ASGI header pairs (cheaper to add to a built response)."""
        found = [
            (b"ratelimit-limit", b"%d" % self.limit),
            (b"ratelimit-remaining", b"%d" % self.remaining),
            (b"ratelimit-reset", b"%d" % self.reset),
        ]
        if not self.allowed:
            found.append((b"retry-after", b"%d" % self.retry_after))
        return found


class CountersUnavailable(Exception):
    """Redis is unreachable and ``on_redis_error`` is ``"closed"``."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"rate limit counters unavailable, retry in {retry_after} s")
        self.retry_after = retry_after


class RateLimiter:
    """``await limiter.hit(limit, *key)`` counts one request of ``key`` (a few strings, e.g.
    ``("api", "user", "42")``) against ``limit`` and returns a :class:`RateDecision`."""

    def __init__(
        self,
        shared: Storage | None = None,
        *,
        on_redis_error: OnRedisError = "open",
        retry_every: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._local = MovingWindow(SweptMemoryStorage())
        self._shared: Leases | MovingWindow | None = (
            Leases(shared)
            if isinstance(shared, PipelinedRedisStorage)
            else None
            if shared is None
            else MovingWindow(shared)
        )
        self._on_error = on_redis_error
        self._retry_every = retry_every
        self._clock = clock
        self._skip_until = -math.inf
        #: ``on_refused(kind)`` for each request over its limit, ``kind`` the key's first
        #: part ("token", "api"): the metrics count them
        self.on_refused: Callable[[str], None] | None = None
        self._outage = OutageLog(
            log,
            "rate limit counters (Redis)",
            "counting in each worker's memory until it answers"
            if on_redis_error == "open"
            else "rate-limited requests get 503 until it answers",
        )

    @classmethod
    def for_redis(cls, redis: Any, namespace: str, **options: Any) -> RateLimiter:
        """Counters in Redis under ``{namespace}:ratelimit:``, over the process's client."""
        return cls(PipelinedRedisStorage(redis, key_prefix=f"{namespace}:ratelimit"), **options)

    @property
    def shared(self) -> bool:
        return self._shared is not None

    async def hit(self, limit: Limit, *key: str) -> RateDecision:
        if self._shared is None:
            decision = await self._local_hit(limit, key)
        elif self._clock() < self._skip_until:
            decision = await self._unavailable(limit, key)
        else:
            try:
                allowed, stats = await self._shared.hit_and_stats(limit, *key)
            except Exception as exc:
                if not is_outage(exc):
                    raise
                self._skip_until = self._clock() + self._retry_every
                self._outage.failed(exc)
                decision = await self._unavailable(limit, key)
            else:
                if self._outage.down:
                    self._outage.succeeded()
                decision = _decision(limit, allowed, stats.reset_time, stats.remaining)
        if not decision.allowed and self.on_refused is not None:
            self.on_refused(key[0] if key else "")
        return decision

    async def _local_hit(self, limit: Limit, key: tuple[str, ...]) -> RateDecision:
        allowed, stats = await self._local.hit_and_stats(limit, *key)
        return _decision(limit, allowed, stats.reset_time, stats.remaining)

    async def _unavailable(self, limit: Limit, key: tuple[str, ...]) -> RateDecision:
        if self._on_error == "closed":
            raise CountersUnavailable(max(1, math.ceil(self._retry_every)))
        return await self._local_hit(limit, key)


def _decision(limit: Limit, allowed: bool, reset_at: float, remaining: int) -> RateDecision:
    remaining = max(0, remaining)
    reset = 0 if remaining >= limit.amount else max(0, math.ceil(reset_at - time.time()))
    return RateDecision(
        allowed=allowed,
        limit=limit.amount,
        remaining=remaining,
        reset=reset,
        retry_after=0 if allowed else max(1, reset),
    )
