"""The token endpoint's rate limit per client, beside the sign-in failure throttles.

It counts every token request of an authenticated client, whatever its outcome, before
the grant does any work (a password check, a database write): a client that mints tokens
in a loop is slowed down before it fills the database.
"""

from __future__ import annotations

from authgate.domain import Client
from authgate.errors import SlowDown
from authgate.ratelimit.counting import count
from authgate.ratelimit.limiter import Limit, RateLimiter
from authgate.ratelimit.notation import describe


class ClientTokenLimit:
    def __init__(self, limiter: RateLimiter, limit: Limit) -> None:
        self._limiter = limiter
        self._limit = limit

    async def check(self, client: Client) -> None:
        """Count one token request of ``client``: :class:`SlowDown` (429) over the limit,
        :class:`TemporarilyUnavailable` (503) when the counters are away and the limiter
        fails closed."""
        decision = await count(self._limiter, self._limit, "token", "client", str(client.pk))
        if not decision.allowed:
            raise SlowDown(
                f"this client may make {describe(self._limit)} to the token endpoint; "
                f"try again in {decision.retry_after} seconds",
                decision.retry_after,
            )
