"""The failure throttles, in memory and in Redis: places are reserved atomically before
the expensive check, so concurrent attempts cannot overrun the budget."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from authgate.protocol.throttle import FailureThrottle, Throttled, ThrottleUnavailable
from authgate.ratelimit.failures import ThrottleFactory
from authgate.redis_pool import connect
from tests.conftest import Clock
from tests.redis_support import fresh_namespace, redis_url_or_skip


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def factory(request: pytest.FixtureRequest, clock: Clock) -> AsyncIterator[ThrottleFactory]:
    redis = None if request.param == "memory" else connect(redis_url_or_skip())
    yield ThrottleFactory(redis, clock, fresh_namespace())
    if redis is not None:
        await redis.aclose()


async def _reserved(throttle: FailureThrottle, key: str, attempts: int) -> int:
    async def one() -> bool:
        try:
            await throttle.reserve(key)
        except Throttled:
            return False
        return True

    return sum(await asyncio.gather(*(one() for _ in range(attempts))))


async def test_concurrent_reservations_never_exceed_the_budget(factory: ThrottleFactory) -> None:
    throttle = factory(5, 300, "t")
    assert await _reserved(throttle, "alice", 150) == 5
    assert await _reserved(throttle, "bob", 3) == 3  # keys are independent


async def test_throttled_says_when_the_oldest_failure_leaves_the_window(
    factory: ThrottleFactory, clock: Clock
) -> None:
    throttle = factory(2, 60, "t")
    await throttle.reserve("k")
    clock.advance(20)
    await throttle.reserve("k")
    with pytest.raises(Throttled) as caught:
        await throttle.reserve("k")
    assert caught.value.retry_after == 40
    clock.advance(40)
    await throttle.reserve("k")  # the first one left the window


async def test_release_gives_back_one_place(factory: ThrottleFactory) -> None:
    throttle = factory(2, 300, "t")
    first = await throttle.reserve("k")
    await throttle.reserve("k")
    await throttle.release(first)
    await throttle.reserve("k")
    with pytest.raises(Throttled):
        await throttle.reserve("k")


async def test_reset_forgets_every_failure(factory: ThrottleFactory) -> None:
    throttle = factory(1, 300, "t")
    await throttle.reserve("k")
    await throttle.reset("k")
    await throttle.reserve("k")


async def test_prefixes_are_separate_budgets(factory: ThrottleFactory) -> None:
    await factory(1, 300, "a").reserve("k")
    await factory(1, 300, "b").reserve("k")


async def test_hostile_keys_are_fine(factory: ThrottleFactory) -> None:
    throttle = factory(1, 300, "t")
    for key in ["\udcff", "é" * 5000, "\x00", ""]:
        await throttle.reserve(key)


async def test_unreachable_redis_refuses_instead_of_letting_guesses_through(
    clock: Clock,
) -> None:
    redis = connect("redis://127.0.0.1:1/0")
    try:
        with pytest.raises(ThrottleUnavailable):
            await ThrottleFactory(redis, clock)(5, 300, "t").reserve("k")
    finally:
        await redis.aclose()


async def test_memory_throttle_forgets_expired_keys(clock: Clock) -> None:
    factory = ThrottleFactory(None, clock)
    throttle = factory(1, 10, "t")
    for i in range(throttle.SWEEP_EVERY - 1):  # type: ignore[union-attr]
        await throttle.reserve(f"made-up-{i}")
    clock.advance(11)
    await throttle.reserve("last")  # this one sweeps
    assert len(throttle._entries) == 1  # type: ignore[union-attr]


@pytest.mark.redis
async def test_redis_keys_live_in_the_configured_namespace(clock: Clock) -> None:
    import redis.asyncio

    url = redis_url_or_skip()
    namespace = fresh_namespace()
    client = redis.asyncio.Redis.from_url(url)
    try:
        await ThrottleFactory(client, clock, namespace)(5, 300, "account").reserve(
            "alice@example.com"
        )
        keys = [key async for key in client.scan_iter(f"{namespace}:*")]
        assert len(keys) == 1 and keys[0].startswith(f"{namespace}:throttle:account:".encode())
        assert b"alice" not in keys[0]  # no e-mail addresses in Redis
    finally:
        await client.aclose()
