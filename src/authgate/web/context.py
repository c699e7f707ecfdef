"""The protocol's view of an HTTP request: the issuer the edge resolved for it, and the
peer address as uvicorn resolved it."""

from __future__ import annotations

from starlette.requests import Request

from authgate.protocol.context import RequestContext
from authgate.web.issuers import Scope, issuer_of


def context_of(scope: Scope) -> RequestContext:
    client = scope.get("client")
    return RequestContext(
        client_address=client[0] if client else "unknown", issuer=issuer_of(scope)
    )


def request_context(request: Request) -> RequestContext:
    return context_of(request.scope)
