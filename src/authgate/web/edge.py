"""The ASGI entry point: the request's issuer first, the published documents straight from
memory, then Starlette for everything else."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from authgate.protocol.context import Issuer
from authgate.protocol.issuers import IssuerResolver
from authgate.web.discovery import PublishedDocuments
from authgate.web.issuers import Scope, host_of, resolve_request
from authgate.web.routing import FixedPathRouter, route_path

log = logging.getLogger("authgate")


class EdgeApp(Starlette):
    """A Starlette app that resolves the issuer of each HTTP request before its
    middleware and routes run (so that nothing below it ever sees an unknown host).

    ``direct`` maps route paths to self-contained ASGI apps, called without Starlette's
    stack: apps that answer every outcome themselves, errors included (web/oauth.py)."""

    def __init__(
        self,
        *,
        issuers: IssuerResolver,
        documents: PublishedDocuments,
        direct: Mapping[str, ASGIApp],
        routes: Sequence[BaseRoute],
        lifespan: Any,
        **options: Any,
    ) -> None:
        super().__init__(lifespan=lifespan, **options)
        self.router = FixedPathRouter(routes, lifespan=lifespan)
        self.issuers = issuers
        self._documents = documents
        self._direct = dict(direct)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            # The root issuer is the common case: known without an await or a decode.
            issuer = self.issuers.root_of(host_of(scope), scope["path"])
            if issuer is not None:
                state = scope.get("state")
                if state is None:
                    scope["state"] = {"issuer": issuer}
                else:
                    state["issuer"] = issuer
            if (
                issuer is None or scope["path"] in self._documents.root_paths
            ) and not await self._edge(scope, send, issuer):
                return
            direct = self._direct.get(route_path(scope))
            if direct is not None:
                await direct(scope, receive, send)
                return
        # What Starlette.__call__ does, inline: no second coroutine per request.
        scope["app"] = self
        if self.middleware_stack is None:
            self.middleware_stack = self.build_middleware_stack()
        await self.middleware_stack(scope, receive, send)

    async def _edge(self, scope: Scope, send: Any, issuer: Issuer | None) -> bool:
        """Resolve a space's issuer and answer the published documents; ``True`` when
        the request goes on to Starlette."""
        try:
            if issuer is None:
                issuer = await resolve_request(self.issuers, scope, send)
                if issuer is None:
                    return False
            kind = self._documents.kind_of(scope, issuer)
            if kind is None or scope["method"] not in ("GET", "HEAD"):
                return True
            await self._documents.answer(scope, send, issuer, kind)
            return False
        except Exception:
            # Before Starlette's own error handling: answer as it would.
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            headers = [(b"content-length", b"0")]
            await send({"type": "http.response.start", "status": 500, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return False
