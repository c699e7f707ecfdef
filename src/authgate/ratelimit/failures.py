"""Failure throttles against password guessing: a moving window of reserved attempts per
key, in memory for one process or in Redis (one sorted set per key, changed by atomic Lua
scripts) to share the budget between workers and machines. They fail closed: without their
counters, password checks are refused.

The ``limits`` library has moving windows too, but no way to give back one attempt, which
the reserve-then-release protocol of :mod:`authgate.protocol.throttle` needs; the two
scripts below are the whole algorithm.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
from collections import deque
from collections.abc import Callable
from typing import Any

from authgate.protocol.throttle import Reservation, Throttled, ThrottleUnavailable
from authgate.redis_pool import OutageLog

log = logging.getLogger("authgate.ratelimit")
Clock = Callable[[], float]


def _hashed(prefix: str, key: str) -> str:
    """A short, fixed-size key: no e-mail addresses in Redis, no unbounded key lengths."""
    return f"{prefix}:" + hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()[:32]


class MemoryFailureThrottle:
    """One process's counters. Check and record happen without an ``await`` in between,
    so concurrent tasks of the event loop cannot both take the last place."""

    #: sweep expired keys after this many reservations, so that made-up keys do not pile up
    SWEEP_EVERY = 4096

    def __init__(self, max_failures: int, window: int, prefix: str, clock: Clock) -> None:
        self._max = max_failures
        self._window = window
        self._prefix = prefix
        self._clock = clock
        self._entries: dict[str, deque[tuple[float, str]]] = {}
        self._until_sweep = self.SWEEP_EVERY

    def _live(self, key: str, now: float) -> deque[tuple[float, str]]:
        entries = self._entries.setdefault(key, deque())
        while entries and entries[0][0] <= now - self._window:
            entries.popleft()
        return entries

    def _sweep(self, now: float) -> None:
        self._until_sweep = self.SWEEP_EVERY
        for key in [k for k, e in self._entries.items() if not e or e[-1][0] <= now - self._window]:
            del self._entries[key]

    async def reserve(self, key: str) -> Reservation:
        now = self._clock()
        self._until_sweep -= 1
        if self._until_sweep <= 0:
            self._sweep(now)
        hashed = _hashed(self._prefix, key)
        entries = self._live(hashed, now)
        if len(entries) >= self._max:
            raise Throttled(max(1, math.ceil(entries[0][0] + self._window - now)))
        member = secrets.token_hex(8)
        entries.append((now, member))
        return Reservation(hashed, member)

    async def release(self, reservation: Reservation) -> None:
        entries = self._entries.get(reservation.key)
        if entries is None:
            return
        for entry in entries:
            if entry[1] == reservation.member:
                entries.remove(entry)
                return

    async def reset(self, key: str) -> None:
        self._entries.pop(_hashed(self._prefix, key), None)


_RESERVE = """
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('EXPIRE', key, math.ceil(window) + 1)
  return '0'
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return tostring(tonumber(oldest[2]) + window - now)
"""


class RedisFailureThrottle:
    """Counters shared by every worker that uses the same Redis database. Reserving is
    one Lua script, so it is atomic across processes."""

    def __init__(
        self,
        redis: Any,
        max_failures: int,
        window: int,
        prefix: str,
        clock: Clock,
        outage: OutageLog | None = None,
    ) -> None:
        self._redis = redis
        self._reserve = redis.register_script(_RESERVE)
        self._max = max_failures
        self._window = window
        self._prefix = prefix
        self._clock = clock
        self._outage = outage or _throttle_outage()

    async def reserve(self, key: str) -> Reservation:
        hashed = _hashed(self._prefix, key)
        member = secrets.token_hex(8)
        args = [repr(self._clock()), self._window, self._max, member]
        try:
            wait = float(await self._reserve(keys=[hashed], args=args))
        except Exception as exc:  # redis.RedisError, OSError: any failure must refuse
            self._outage.failed(exc)
            raise ThrottleUnavailable from None
        self._outage.succeeded()
        if wait > 0:
            raise Throttled(max(1, math.ceil(wait)))
        return Reservation(hashed, member)

    async def release(self, reservation: Reservation) -> None:
        try:
            await self._redis.zrem(reservation.key, reservation.member)
        except Exception as exc:  # the attempt then counts as a failure: the safe side
            self._outage.failed(exc)

    async def reset(self, key: str) -> None:
        try:
            await self._redis.delete(_hashed(self._prefix, key))
        except Exception as exc:
            self._outage.failed(exc)


def _throttle_outage() -> OutageLog:
    return OutageLog(log, "failure throttle counters (Redis)", "password checks get 503")


class ThrottleFactory:
    """Builds every throttle of one process over the same backend: memory, or the
    process's Redis client (:func:`authgate.redis_pool.connect`), whose owner closes it."""

    def __init__(self, redis: Any | None, clock: Clock, namespace: str = "authgate") -> None:
        self._clock = clock
        self._namespace = namespace
        self._redis = redis
        # One outage, logged once, whichever throttle notices it.
        self._outage = _throttle_outage()

    def __call__(
        self, max_failures: int, window: int, prefix: str
    ) -> MemoryFailureThrottle | RedisFailureThrottle:
        prefix = f"{self._namespace}:throttle:{prefix}"
        if self._redis is None:
            return MemoryFailureThrottle(max_failures, window, prefix, self._clock)
        return RedisFailureThrottle(
            self._redis, max_failures, window, prefix, self._clock, self._outage
        )
