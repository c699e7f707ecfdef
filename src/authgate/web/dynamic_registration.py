"""HTTP side of dynamic client registration: ``POST /oauth/register`` (RFC 7591 §3) and
``GET``, ``PUT``, ``DELETE /oauth/register/{client_id}`` (RFC 7592 §2), mounted only when
``dynamic_registration`` is not ``off``.

Bodies are JSON objects read with a size limit; every refusal is an RFC error as JSON with
``Cache-Control: no-store`` (answers carry secrets and tokens), and a ``401`` names the
Bearer scheme (RFC 6750 §3)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authgate.errors import InvalidClientMetadata, InvalidToken, OAuthError
from authgate.protocol.client_metadata import MAX_DOCUMENT_BYTES, parse_document
from authgate.protocol.dynamic_registration import (
    REGISTRATION_PATH,
    Answer,
    DynamicRegistration,
    MissingToken,
)
from authgate.protocol.initial_tokens import RefusedToken
from authgate.resource.responses import JsonResponse
from authgate.web.context import request_context
from authgate.web.responses import NO_STORE, oauth_error_json


def _bearer(request: Request) -> str | None:
    """RFC 6750 §2.1: the ``Authorization: Bearer`` token; any other scheme is no token
    authgate knows, so the request is refused as an invalid one."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise RefusedToken("send the token as Authorization: Bearer (RFC 6750 §2.1)")
    return value.strip()


async def _document(request: Request) -> dict[str, Any]:
    """RFC 7591 §3.1: ``application/json``, one object, at most 64 KiB."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";", 1)[0].strip().lower() != "application/json":
        raise InvalidClientMetadata("send the client metadata as application/json (RFC 7591 §3.1)")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_DOCUMENT_BYTES:
            raise InvalidClientMetadata(
                f"the request body is larger than {MAX_DOCUMENT_BYTES} bytes"
            )
    return parse_document(bytes(body))


def _error(exc: OAuthError) -> Response:
    headers = dict(NO_STORE)
    if isinstance(exc, MissingToken):
        headers["WWW-Authenticate"] = "Bearer"
    elif isinstance(exc, InvalidToken):
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    response = oauth_error_json(exc)
    response.headers.update(headers)
    return response


def _json(answer: Answer) -> Response:
    return JsonResponse(answer.body, status_code=answer.status, headers=NO_STORE)


class RegistrationEndpoints:
    def __init__(self, registration: DynamicRegistration) -> None:
        self._registration = registration

    async def register(self, request: Request) -> Response:
        try:
            bearer = _bearer(request)
            document = await _document(request)
            return _json(
                await self._registration.register(document, bearer, request_context(request))
            )
        except OAuthError as exc:
            return _error(exc)

    async def manage(self, request: Request) -> Response:
        client_id = request.path_params["client_id"]
        context = request_context(request)
        try:
            bearer = _bearer(request)
            if request.method == "PUT":
                document = await _document(request)
                return _json(await self._registration.update(client_id, document, bearer, context))
            if request.method == "DELETE":
                await self._registration.delete(client_id, bearer, context)
                return Response(status_code=204, headers=NO_STORE)
            # GET, and the HEAD Starlette adds to it
            return _json(await self._registration.read(client_id, bearer, context))
        except OAuthError as exc:
            return _error(exc)

    def routes(self) -> list[Route]:
        return [
            Route(REGISTRATION_PATH, self.register, methods=["POST"]),
            Route(
                REGISTRATION_PATH + "/{client_id}", self.manage, methods=["GET", "PUT", "DELETE"]
            ),
        ]
