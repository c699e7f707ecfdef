"""The protocol's view of an HTTP request: the issuer the edge resolved for it, and the
peer address as uvicorn resolved it."""

from __future__ import annotations

from starlette.requests import Request

from authgate.protocol.context import RequestContext
from authgate.web.issuers import Scope


def context_of(scope: Scope) -> RequestContext:
    """The issuer is the one the edge resolved (``issuer_of``, read here directly)."""
    client = scope.get("client")
    return RequestContext(
        client_address=client[0] if client else "unknown", issuer=scope["state"]["issuer"]
    )


def request_context(request: Request) -> RequestContext:
    return context_of(request.scope)
