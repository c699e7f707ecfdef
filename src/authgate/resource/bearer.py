"""RFC 6750 for Starlette apps: find the bearer token, check it, require scopes.

Platforms import this kit to protect their own API; authgate's demo API is built on it.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from authgate.errors import (
    TOKEN_DESCRIPTIONS,
    InsufficientScope,
    InvalidRequest,
    InvalidToken,
    OAuthError,
    TokenReason,
)
from authgate.protocol.requests import (
    Params,
    content_length_exceeds,
    is_form_content_type,
    parse_form,
    parse_pairs,
    safe_description,
)
from authgate.resource.ratelimit import ApiRateLimits
from authgate.resource.responses import error_json
from authgate.resource.token import TokenVerifier, VerifiedToken

Endpoint = Callable[[Request], Awaitable[Response]]

#: the 403's description for a token that acts for no user (client credentials) on a
#: resource that is a user's (seed 004: "Resources that require user authorization cannot be
#: accessed using the Client Credentials flow")
NEEDS_USER = "this resource needs a token acting for a user"


class MissingToken(OAuthError):
    """RFC 6750 §3.1: a request with no authentication gets no error code, only a challenge."""

    error = ""
    status_code = 401

    def to_dict(self) -> dict[str, str]:
        return {"error": "unauthorized", "error_description": self.description}


async def _form_params(request: Request) -> Params:
    """The form body's parameters, strictly parsed; when the framework has already read
    the body as a form (FastAPI's ``Form`` fields), from that form."""
    try:
        body = await request.body()
    except RuntimeError:  # the stream was consumed by request.form()
        form = await request.form()
        return parse_pairs([(k, v) for k, v in form.multi_items() if isinstance(v, str)])
    return parse_form(body)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class BearerAuth:
    def __init__(
        self,
        verifier: TokenVerifier,
        *,
        realm: str,
        allow_query: bool,
        rate_limits: ApiRateLimits | None = None,
        descriptions: Mapping[TokenReason, str] | None = None,
    ) -> None:
        self._verifier = verifier
        self.realm = realm
        self.allow_query = allow_query
        #: the ``error_description`` of each reason a token is refused for: the neutral
        #: texts, with ``descriptions`` over them (a deployment's own wording)
        self.descriptions: dict[TokenReason, str] = {**TOKEN_DESCRIPTIONS, **(descriptions or {})}
        #: counts every authenticated request of ``requires`` endpoints (resource/ratelimit.py)
        self.rate_limits = rate_limits

    async def find_token(self, request: Request) -> str | None:
        """RFC 6750 §2: header, form body or (if allowed) query; never more than one."""
        found: list[str] = []
        header = request.headers.get("authorization")
        if header is not None:
            scheme, _, value = header.strip().partition(" ")
            if scheme.lower() == "bearer":
                value = value.strip()
                if not value:
                    raise InvalidRequest("the Authorization header has no bearer token")
                found.append(value)
        if request.method not in {"GET", "HEAD"} and is_form_content_type(
            request.headers.get("content-type")
        ):
            length = request.headers.get("content-length")
            if length is not None and not content_length_exceeds(length):
                body_token = (await _form_params(request)).get("access_token")
                if body_token is not None:
                    found.append(body_token)
        query: bytes = request.scope.get("query_string", b"")
        # find(), not ``in``: CPython 3.11's bytes ``in`` raises and clears a TypeError first
        if query and query.find(b"access_token") >= 0 and "access_token" in request.query_params:
            if not self.allow_query:
                raise InvalidRequest(
                    "send the access token in the Authorization header, not the URL"
                )
            values = request.query_params.getlist("access_token")
            if len(values) > 1:
                raise InvalidRequest("access_token was sent more than once")
            found.append(values[0])
        if len(found) > 1:
            raise InvalidRequest("send the access token by one method only (RFC 6750 §2)")
        return found[0] if found else None

    async def optional(self, request: Request) -> VerifiedToken | None:
        """The checked token if the request carries one (public data may be read without
        one, but a bad token is still an error)."""
        token = await self.find_token(request)
        return None if token is None else await self._verifier.verify(token)

    async def authenticate(
        self, request: Request, scopes: frozenset[str], *, user: bool = False
    ) -> VerifiedToken:
        """The checked token, when it has ``scopes`` and, with ``user``, acts for a user.

        RFC 6750 §3.1: a token without the scope is ``insufficient_scope`` (403). So is a
        client's own token (client credentials) where ``user`` is asked for: it is valid
        (not ``invalid_token``, which would send the client to fetch another one of the
        same kind), but it lacks a privilege that only a user's authorization gives.
        """
        token = await self.find_token(request)
        if token is None:
            raise MissingToken("an access token is required")
        info = await self._verifier.verify(token)
        missing = scopes - info.scopes
        if missing:
            raise InsufficientScope(
                f"this request needs the scope {' '.join(sorted(scopes))!r}",
                " ".join(sorted(scopes)),
            )
        if user and not info.for_user:
            raise InsufficientScope(NEEDS_USER, " ".join(sorted(scopes)))
        return info

    def describe(self, exc: OAuthError) -> str:
        """The ``error_description`` for ``exc``: for a refused token, this kit's text of
        its reason; otherwise the error's own."""
        if isinstance(exc, InvalidToken):
            return self.descriptions[exc.reason]
        return exc.description

    def challenge(self, exc: OAuthError) -> str:
        """The ``WWW-Authenticate`` value for ``exc`` (RFC 6750 §3)."""
        parts = [f"realm={_quote(self.realm)}"]
        if exc.error:
            parts.append(f"error={_quote(exc.error)}")
            description = self.describe(exc)
            if description:
                parts.append(f"error_description={_quote(safe_description(description))}")
        if isinstance(exc, InsufficientScope) and exc.scope:
            parts.append(f"scope={_quote(exc.scope)}")
        return "Bearer " + ", ".join(parts)

    def error_response(self, exc: OAuthError) -> Response:
        return error_json(
            exc,
            {"WWW-Authenticate": self.challenge(exc), "Cache-Control": "no-store"},
            description=self.describe(exc),
        )

    def requires(self, *scopes: str, user: bool = False) -> Callable[[Endpoint], Endpoint]:
        """Decorate a Starlette endpoint; the checked token is in ``request.state.token``.

        ``user=True``: the endpoint is a user's resource, and a token that acts for no user
        (client credentials) gets ``403 insufficient_scope`` (:data:`NEEDS_USER`).
        """
        needed = frozenset(scopes)

        def decorate(endpoint: Endpoint) -> Endpoint:
            @functools.wraps(endpoint)
            async def guarded(request: Request) -> Response:
                try:
                    info = await self.authenticate(request, needed, user=user)
                    # ``request.state.token``: Starlette's State keeps it in the scope's
                    # "state", written here without going through its __setattr__
                    request.scope.setdefault("state", {})[STATE_KEY] = info
                except OAuthError as exc:
                    return self.error_response(exc)
                if self.rate_limits is not None:  # the rate-limit hook
                    return await self.rate_limits(request, info, endpoint)
                return await endpoint(request)

            guarded.required_scopes = needed  # type: ignore[attr-defined]
            guarded.requires_user = user  # type: ignore[attr-defined]
            return guarded

        return decorate


#: the name of the checked token in ``request.state``
STATE_KEY = "token"


def required_scopes(endpoint: Any) -> frozenset[str] | None:
    """The scopes :meth:`BearerAuth.requires` put on ``endpoint``; ``None`` if public."""
    scopes = getattr(endpoint, "required_scopes", None)
    return scopes if isinstance(scopes, frozenset) else None


def requires_user(endpoint: Any) -> bool:
    """Whether :meth:`BearerAuth.requires` refuses tokens acting for no user on ``endpoint``."""
    return getattr(endpoint, "requires_user", False) is True


def token_of(request: Request) -> VerifiedToken:
    """The token :meth:`BearerAuth.requires` checked (``request.state.token``), read from
    the scope's state directly: ``request.state``'s ``__getattr__`` would first fail a
    normal attribute look-up, an AttributeError made and dropped on every API call."""
    info: Any = request.scope["state"][STATE_KEY]
    assert isinstance(info, VerifiedToken)
    return info
