"""Leases of a shared (Redis) moving window (ratelimit/leases.py): busy keys cost Redis
little, slow keys are counted exactly, and no worker or set of workers ever lets more than
the limit through."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from authgate.ratelimit.leases import MAX_HOLD, Leases
from authgate.ratelimit.limiter import RateLimiter
from authgate.ratelimit.notation import parse_limit
from authgate.ratelimit.pipelined import PipelinedRedisStorage
from authgate.redis_pool import connect
from tests.redis_support import fresh_namespace, redis_url_or_skip

pytestmark = pytest.mark.redis


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountedStorage(PipelinedRedisStorage):
    """Counts script calls (one per lease) and what each asked for."""

    def __init__(self, redis: Any, key_prefix: str) -> None:
        super().__init__(redis, key_prefix)
        self.wanted: list[int] = []

    async def run_script(self, script: Any, keys: list[str], args: list[Any]) -> Any:
        self.wanted.append(int(args[3]))
        return await super().run_script(script, keys, args)


@pytest.fixture
async def redis() -> AsyncIterator[Any]:
    client = connect(redis_url_or_skip())
    yield client
    await client.aclose()


def storage(redis: Any, namespace: str) -> CountedStorage:
    return CountedStorage(redis, key_prefix=f"{namespace}:ratelimit")


async def entries(redis: Any, namespace: str, limit: Any, *key: str) -> list[float]:
    values = await redis.lrange(f"{namespace}:ratelimit:{limit.key_for(*key)}", 0, -1)
    return [float(v) for v in values]


async def test_a_slow_key_is_counted_exactly_one_call_per_request(redis: Any) -> None:
    namespace, clock = fresh_namespace(), Clock()
    counted = storage(redis, namespace)
    leases = Leases(counted, monotonic=clock)
    limit = parse_limit("60/minute")
    for n in range(5):
        allowed, stats = await leases.hit_and_stats(limit, "user", "1")
        assert allowed and stats.remaining == 60 - (n + 1)
        clock.now += MAX_HOLD + 0.1  # slower than a lease's hold time
    assert counted.wanted == [1, 1, 1, 1, 1]
    assert len(await entries(redis, namespace, limit, "user", "1")) == 5


async def test_a_busy_key_takes_growing_leases_and_few_calls(redis: Any) -> None:
    namespace = fresh_namespace()
    counted = storage(redis, namespace)
    leases = Leases(counted)
    limit = parse_limit("10000/minute")
    for _ in range(1000):
        allowed, _ = await leases.hit_and_stats(limit, "user", "1")
        assert allowed
    assert len(counted.wanted) <= 12, counted.wanted
    assert counted.wanted[:4] == [1, 2, 4, 8]
    assert max(counted.wanted) <= limit.amount // 10
    # Every place used was counted in Redis first; at most the last lease's rest is unused.
    stored = len(await entries(redis, namespace, limit, "user", "1"))
    assert 1000 <= stored <= 1000 + counted.wanted[-1]


async def test_places_of_a_lease_are_stamped_at_the_end_of_its_hold_time(redis: Any) -> None:
    """So that a window of the limit's length never holds more than the limit, although a
    lease's places are used after it was taken."""
    namespace = fresh_namespace()
    leases = Leases(storage(redis, namespace))
    limit = parse_limit("1000/10 seconds")  # hold: a tenth of the window, 1 s
    before = await redis.time()
    now = before[0] + before[1] / 1e6
    for _ in range(3):  # leases of 1 (now), then 2 (stamped now + 1 s)
        await leases.hit_and_stats(limit, "k")
    stamps = await entries(redis, namespace, limit, "k")
    assert len(stamps) == 3
    assert stamps[-1] == pytest.approx(now, abs=0.5)
    assert stamps[0] == stamps[1] == pytest.approx(now + 1.0, abs=0.5)


