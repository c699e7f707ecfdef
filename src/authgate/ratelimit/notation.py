"""How rate limits are written in settings: ``"60/minute"``, and endpoints as
``"GET /api/spaces/{slug}/members"`` (a method and the route's path template) or a bare
path template for every method."""

from __future__ import annotations

from limits import RateLimitItem, parse_many

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def parse_limit(text: str) -> RateLimitItem:
    """``"60/minute"``, ``"1000 per hour"``, ``"10/30 seconds"``: one limit, at least 1.

    Raises ``ValueError`` with a message fit for a settings error."""
    try:
        found = parse_many(text.strip())
    except ValueError:
        found = []
    if len(found) != 1 or found[0].amount < 1:
        raise ValueError(
            f"{text!r} is not a rate limit: write one limit as COUNT/PERIOD, e.g. "
            '"60/minute", "1000/hour" or "10/30 seconds" (periods: second, minute, hour, day)'
        )
    return found[0]


def describe(limit: RateLimitItem) -> str:
    """``60 requests per minute``, ``10 requests per 30 seconds``: for error descriptions."""
    unit = limit.GRANULARITY.name
    period = unit if limit.multiples == 1 else f"{limit.multiples} {unit}s"
    return f"{limit.amount} requests per {period}"


def endpoint_key(text: str) -> str:
    """``"get  /api/me"`` -> ``"GET /api/me"``; ``"/api/me"`` stays (every method).

    Raises ``ValueError`` with a message fit for a settings error."""
    method, _, path = text.strip().rpartition(" ")
    method = method.strip().upper()
    if (method and method not in METHODS) or not path.startswith("/") or "?" in path:
        raise ValueError(
            f"{text!r} is not an endpoint: write a method and the route's path template, "
            'e.g. "GET /api/spaces/{slug}/members", or only the path for every method'
        )
    return f"{method} {path}" if method else path
