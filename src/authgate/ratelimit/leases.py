"""Shared (Redis) moving-window counters, taken a few places at a time by busy keys.

One Redis round trip per request costs more than the rest of an API request. So each
worker takes places of a key's window in *leases*: one script call takes up to ``n``
places at once, and the worker hands them to that key's next requests from memory.

- **Only fast limits are leased.** A limit of at most ``LEASE_ABOVE`` requests a second per
  key ("60/minute", "600/minute") is counted exactly, one call per allowed request: a
  key can cost Redis no more calls than its limit allows requests, because refusals cost
  none (below). Exact counting matters there: a user alternating between workers must get
  exactly the limit, not the limit less the places stranded in other workers' leases.
- **A lease adapts to the key's rate in this worker.** It starts at one place (taken for
  the request that asked, so a key seen now and then is counted exactly, one call per
  request). When a lease is used up within its hold time, the next one is twice as large,
  up to a tenth of the limit; when one expires with places left, the next is half as large.
- **The limit is never exceeded.** Places are counted in Redis when leased, so every worker
  and machine shares one budget; a lease of more than one place is recorded at the end of
  its hold time (its places are used before then), so that no window of the limit's length
  ever holds more requests than the limit.
- **What it costs.** Places leased but not used before the hold time ends are lost to the
  window (at most one lease per busy key and worker, at most a tenth of the limit); a busy
  key's ``RateLimit-Remaining`` counts other workers' use as of the last lease.
- **A refusal is remembered.** A full window frees its first place only when its oldest
  entry leaves it, so until then the worker refuses that key without asking Redis: a
  client hammering past its limit costs Redis nothing.

Concurrent requests of one key in one worker wait for one lease call, not one call each.
The data are limits' moving window (a list of timestamps per key, newest first), read with
limits' own script.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from limits import RateLimitItem
from limits.aio.storage.redis.bridge import RedisBridge
from limits.util import WindowStats

from authgate.ratelimit.pipelined import PipelinedRedisStorage, fresh_error
from authgate.redis_pool import is_outage

#: limits' moving-window read, verbatim, then take up to ARGV[4] places stamped ARGV[5].
#: KEYS[1] the window; ARGV: now, limit, expiry (s), wanted, stamp, key lifetime (s).
SCRIPT_LEASE = b"".join(
    [
        b"local function window(KEYS, ARGV)\n",
        RedisBridge.SCRIPT_MOVING_WINDOW,
        b"\nend\n",
        b"local now, limit = tonumber(ARGV[1]), tonumber(ARGV[2])\n",
        b"local found = window(KEYS, {now - tonumber(ARGV[3]), limit})\n",
        b"local oldest, count = ARGV[5], 0\n",
        b"if found then oldest, count = found[1], tonumber(found[2]) end\n",
        b"local granted = math.max(0, math.min(tonumber(ARGV[4]), limit - count))\n",
        b"if granted > 0 then\n",
        b"  local entries = {}\n",
        b"  for i = 1, granted do entries[i] = ARGV[5] end\n",
        b"  for i = 1, #entries, 5000 do\n",
        b"    redis.call('lpush', KEYS[1], unpack(entries, i, math.min(i + 4999, #entries)))\n",
        b"  end\n",
        b"  redis.call('ltrim', KEYS[1], 0, limit - 1)\n",
        b"  redis.call('expire', KEYS[1], tonumber(ARGV[6]))\n",
        b"end\n",
        b"return {granted, tostring(oldest), count + granted}\n",
    ]
)

#: limits allowing more requests a second than this are leased; slower ones are exact
LEASE_ABOVE = 10.0
#: at most this share of a limit in one lease
MAX_LEASE_SHARE = 10
#: a lease's hold time: this share of the window, at most MAX_HOLD seconds
HOLD_SHARE = 10
MAX_HOLD = 1.0
#: keys remembered per worker before the expired ones are dropped
MAX_KEYS = 10_000


@dataclass(slots=True)
class _Key:
    """One key's lease in this worker."""

    size: int = 1  # places the next lease asks for
    left: int = 0  # places of the current lease still to hand out
    until: float = 0.0  # monotonic: the current lease (or refusal) ends
    refused: bool = False  # the window was full when last asked
    free: int = 0  # places the window had left after the last lease (all workers)
    oldest: float = 0.0  # wall time of the window's oldest entry then
    flight: asyncio.Future[None] | None = None
    key: str = ""  # limits' key of the window (in Redis under the storage's prefix)


class Leases:
    """``hit_and_stats`` of :class:`authgate.ratelimit.pipelined.MovingWindow`, leased."""

    def __init__(
        self,
        storage: PipelinedRedisStorage,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.storage = storage
        self._monotonic = monotonic
        self._wall = wall
        self._keys: dict[tuple[RateLimitItem, tuple[str, ...]], _Key] = {}
        self._script = storage.register_script(SCRIPT_LEASE)

    async def hit_and_stats(
        self, item: RateLimitItem, *identifiers: str
    ) -> tuple[bool, WindowStats]:
        # By the limit and the identifiers: limits' key_for (the Redis key) is built only
        # for a key's first request, not for each (it was a tenth of a request's time).
        found = (item, identifiers)
        state = self._keys.get(found)
        if state is None:
            state = self._keys[found] = self._new_key()
            state.key = item.key_for(*identifiers)
        while True:
            now = self._monotonic()
            if state.left > 0 and now < state.until:
                state.left -= 1
                return True, self._stats(item, state)
            if state.refused and now < state.until:
                return False, self._stats(item, state)
            if state.flight is None:
                state.flight = asyncio.ensure_future(self._lease(item, state.key, state, now))
            flight = state.flight
            try:
                await asyncio.shield(flight)
            except Exception as exc:
                if not is_outage(exc):
                    raise
                raise fresh_error(exc) from exc

    def _new_key(self) -> _Key:
        if len(self._keys) >= MAX_KEYS:
            now = self._monotonic()
            self._keys = {
                k: s for k, s in self._keys.items() if s.until > now or s.flight is not None
            }
            if len(self._keys) >= MAX_KEYS:
                self._keys.clear()
        return _Key()

    async def _lease(self, item: RateLimitItem, key: str, state: _Key, asked_at: float) -> None:
        try:
            expiry = item.get_expiry()
            hold = min(MAX_HOLD, expiry / HOLD_SHARE)
            if item.amount / expiry <= LEASE_ABOVE:
                wanted = 1
            elif state.left == 0 and state.until > asked_at and not state.refused:
                wanted = min(state.size * 2, max(1, item.amount // MAX_LEASE_SHARE))
            elif state.left > 0:  # the last lease expired unused: this key is slower now
                wanted = max(1, state.size // 2)
            else:
                wanted = 1
            now = self._wall()
            # One place is used at once; more are used within the hold time, so they are
            # recorded at its end.
            stamp = now if wanted == 1 else now + hold
            granted, oldest, count = await self.storage.run_script(
                self._script,
                [self.storage.bridge.prefixed_key(key)],
                [now, item.amount, expiry, wanted, stamp, math.ceil(expiry + hold)],
            )
            granted, count = int(granted), int(count)
            state.size = wanted
            state.left = granted
            state.free = item.amount - count
            state.oldest = float(oldest)
            state.refused = granted == 0
            reset_in = state.oldest + expiry - now
            # A full window frees a place when its oldest entry leaves it.
            state.until = self._monotonic() + (max(0.0, reset_in) if state.refused else hold)
        finally:
            state.flight = None

    def _stats(self, item: RateLimitItem, state: _Key) -> WindowStats:
        return WindowStats(state.oldest + item.get_expiry(), state.free + state.left)
