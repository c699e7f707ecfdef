"""Dynamic registration's rate limit per client address (``dynamic_registration =
"open"``): anyone may register a client there, so each address may only register a few."""

from __future__ import annotations

from authgate.errors import RateLimitExceeded
from authgate.ratelimit.counting import count
from authgate.ratelimit.limiter import Limit, RateLimiter
from authgate.ratelimit.notation import describe


class RegistrationLimit:
    def __init__(self, limiter: RateLimiter, limit: Limit) -> None:
        self._limiter = limiter
        self._limit = limit

    async def check(self, address: str) -> None:
        """Count one registration from ``address``: :class:`RateLimitExceeded` (429 with
        ``Retry-After``) over the limit, :class:`TemporarilyUnavailable` (503) when the
        counters are away and the limiter fails closed."""
        decision = await count(self._limiter, self._limit, "register", "address", address)
        if not decision.allowed:
            raise RateLimitExceeded(
                f"this address may make {describe(self._limit)} to the registration "
                f"endpoint; try again in {decision.retry_after} seconds",
                decision.retry_after,
            )
