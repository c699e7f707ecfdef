"""HTTP adapters for the token endpoint (RFC 6749 §3.2), revocation (RFC 7009) and
introspection (RFC 7662).

Each answers its requests itself (``FormEndpoint.serve``): it reads them straight from the
ASGI scope and ``receive`` (the three headers it needs, the body), and answers every outcome (an
RFC error as JSON, anything unexpected as a logged 500 with the same JSON shape as the
app's error handler). So the edge calls them directly for their paths, without
Starlette's middleware and router on the hottest requests (web/edge.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from authgate.domain import IssuedTokens
from authgate.errors import InvalidRequest, OAuthError
from authgate.protocol.context import RequestContext
from authgate.protocol.endpoints.introspect import IntrospectionEndpoint
from authgate.protocol.endpoints.revoke import RevocationEndpoint
from authgate.protocol.endpoints.token import TokenEndpoint
from authgate.protocol.requests import (
    MAX_BODY_BYTES,
    Params,
    content_length_exceeds,
    form_pairs,
    is_form_content_type,
    parse_form,
    parse_pairs,
    plain_form,
)
from authgate.storage.base import DatabaseUnavailable
from authgate.web.context import context_of
from authgate.web.responses import (
    NO_STORE,
    oauth_error_json,
    server_error_json,
    token_json,
    unavailable_json,
)

log = logging.getLogger("authgate")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)

REVOCATION_PATH = "/oauth/revoke"
INTROSPECTION_PATH = "/oauth/introspect"


# Immutable and built for every request: a NamedTuple costs half of a frozen dataclass.
class FormRequest(NamedTuple):
    """What a form endpoint needs of its request."""

    params: Params
    #: the ``Authorization`` header (client authentication), if sent
    authorization: str | None
    context: RequestContext


async def read_limited_body(
    receive: Receive, content_length: str | None, limit: int = MAX_BODY_BYTES
) -> bytes:
    """The request body, or :class:`InvalidRequest` once it passes ``limit`` bytes; read
    straight from ASGI ``receive`` (most bodies arrive in one message)."""
    if content_length_exceeds(content_length, limit):
        raise InvalidRequest("request body is too large")
    return await read_body_from(await receive(), receive, limit)


async def read_body_from(message: Message, receive: Receive, limit: int) -> bytes:
    """The body that begins with ``message``, the first ASGI message of the request."""
    chunks: list[bytes] = []
    size = 0
    while True:
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
        message = await receive()


FORM_TYPE = b"application/x-www-form-urlencoded"


async def read_form_request(
    scope: Scope, receive: Receive, endpoint: str, *, params_in_query: bool = False
) -> FormRequest:
    """A POST to a form endpoint (RFC 6749 §3.2, RFC 7009 §2.1): an
    ``application/x-www-form-urlencoded`` body, nothing in the URL.

    ``params_in_query`` (``token_params_in_query``) also takes the query string's
    parameters, as one request with the body's: a name sent twice, in either or in both,
    is refused as RFC 6749 §3.1 says ("MUST NOT be included more than once"). A POST
    whose parameters are all in the URL may then come without a body and its
    ``Content-Type`` (``curl -X POST URL``)."""
    if scope["method"] != "POST":
        raise InvalidRequest(f"the {endpoint} endpoint accepts only POST (RFC 6749 §3.2)")
    # The first value of each header read here (as Starlette's ``get``), in one loop: this
    # is every token, introspection and revocation request.
    authorization = content_type = content_length = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            if authorization is None:
                authorization = value
        elif name == b"content-type":
            if content_type is None:
                content_type = value
        elif name == b"content-length" and content_length is None:
            content_length = value
    query: bytes = scope.get("query_string", b"")
    if query and not params_in_query:
        raise InvalidRequest("send parameters in the request body, not the URL (RFC 6749 §2.3.1)")
    bodiless = bool(query) and content_type is None
    if (
        not bodiless
        and content_type != FORM_TYPE
        and not is_form_content_type(
            None if content_type is None else content_type.decode("latin-1")
        )
    ):
        raise InvalidRequest(
            "send parameters as application/x-www-form-urlencoded (RFC 6749 §4.1.3)"
        )
    if content_length is not None and content_length_exceeds(content_length.decode("latin-1")):
        raise InvalidRequest("request body is too large")
    # A body that came whole in the first message (nearly every one) is taken here, without
    # a coroutine; anything else is read on by read_body_from.
    first = await receive()
    body = first.get("body", b"")
    if (
        first["type"] != "http.request"
        or first.get("more_body", False)
        or len(body) > MAX_BODY_BYTES
    ):
        body = await read_body_from(first, receive, MAX_BODY_BYTES)
    if bodiless and body:
        raise InvalidRequest(
            "send parameters as application/x-www-form-urlencoded (RFC 6749 §4.1.3)"
        )
    if query:
        pairs = form_pairs(query, "query string") + form_pairs(body, "request body")
        params = parse_pairs(pairs)
    else:
        plain = plain_form(body)
        params = parse_form(body) if plain is None else plain
    return FormRequest(
        params,
        None if authorization is None else authorization.decode("latin-1"),
        context_of(scope),
    )


class HandlesForm(Protocol[R_co]):
    """A protocol endpoint (protocol/endpoints/): one request's parameters, client
    authentication header and context in, its result out (or an :class:`OAuthError`)."""

    async def handle(
        self, params: Params, authorization: str | None, context: RequestContext
    ) -> R_co: ...


class FormEndpoint(Generic[R]):
    """The HTTP side shared by the three endpoints: each renders its protocol endpoint's
    result (:meth:`render`); :meth:`serve` does the rest."""

    #: how error messages name the endpoint
    name = ""
    #: fixed error_description texts by error code (``error_descriptions``); none: the
    #: errors' own
    descriptions: Mapping[str, str] | None = None
    #: take parameters from the query string too (``token_params_in_query``)
    params_in_query = False
    #: ``on_client_auth_failure(name)`` for each ``invalid_client`` answered (the metrics)
    on_client_auth_failure: Callable[[str], None] | None = None

    def __init__(
        self, endpoint: HandlesForm[R], *, descriptions: Mapping[str, str] | None = None
    ) -> None:
        self.endpoint = endpoint
        self.descriptions = descriptions

    def render(self, form: FormRequest, result: R) -> Response:
        """The response for the endpoint's ``result``."""
        raise NotImplementedError

    async def serve(
        self, scope: Scope, receive: Receive, send: Send, *extra: tuple[bytes, bytes]
    ) -> int:
        """Answer the request, with the ``extra`` headers; the status answered. The edge
        calls this directly (with the request id's header), without wrapping ``send``."""
        try:
            form = await read_form_request(
                scope, receive, self.name, params_in_query=self.params_in_query
            )
            result = await self.endpoint.handle(form.params, form.authorization, form.context)
            response = self.render(form, result)
        except OAuthError as exc:
            if exc.error == "invalid_client" and self.on_client_auth_failure is not None:
                self.on_client_auth_failure(self.name)
            response = oauth_error_json(exc, self.descriptions)
        except ClientDisconnect:
            # The client left before its body was read: nothing to log, and the 400 goes
            # nowhere (an ASGI app must still answer, or uvicorn logs an error).
            response = Response(status_code=400)
        except DatabaseUnavailable:
            response = unavailable_json(self.descriptions)
        except Exception:
            # The path only: a query string may hold a token or a code.
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            response = server_error_json(self.descriptions)
        # What Response.__call__ sends (every response here has its whole body).
        headers = [*response.raw_headers, *extra] if extra else response.raw_headers
        status = response.status_code
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": response.body})
        return status


