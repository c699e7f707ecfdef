"""The ASGI entry point: the request's issuer first, the published documents straight from
memory, then Starlette for everything else."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from authgate.logs import REQUEST_ID
from authgate.protocol.context import Issuer
from authgate.protocol.issuers import IssuerResolver
from authgate.storage.base import DatabaseUnavailable
from authgate.web.discovery import Header, PublishedDocuments, send_published
from authgate.web.issuers import Scope, host_of, resolve_request
from authgate.web.request_id import HEADER, request_id_bytes
from authgate.web.responses import unavailable_json
from authgate.web.routing import FixedPathRouter, route_path

#: ``observe(scope, status, seconds)`` after each HTTP request (the metrics)
Observer = Callable[[Any, int, float], None]


class DirectApp(Protocol):
    """An app the edge calls without Starlette (web/oauth.py's form endpoints)."""

    async def serve(self, scope: Scope, receive: Any, send: Any, *extra: Header) -> int:
        """Answer with the ``extra`` headers too; the status answered."""
        ...


log = logging.getLogger("authgate")


class EdgeApp(Starlette):
    """A Starlette app that resolves the issuer of each HTTP request before its
    middleware and routes run (so that nothing below it ever sees an unknown host).

    ``direct`` maps route paths to direct apps (:class:`DirectApp`), called without Starlette's
    stack: apps that answer every outcome themselves, errors included (web/oauth.py), with
    the request id's header and without a wrapped ``send``.
    ``operations`` answers its paths first, for any host (health, readiness, metrics:
    probes and scrapers ask by address, not by the issuer's name), and every request to
    ``operations_port``.

    Every HTTP request gets its request id (web/request_id.py), in its log lines and in
    the ``X-Request-Id`` of its response, and is then ``observe``d."""

    def __init__(
        self,
        *,
        issuers: IssuerResolver,
        documents: PublishedDocuments,
        direct: Mapping[str, DirectApp],
        routes: Sequence[BaseRoute],
        lifespan: Any,
        operations: ASGIApp | None = None,
        operation_paths: frozenset[str] = frozenset(),
        operations_port: int | None = None,
        observe: Observer | None = None,
        **options: Any,
    ) -> None:
        super().__init__(lifespan=lifespan, **options)
        self.router = FixedPathRouter(routes, lifespan=lifespan)
        self.issuers = issuers
        self._documents = documents
        self._direct = dict(direct)
        self._operations = operations
        self._operation_paths = operation_paths
        #: every request to this port is the operations app's (``metrics_port``)
        self._operations_port = operations_port
        self.observe = observe

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self._serve(scope, receive, send)
            return
        path = scope["path"]
        port = self._operations_port
        operations = self._operations
        if operations is not None and not (
            path in self._operation_paths
            or (port is not None and (scope.get("server") or (None, None))[1] == port)
        ):
            operations = None
        if (
            operations is None
            and path in self._documents.root_paths
            and await self._published(scope, send)
        ):
            return
        # The Host and the first X-Request-Id, in one pass over the headers.
        host = sent_id = None
        for name, value in scope["headers"]:
            if name == b"host":
                if host is None:
                    host = value
            elif name == HEADER and sent_id is None:
                sent_id = value
        request_id = request_id_bytes(sent_id)
        reset = REQUEST_ID.set(request_id.decode("ascii"))
        header = (HEADER, request_id)
        status = 0
        start = time.perf_counter()
        try:
            direct = None if operations is not None else self._direct_for(scope, host)
            if direct is not None:
                # Errors included, a direct app answers itself, through the server's send.
                status = await direct.serve(scope, receive, send, header)
                return

            async def respond(message: Any) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    message["headers"] = [*message.get("headers", ()), header]
                await send(message)

            if operations is not None:
                await operations(scope, receive, respond)
            else:
                await self._serve(scope, receive, respond)
        finally:
            REQUEST_ID.reset(reset)
            if self.observe is not None:
                self.observe(scope, status, time.perf_counter() - start)

    def _direct_for(self, scope: Scope, host: bytes | None) -> DirectApp | None:
        """The direct app of a request for the root issuer (its issuer set in ``scope``);
        ``None``: the request takes the general way (:meth:`_serve`)."""
        issuer = self.issuers.root_of(b"" if host is None else bytes(host), scope["path"])
        if issuer is None:
            return None
        state = scope.get("state")
        if state is None:
            scope["state"] = {"issuer": issuer}
        else:
            state["issuer"] = issuer
        return self._direct.get(route_path(scope))

    async def _published(self, scope: Scope, send: Any) -> bool:
        """Answer a GET or HEAD of the root issuer's discovery or keys from memory, when
        they are there (every request but the first): the request id is returned as
        always, and no context variable is set since nothing here logs. ``False``: the
        request takes the general way."""
        if scope["method"] not in ("GET", "HEAD"):
            return False
        start = time.perf_counter()
        # The three headers read here, in one pass: the first of each, as elsewhere.
        host = sent_id = if_none_match = None
        for name, value in scope["headers"]:
            if name == b"host":
                host = value if host is None else host
            elif name == HEADER:
                sent_id = value if sent_id is None else sent_id
            elif name == b"if-none-match" and if_none_match is None:
                if_none_match = value
        issuer = self.issuers.root_of(b"" if host is None else bytes(host), scope["path"])
        if issuer is None:
            return False
        kind = self._documents.kind_of(scope, issuer)
        published = None if kind is None else self._documents.ready(kind, issuer)
        if published is None:
            return False
        header = (HEADER, request_id_bytes(sent_id))
        status = await send_published(scope, send, published, if_none_match, header)
        if self.observe is not None:
            self.observe(scope, status, time.perf_counter() - start)
        return True

    async def _serve(self, scope: Scope, receive: Any, send: Any) -> None:
        """Serve the request through Starlette, once its issuer is known (the root issuer
        may be set already, by :meth:`_direct_for`)."""
        if scope["type"] == "http":
            state = scope.get("state")
            known = None if state is None else state.get("issuer")
            if known is not None:  # the root issuer, without a direct app for the path
                if scope["path"] in self._documents.root_paths and not await self._edge(
                    scope, send, known
                ):
                    return
            else:
                # The root issuer is the common case: known without an await or a decode.
                issuer = self.issuers.root_of(host_of(scope), scope["path"])
                if issuer is not None:
                    scope.setdefault("state", {})["issuer"] = issuer
                if (
                    issuer is None or scope["path"] in self._documents.root_paths
                ) and not await self._edge(scope, send, issuer):
                    return
                direct = self._direct.get(route_path(scope))
                if direct is not None:
                    await direct.serve(scope, receive, send)
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
        except DatabaseUnavailable:
            await unavailable_json()(scope, _no_body, send)
            return False
        except Exception:
            # Before Starlette's own error handling: answer as it would.
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            headers = [(b"content-length", b"0")]
            await send({"type": "http.response.start", "status": 500, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return False


async def _no_body() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}
