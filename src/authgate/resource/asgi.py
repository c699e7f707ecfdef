"""``EndpointApp``: a Starlette endpoint (``request -> response``) as a plain ASGI app.

Starlette wraps a function endpoint in a second exception-handling layer per request (a
fresh ``Request``, closures, and a wrapper around every ``send``). An app already has that
layer once, above its router, so on a hot path the route may call the endpoint directly:
``Route("/api/me", EndpointApp(me), methods=["GET"])``. Give ``methods``: a route whose
endpoint is an ASGI app takes every method unless told otherwise.

An ``HTTPException`` the endpoint raises still reaches the app's handlers, as any other
exception does; the endpoint's name, docstring and ``required_scopes`` stay readable on
the route (OpenAPI documents are built from them).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]


class EndpointApp:
    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        functools.update_wrapper(self, endpoint)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.endpoint(Request(scope, receive, send))
        await response(scope, receive, send)
