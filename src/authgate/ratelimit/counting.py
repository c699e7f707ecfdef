"""Counting one request at an OAuth endpoint: the limiter's decision, or the endpoint's
``503 temporarily_unavailable`` when the counters are away and the limiter fails closed."""

from __future__ import annotations

from authgate.errors import TemporarilyUnavailable
from authgate.ratelimit.limiter import CountersUnavailable, Limit, RateDecision, RateLimiter


async def count(limiter: RateLimiter, limit: Limit, *key: str) -> RateDecision:
    """Count one request of ``key`` against ``limit``; :class:`TemporarilyUnavailable`
    (with ``Retry-After``) instead of :class:`CountersUnavailable`."""
    try:
        return await limiter.hit(limit, *key)
    except CountersUnavailable as exc:
        raise TemporarilyUnavailable(
            "the rate limit counters cannot be reached; try again shortly",
            headers={"Retry-After": str(exc.retry_after)},
        ) from None
