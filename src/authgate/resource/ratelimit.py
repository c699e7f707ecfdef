"""Rate limits for a platform API built on the kit (seed 001: "60 requests per minute per
user", ``429`` with ``Retry-After`` over it).

Every request with a valid token is counted against exactly one budget: its endpoint's own
when ``per_endpoint`` names the endpoint, otherwise the API's shared default budget. A
budget is per user, or per client for client-credentials tokens (which act for no user).
Every response of such a request carries ``RateLimit-Limit``, ``RateLimit-Remaining`` and
``RateLimit-Reset``; over the limit the answer is ``429``, a JSON error body and
``Retry-After`` in seconds. Requests refused before (no token, a bad token, a missing
scope: ``401``/``403``) are not counted.

An endpoint is named by its method and route path template as the app declares it,
prefixed by any ``Mount``: ``"GET /api/spaces/{slug}/members"``, or by the path template
alone for every method (a ``HEAD`` request counts as ``GET``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterable, Mapping

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from authgate.errors import OAuthError, RateLimitExceeded, TemporarilyUnavailable
from authgate.ratelimit.limiter import CountersUnavailable, Limit, RateDecision, RateLimiter
from authgate.ratelimit.notation import describe, endpoint_key, parse_limit
from authgate.resource.responses import error_json
from authgate.resource.token import VerifiedToken
from authgate.settings import Settings

Endpoint = Callable[[Request], Awaitable[Response]]


def _budget_id(endpoint: str) -> str:
    """A short, neutral name for an endpoint's budget in the counters' keys."""
    return hashlib.sha256(endpoint.encode()).hexdigest()[:16]


class ApiRateLimits:
    def __init__(
        self,
        limiter: RateLimiter,
        default: str | Limit = "60/minute",
        per_endpoint: Mapping[str, str | Limit] | None = None,
    ) -> None:
        self._limiter = limiter
        self.default = parse_limit(default) if isinstance(default, str) else default
        self.per_endpoint: dict[str, tuple[str, Limit]] = {}
        for name, limit in (per_endpoint or {}).items():
            key = endpoint_key(name)
            parsed = parse_limit(limit) if isinstance(limit, str) else limit
            self.per_endpoint[key] = (_budget_id(key), parsed)

    @classmethod
    def from_settings(cls, limiter: RateLimiter, settings: Settings) -> ApiRateLimits | None:
        """``api_rate_limit`` and ``api_rate_limits``; ``None`` when rate limits are off."""
        if not settings.rate_limits_enabled:
            return None
        return cls(limiter, settings.api_rate_limit, settings.api_rate_limits)

    def budget(self, method: str, template: str) -> tuple[str, Limit]:
        """The budget (its id and limit) a request to ``method template`` counts against."""
        if self.per_endpoint:
            method = "GET" if method == "HEAD" else method
            found = self.per_endpoint.get(f"{method} {template}") or self.per_endpoint.get(template)
            if found is not None:
                return found
        return "default", self.default

    async def decide(self, request: Request, info: VerifiedToken) -> RateDecision:
        """Count this request; raises :class:`CountersUnavailable` when Redis is away and
        the limiter fails closed."""
        if self.per_endpoint:
            budget, limit = self.budget(request.method, route_template(request))
        else:  # one budget for every endpoint: no template to look up
            budget, limit = "default", self.default
        # The user's subject, or the client's id: the same keys whichever way the token
        # was checked (locally, by introspection or as a JWT).
        subject = ("user", info.subject) if info.for_user else ("client", info.client_id)
        return await self._limiter.hit(limit, "api", budget, *subject)

    async def __call__(self, request: Request, info: VerifiedToken, endpoint: Endpoint) -> Response:
        """The kit's hook: count the request, then answer ``429`` or run ``endpoint`` and
        add the ``RateLimit-*`` headers to its response."""
        try:
            decision = await self.decide(request, info)
        except CountersUnavailable as exc:
            return error_response(
                TemporarilyUnavailable(
                    "the rate limit counters cannot be reached; try again shortly",
                    headers={"Retry-After": str(exc.retry_after)},
                )
            )
        if not decision.allowed:
            limit = self.budget(request.method, route_template(request))[1]
            refused = RateLimitExceeded(
                f"{describe(limit)} are allowed; try again in {decision.retry_after} seconds",
                decision.retry_after,
            )
            return error_response(refused, decision.headers())
        response = await endpoint(request)
        response.raw_headers.extend(decision.raw_headers())
        return response

    def unknown_endpoints(self, routes: Iterable[BaseRoute]) -> list[str]:
        """The ``per_endpoint`` names that match none of ``routes`` (top-level ``Route``s):
        most likely typing mistakes."""
        known: set[str] = set()
        for route in routes:
            if isinstance(route, Route):
                known.add(route.path)
                known.update(f"{method} {route.path}" for method in route.methods or ())
        return sorted(set(self.per_endpoint) - known)


def route_template(request: Request) -> str:
    """The path template of the route that matched (``/api/spaces/{slug}``), else the path."""
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return request.url.path
    return str(request.scope.get("root_path", "")) + path


def error_response(exc: OAuthError, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON error without a bearer challenge: the token was fine, the rate was not."""
    return error_json(exc, {**(headers or {}), **exc.headers, "Cache-Control": "no-store"})
