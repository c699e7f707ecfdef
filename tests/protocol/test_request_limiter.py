"""The request rate limiter on its own: limits' moving window in memory and in Redis,
its decisions, its settings notation, and the Redis transport (one pipelined call)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

from authgate.ratelimit.limiter import RateDecision, RateLimiter
from authgate.ratelimit.memory import SweptMemoryStorage
from authgate.ratelimit.notation import describe, endpoint_key, parse_limit
from authgate.redis_pool import connect
from authgate.settings import SettingsError, load_settings
from tests.redis_support import RedisServer, fresh_namespace, redis_url_or_skip


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def limiter(request: pytest.FixtureRequest) -> AsyncIterator[RateLimiter]:
    if request.param == "memory":
        yield RateLimiter()
        return
    redis = connect(redis_url_or_skip())
    yield RateLimiter.for_redis(redis, fresh_namespace())
    await redis.aclose()


async def test_a_decision_counts_down_then_refuses_until_the_oldest_request_leaves(
    limiter: RateLimiter,
) -> None:
    limit = parse_limit("2/minute")
    first = await limiter.hit(limit, "api", "user", "1")
    assert first == RateDecision(allowed=True, limit=2, remaining=1, reset=60, retry_after=0)
    assert (await limiter.hit(limit, "api", "user", "1")).remaining == 0
    refused = await limiter.hit(limit, "api", "user", "1")
    assert not refused.allowed and refused.remaining == 0
    assert 59 <= refused.retry_after <= 60 and refused.reset == refused.retry_after
    assert refused.headers() == {
        "RateLimit-Limit": "2",
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": str(refused.reset),
        "Retry-After": str(refused.retry_after),
    }
    assert (await limiter.hit(limit, "api", "user", "2")).allowed  # another key


async def test_many_concurrent_hits_take_exactly_the_limit(limiter: RateLimiter) -> None:
    limit = parse_limit("7/minute")
    keys = [str(i % 3) for i in range(60)]
    decisions = await asyncio.gather(*(limiter.hit(limit, "k", key) for key in keys))
    for key in "012":
        mine = [d for d, k in zip(decisions, keys, strict=True) if k == key]
        assert sum(d.allowed for d in mine) == 7
        assert sorted(d.remaining for d in mine if d.allowed) == list(range(7))


@pytest.mark.redis
async def test_the_counters_are_limits_own_moving_window() -> None:
    """Same data, same keys: limits' own strategy over limits' own Redis storage reads
    what the pipelined transport wrote."""
    url, namespace = redis_url_or_skip(), fresh_namespace()
    redis = connect(url)
    try:
        limit = parse_limit("10/minute")
        limiter = RateLimiter.for_redis(redis, namespace)
        for _ in range(3):
            await limiter.hit(limit, "api", "user", "7")
        plain = MovingWindowRateLimiter(
            RedisStorage(
                f"async+{url}", implementation="redispy", key_prefix=f"{namespace}:ratelimit"
            )
        )
        stats = await plain.get_window_stats(limit, "api", "user", "7")
        assert stats.remaining == 7
        assert await plain.hit(limit, "api", "user", "7")
        assert (await limiter.hit(limit, "api", "user", "7")).remaining == 5
    finally:
        await redis.aclose()


@pytest.mark.redis
async def test_scripts_are_loaded_again_after_redis_restarts_empty(tmp_path: Path) -> None:
    server = RedisServer(tmp_path)
    server.start()
    redis = connect(server.url)
    limiter = RateLimiter.for_redis(redis, "t", clock=lambda: 0.0)
    try:
        limit = parse_limit("5/minute")
        assert (await limiter.hit(limit, "a")).remaining == 4
        await redis.script_flush()
        assert (await limiter.hit(limit, "a")).remaining == 3
    finally:
        await redis.aclose()
        server.stop()


@pytest.mark.redis
async def test_a_cancelled_caller_does_not_disturb_its_batch() -> None:
    redis = connect(redis_url_or_skip())
    try:
        limiter = RateLimiter.for_redis(redis, fresh_namespace())
        limit = parse_limit("5/minute")
        gone = asyncio.ensure_future(limiter.hit(limit, "a"))
        stays = asyncio.ensure_future(limiter.hit(limit, "b"))
        await asyncio.sleep(0)
        gone.cancel()
        assert (await stays).remaining == 4
        assert (await limiter.hit(limit, "b")).remaining == 3
    finally:
        await redis.aclose()


async def test_memory_counters_are_swept_now_and_then_not_after_every_hit() -> None:
    storage = SweptMemoryStorage()
    sweeps: list[int] = []
    parent: Any = SweptMemoryStorage.__mro__[1]
    original = parent._MemoryStorage__schedule_expiry

    async def counted(self: Any) -> None:
        sweeps.append(1)
        await original(self)

    limiter = RateLimiter()
    limiter._local.storage = storage  # type: ignore[attr-defined]
    try:
        parent._MemoryStorage__schedule_expiry = counted
        for i in range(50):
            await limiter.hit(parse_limit("1/second"), "k", str(i))
        assert sweeps == [1]
        storage._next_sweep = 0.0  # SWEEP_EVERY later
        await limiter.hit(parse_limit("1/second"), "k", "last")
        assert sweeps == [1, 1]
    finally:
        parent._MemoryStorage__schedule_expiry = original


@pytest.mark.parametrize(
    ("text", "amount", "words"),
    [
        ("60/minute", 60, "60 requests per minute"),
        (" 1000 per hour ", 1000, "1000 requests per hour"),
        ("10/30 seconds", 10, "10 requests per 30 seconds"),
    ],
)
def test_limits_are_written_count_per_period(text: str, amount: int, words: str) -> None:
    limit = parse_limit(text)
    assert limit.amount == amount and describe(limit) == words


@pytest.mark.parametrize(
    "text", ["", "sixty", "60", "0/minute", "60/fortnight", "1/second;5/minute"]
)
def test_anything_else_is_not_a_limit(text: str) -> None:
    with pytest.raises(ValueError, match="is not a rate limit: write one limit as COUNT/PERIOD"):
        parse_limit(text)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("GET /api/me", "GET /api/me"),
        ("get   /api/spaces/{slug}/members", "GET /api/spaces/{slug}/members"),
        ("/api/me", "/api/me"),
    ],
)
def test_endpoints_are_a_method_and_a_path_template(text: str, key: str) -> None:
    assert endpoint_key(text) == key


@pytest.mark.parametrize("text", ["api/me", "FETCH /api/me", "GET /api/me?x=1", "GET"])
def test_anything_else_is_not_an_endpoint(text: str) -> None:
    with pytest.raises(ValueError, match="is not an endpoint"):
        endpoint_key(text)


@pytest.mark.parametrize(
    ("env", "value", "message"),
    [
        ("AUTHGATE_API_RATE_LIMIT", "60/fortnight", "api_rate_limit (TOML key 'api_rate_limit'"),
        ("AUTHGATE_TOKEN_RATE_LIMIT", "lots", "'lots' is not a rate limit"),
        ("AUTHGATE_API_RATE_LIMITS", '{"FETCH /api/me": "1/minute"}', "is not an endpoint"),
        ("AUTHGATE_API_RATE_LIMITS", '{"GET /api/me": "1/fortnight"}', "is not a rate limit"),
        (
            "AUTHGATE_API_RATE_LIMITS",
            '{"GET /api/me": "1/minute", "get /api/me": "2/minute"}',
            "given twice",
        ),
        ("AUTHGATE_RATE_LIMIT_ON_REDIS_ERROR", "maybe", "'open' or 'closed'"),
    ],
)
def test_bad_rate_limit_settings_are_refused_at_start_with_a_readable_message(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, message: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(SettingsError, match="invalid settings") as caught:
        load_settings()
    assert message in str(caught.value)


def test_endpoint_limits_are_normalized(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTHGATE_API_RATE_LIMITS", '{"get  /api/me": " 5/minute "}')
    assert load_settings().api_rate_limits == {"GET /api/me": "5/minute"}


@pytest.mark.parametrize(
    "decision",
    [
        RateDecision(allowed=True, limit=60, remaining=59, reset=60, retry_after=0),
        RateDecision(allowed=False, limit=2, remaining=0, reset=17, retry_after=17),
    ],
)
def test_raw_headers_are_the_headers_as_asgi_pairs(decision: RateDecision) -> None:
    expected = [(k.lower().encode(), v.encode()) for k, v in decision.headers().items()]
    assert decision.raw_headers() == expected
