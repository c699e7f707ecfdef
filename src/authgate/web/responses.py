"""Render protocol results and errors as RFC responses."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from authgate.errors import OAuthError, ServerError
from authgate.protocol.requests import safe_description

#: RFC 6749 §5.1: token responses MUST carry these.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def token_json(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, headers=NO_STORE)


def oauth_error_json(exc: OAuthError) -> JSONResponse:
    """RFC 6749 §5.2 error body; never a stack trace."""
    body = exc.to_dict()
    if "error_description" in body:
        body["error_description"] = safe_description(body["error_description"])
    return JSONResponse(body, status_code=exc.status_code, headers={**NO_STORE, **exc.headers})


def server_error_json() -> JSONResponse:
    return oauth_error_json(ServerError("the server could not complete the request"))
