"""One JSON shape for every error of the admin API: ``{"error", "error_description"}``
(RFC 6749 §5.2's names), with ``field`` or ``errors`` when a request value was refused.
FastAPI's validation errors, unknown paths and methods, bad JSON, a changed revision, a
database that does not answer and any bug: the same shape, never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.responses import Response

from authgate.errors import OAuthError
from authgate.protocol.admin.errors import PreconditionFailed
from authgate.protocol.requests import safe_description
from authgate.protocol.rules import RegistrationError
from authgate.resource.responses import JsonResponse
from authgate.storage.base import DatabaseUnavailable, RevisionMismatch
from authgate.web.responses import RETRY_AFTER

log = logging.getLogger("authgate.admin_api")
NO_STORE = {"Cache-Control": "no-store"}
_BY_STATUS = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}


class FieldError(BaseModel):
    #: where the value was: ``["body", "name"]``, ``["query", "limit"]``
    loc: list[str | int]
    message: str


class ErrorBody(BaseModel):
    error: str
    error_description: str | None = None
    #: the request field a refused value was in
    field: str | None = None
    errors: list[FieldError] | None = None


def error_response(
    status: int,
    error: str,
    description: str = "",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JsonResponse:
    body: dict[str, Any] = {"error": error}
    if description:
        body["error_description"] = safe_description(description)
    body.update({k: v for k, v in extra.items() if v is not None})
    return JsonResponse(body, status_code=status, headers={**NO_STORE, **(headers or {})})


def admin_not_found() -> JsonResponse:
    return error_response(404, "not_found", "Not Found")


async def on_oauth_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OAuthError)
    body = exc.to_dict()
    field = exc.field if isinstance(exc, RegistrationError) else None
    return error_response(
        exc.status_code,
        body["error"],
        body.get("error_description", ""),
        exc.headers,
        field=field,
    )


async def on_validation(request: Request, exc: Exception) -> Response:
    """400, not FastAPI's 422: a value is refused as OAuth refuses one. The values
    themselves are never echoed (one may be a password)."""
    assert isinstance(exc, RequestValidationError)
    errors = [
        FieldError(
            loc=[p if isinstance(p, int) else str(p) for p in e.get("loc", ())],
            message=str(e.get("msg", "invalid")),
        )
        for e in exc.errors()[:20]
    ]
    first = errors[0] if errors else FieldError(loc=[], message="invalid request")
    where = ".".join(str(p) for p in first.loc[1:]) or ".".join(str(p) for p in first.loc)
    text = f"{where}: {first.message}" if where else first.message
    if any(e.get("type") == "json_invalid" for e in exc.errors()):
        text = "the body is not valid JSON"
    return error_response(400, "invalid_request", text, errors=[e.model_dump() for e in errors])


async def on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    error = _BY_STATUS.get(exc.status_code, "invalid_request")
    detail = exc.detail if isinstance(exc.detail, str) else ""
    headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() == "allow"}
    return error_response(exc.status_code, error, detail, headers)


async def on_revision(request: Request, exc: Exception) -> Response:
    return await on_oauth_error(
        request, PreconditionFailed("the resource changed since it was read")
    )


async def on_unavailable(request: Request, exc: Exception) -> Response:
    return error_response(
        503,
        "temporarily_unavailable",
        "the server cannot reach its database; try again shortly",
        {"Retry-After": str(RETRY_AFTER)},
    )


async def on_bug(request: Request, exc: Exception) -> Response:
    # The path only: a query string may hold a cursor or a search.
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "server_error", "the server could not complete the request")


def install(app: FastAPI) -> None:
    app.add_exception_handler(OAuthError, on_oauth_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(RevisionMismatch, on_revision)
    app.add_exception_handler(DatabaseUnavailable, on_unavailable)
    app.add_exception_handler(Exception, on_bug)