async def test_an_unused_lease_makes_the_next_one_smaller(redis: Any) -> None:
    namespace, clock = fresh_namespace(), Clock()
    counted = storage(redis, namespace)
    leases = Leases(counted, monotonic=clock)
    limit = parse_limit("1000/minute")
    for _ in range(1 + 2 + 4 + 1):  # leases of 1, 2, 4, then one of 8 with 7 left
        await leases.hit_and_stats(limit, "k")
    assert counted.wanted == [1, 2, 4, 8]
    clock.now += MAX_HOLD + 0.1  # the lease of 8 expires with 7 places unused
    await leases.hit_and_stats(limit, "k")
    assert counted.wanted == [1, 2, 4, 8, 4]


async def test_workers_sharing_redis_never_let_more_than_the_limit_through(redis: Any) -> None:
    namespace = fresh_namespace()
    workers = [RateLimiter(storage(redis, namespace)) for _ in range(3)]
    limit = parse_limit("50/minute")
    hits = [workers[i % 3].hit(limit, "api", "user", "9") for i in range(300)]
    decisions = await asyncio.gather(*hits)
    # 50 a minute is a slow limit: counted exactly, whichever worker each request reaches.
    assert sum(d.allowed for d in decisions) == 50
    stored = await entries(redis, namespace, limit, "api", "user", "9")
    assert len(stored) == 50
    refused = [d for d in decisions if not d.allowed]
    assert refused and all(55 <= d.retry_after <= 61 for d in refused)


async def test_workers_sharing_a_fast_limit_never_let_more_than_it_through(redis: Any) -> None:
    namespace = fresh_namespace()
    workers = [RateLimiter(storage(redis, namespace)) for _ in range(3)]
    limit = parse_limit("500/10 seconds")  # 50 a second: leased
    hits = [workers[i % 3].hit(limit, "api", "user", "9") for i in range(1500)]
    allowed = sum(d.allowed for d in await asyncio.gather(*hits))
    assert allowed <= 500
    stored = await entries(redis, namespace, limit, "api", "user", "9")
    assert len(stored) == 500  # every place is taken: allowed, or leased and not yet used
    assert allowed >= 500 - 3 * (500 // 10)  # at most one lease per worker left unused


async def test_a_slow_limit_is_never_leased_however_busy_the_key(redis: Any) -> None:
    namespace = fresh_namespace()
    counted = storage(redis, namespace)
    leases = Leases(counted)
    limit = parse_limit("600/minute")  # 10 a second: exact
    for _ in range(50):
        await leases.hit_and_stats(limit, "k")
    assert counted.wanted == [1] * 50


async def test_concurrent_requests_of_one_key_wait_for_one_call(redis: Any) -> None:
    namespace = fresh_namespace()
    counted = storage(redis, namespace)
    leases = Leases(counted)
    limit = parse_limit("1000/minute")
    results = await asyncio.gather(*(leases.hit_and_stats(limit, "k") for _ in range(40)))
    assert all(allowed for allowed, _ in results)
    assert len(counted.wanted) <= 6, counted.wanted  # 1 + 2 + 4 + 8 + 16 + 32 >= 40
    assert sorted(stats.remaining for _, stats in results)[-1] == 999


async def test_a_full_window_is_refused_from_memory_until_its_oldest_entry_leaves(
    redis: Any,
) -> None:
    namespace, clock = fresh_namespace(), Clock()
    counted = storage(redis, namespace)
    leases = Leases(counted, monotonic=clock)
    limit = parse_limit("3/2 seconds")
    for _ in range(3):
        assert (await leases.hit_and_stats(limit, "k"))[0]
        clock.now += 1.0  # slow: each a lease of one
    calls = len(counted.wanted)
    for _ in range(20):
        allowed, stats = await leases.hit_and_stats(limit, "k")
        assert not allowed and stats.remaining == 0
    assert len(counted.wanted) == calls + 1  # one call found the window full
    await asyncio.sleep(2.1)  # the oldest entry leaves the window
    clock.now += 2.1
    assert (await leases.hit_and_stats(limit, "k"))[0]
