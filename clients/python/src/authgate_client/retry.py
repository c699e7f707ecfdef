"""Waiting out ``429 Too Many Requests`` (RFC 6585 §4; seed 001: "the number of seconds
to wait before your client may retry")."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from authgate_client.errors import retry_after_seconds

#: RFC 9110 §9.2.2: methods whose repetition has the effect of one request
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


@dataclass(frozen=True)
class RetryPolicy:
    """When a ``429`` is retried: the request's method is in ``methods``, fewer than
    ``max_retries`` retries were made for it, and ``Retry-After`` asks for at most
    ``max_wait`` seconds (a missing header counts as ``default_wait``). Otherwise the
    ``429`` is the answer. ``RetryPolicy(max_retries=0)`` never waits.

    Token requests (``POST``) are not retried: a rate-limited refresh is raised as
    :class:`~authgate_client.SlowDown`, whose ``retry_after`` says when to try again.
    """

    max_retries: int = 3
    max_wait: float = 60.0
    default_wait: float = 1.0
    methods: frozenset[str] = IDEMPOTENT_METHODS

    def delay(self, response: httpx.Response, retries_made: int) -> float | None:
        """Seconds to wait before sending the request again, or ``None`` for no retry."""
        if response.status_code != 429 or retries_made >= self.max_retries:
            return None
        if response.request.method.upper() not in self.methods:
            return None
        wait = retry_after_seconds(response.headers.get("retry-after"))
        wait = self.default_wait if wait is None else wait
        return wait if wait <= self.max_wait else None


NO_RETRY = RetryPolicy(max_retries=0)
