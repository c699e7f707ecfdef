"""Render protocol results and errors as RFC responses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import Response

from authgate.errors import OAuthError, ServerError, TemporarilyUnavailable
from authgate.resource.responses import JsonResponse, error_json

#: RFC 6749 §5.1: token responses MUST carry these.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


_NO_STORE_JSON = [
    (b"content-type", b"application/json"),
    (b"cache-control", b"no-store"),
    (b"pragma", b"no-cache"),
]


class NoStoreJson(Response):
    """A 200 JSON body with RFC 6749 §5.1's headers, its header list built once: the
    response of every token and introspection request."""

    media_type = "application/json"

    def __init__(self, content: dict[str, Any]) -> None:
        self.status_code = 200
        self.background = None
        self.body = orjson.dumps(content)
        self.raw_headers = [(b"content-length", str(len(self.body)).encode()), *_NO_STORE_JSON]


def token_json(body: dict[str, Any]) -> Response:
    return NoStoreJson(body)


def oauth_error_json(exc: OAuthError, texts: Mapping[str, str] | None = None) -> JsonResponse:
    """RFC 6749 §5.2 error body; never a stack trace. ``texts``: fixed descriptions by
    error code (``error_descriptions``), said instead of the error's own."""
    description = exc.worded(texts) if texts else None
    return error_json(exc, {**NO_STORE, **exc.headers}, description=description)


def server_error_json(texts: Mapping[str, str] | None = None) -> JsonResponse:
    return oauth_error_json(ServerError("the server could not complete the request"), texts)


#: seconds a client is asked to wait while the database does not answer
RETRY_AFTER = 5


def unavailable_json(texts: Mapping[str, str] | None = None) -> JsonResponse:
    """The database does not answer: ``503 temporarily_unavailable`` with ``Retry-After``
    (RFC 6749 §4.1.2.1 names the code; the token endpoint answers it too)."""
    return oauth_error_json(
        TemporarilyUnavailable(
            "the server cannot reach its database; try again shortly",
            headers={"Retry-After": str(RETRY_AFTER)},
        ),
        texts,
    )
