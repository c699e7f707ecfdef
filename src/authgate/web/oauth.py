"""HTTP adapters for the token endpoint (RFC 6749 §3.2), revocation (RFC 7009) and
introspection (RFC 7662)."""

from __future__ import annotations

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from authgate.errors import InvalidRequest, OAuthError
from authgate.protocol.context import RequestContext
from authgate.protocol.endpoints.introspect import IntrospectionEndpoint
from authgate.protocol.endpoints.revoke import RevocationEndpoint
from authgate.protocol.endpoints.token import TokenEndpoint
from authgate.protocol.requests import (
    MAX_BODY_BYTES,
    Params,
    content_length_exceeds,
    is_form_content_type,
    parse_form,
)
from authgate.web.issuers import issuer_of
from authgate.web.responses import NO_STORE, oauth_error_json, token_json


async def read_limited_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, or :class:`InvalidRequest` once it passes ``limit`` bytes.

    Read straight from ASGI ``receive`` (most bodies arrive in one message), without
    Starlette's stream generator on this hot path."""
    if content_length_exceeds(request.headers.get("content-length"), limit):
        raise InvalidRequest("request body is too large")
    chunks: list[bytes] = []
    size = 0
    receive = request.receive
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientDisconnect()
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise InvalidRequest("request body is too large")
        if not message.get("more_body", False):
            if not chunks:
                return chunk
            chunks.append(chunk)
            return b"".join(chunks)
        chunks.append(chunk)


def request_context(request: Request) -> RequestContext:
    """The protocol's view of the request: the issuer the edge resolved for it, and the
    peer address as uvicorn resolved it."""
    return RequestContext(
        client_address=request.client.host if request.client else "unknown",
        issuer=issuer_of(request.scope),
    )


REVOCATION_PATH = "/oauth/revoke"
INTROSPECTION_PATH = "/oauth/introspect"


async def read_form_request(request: Request, endpoint: str) -> Params:
    """The parameters of a POST to a form endpoint (RFC 6749 §3.2, RFC 7009 §2.1): an
    ``application/x-www-form-urlencoded`` body, nothing in the URL."""
    if request.method != "POST":
        raise InvalidRequest(f"the {endpoint} endpoint accepts only POST (RFC 6749 §3.2)")
    if not is_form_content_type(request.headers.get("content-type")):
        raise InvalidRequest(
            "send parameters as application/x-www-form-urlencoded (RFC 6749 §4.1.3)"
        )
    if request.scope.get("query_string"):
        raise InvalidRequest("send parameters in the request body, not the URL (RFC 6749 §2.3.1)")
    return parse_form(await read_limited_body(request))


class AsgiEndpoint:
    """A Starlette route's endpoint as a plain ASGI app: the route calls it directly,
    without the per-request wrappers a function endpoint gets (these endpoints raise no
    ``HTTPException``; anything else still reaches the app's error handler)."""

    async def handle(self, request: Request) -> Response:
        raise NotImplementedError

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.handle(Request(scope, receive))
        await response(scope, receive, send)


class TokenHandler(AsgiEndpoint):
    def __init__(self, endpoint: TokenEndpoint) -> None:
        self._endpoint = endpoint

    async def handle(self, request: Request) -> Response:
        try:
            params = await read_form_request(request, "token")
            issued = await self._endpoint.handle(
                params, request.headers.get("authorization"), request_context(request)
            )
        except OAuthError as exc:
            return oauth_error_json(exc)
        return token_json(issued.to_response())


class RevocationHandler(AsgiEndpoint):
    """RFC 7009 §2.2: 200 with an empty body, errors as at the token endpoint."""

    def __init__(self, endpoint: RevocationEndpoint) -> None:
        self._endpoint = endpoint

    async def handle(self, request: Request) -> Response:
        try:
            params = await read_form_request(request, "revocation")
            await self._endpoint.handle(
                params, request.headers.get("authorization"), request_context(request)
            )
        except OAuthError as exc:
            return oauth_error_json(exc)
        return Response(status_code=200, headers=NO_STORE)


class IntrospectionHandler(AsgiEndpoint):
    """RFC 7662 §2.2: a JSON object, never cached."""

    def __init__(self, endpoint: IntrospectionEndpoint) -> None:
        self._endpoint = endpoint

    async def handle(self, request: Request) -> Response:
        try:
            params = await read_form_request(request, "introspection")
            body = await self._endpoint.handle(
                params, request.headers.get("authorization"), request_context(request)
            )
        except OAuthError as exc:
            return oauth_error_json(exc)
        return token_json(body)