class TokenHandler(FormEndpoint[IssuedTokens]):
    name = "token"

    def __init__(
        self,
        endpoint: TokenEndpoint,
        *,
        descriptions: Mapping[str, str] | None = None,
        params_in_query: bool = False,
    ) -> None:
        super().__init__(endpoint, descriptions=descriptions)
        self.params_in_query = params_in_query
        #: ``on_issued(grant_type)`` for each token response (the metrics)
        self.on_issued: Callable[[str], None] | None = None

    def render(self, form: FormRequest, result: IssuedTokens) -> Response:
        if self.on_issued is not None:
            self.on_issued(form.params.get("grant_type") or "")
        return token_json(result.to_response())


class RevocationHandler(FormEndpoint[None]):
    """RFC 7009 §2.2: 200 with an empty body, errors as at the token endpoint."""

    name = "revocation"

    def __init__(
        self, endpoint: RevocationEndpoint, *, descriptions: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(endpoint, descriptions=descriptions)

    def render(self, form: FormRequest, result: None) -> Response:
        return Response(status_code=200, headers=NO_STORE)


class IntrospectionHandler(FormEndpoint[dict[str, Any]]):
    """RFC 7662 §2.2: a JSON object, never cached."""

    name = "introspection"

    def __init__(
        self, endpoint: IntrospectionEndpoint, *, descriptions: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(endpoint, descriptions=descriptions)

    def render(self, form: FormRequest, result: dict[str, Any]) -> Response:
        return token_json(result)
