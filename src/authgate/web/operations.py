"""What operators and their tools ask of a running server, on any host name:

- ``GET /healthz``: the process is alive and its event loop answers (``200`` always);
- ``GET /readyz``: it can serve: the database answers and its schema is this authgate's,
  and Redis answers when ``redis_url`` is set (``200``, else ``503`` naming what is not);
- ``GET /metrics``: Prometheus metrics, only on ``metrics_port`` (web/metrics.py).

On ``metrics_port`` nothing else is served (``404``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import orjson
from starlette.types import Receive, Scope, Send

from authgate.redis_pool import is_outage
from authgate.storage.base import DatabaseUnavailable
from authgate.storage.sql.connector import OUTAGES, Connector, schema_revision
from authgate.storage.sql.driver import DeferredDatabase

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"
PATHS = frozenset({HEALTH_PATH, READY_PATH})
_DATABASE_DOWN: tuple[type[BaseException], ...] = (*OUTAGES, DatabaseUnavailable)


class Readiness:
    """The checks behind ``/readyz``, each bounded by ``wait`` seconds; an answer is reused
    for ``reuse`` seconds, so that probes do not load the database."""

    def __init__(
        self,
        db: DeferredDatabase,
        connector: Connector,
        head: Callable[[], str],
        redis: Any | None,
        *,
        wait: float = 2.0,
        reuse: float = 1.0,
    ) -> None:
        self._db = db
        self._connector = connector
        self._head = head
        self._redis = redis
        self._wait = wait
        self._reuse = reuse
        self._last: tuple[float, dict[str, str]] | None = None

    async def checks(self) -> dict[str, str]:
        now = time.monotonic()
        if self._last is not None and now - self._last[0] < self._reuse:
            return self._last[1]
        found = {**await self._database()}
        if self._redis is not None:
            found["redis"] = await self._redis_check()
        self._last = (time.monotonic(), found)
        return found

    async def _database(self) -> dict[str, str]:
        if not self._db.bound or self._connector.problem is not None:
            problem = self._connector.problem or "not connected"
            if problem.startswith("schema"):
                return {"database": "ok", "schema": problem.removeprefix("schema ")}
            return {"database": problem, "schema": "unknown"}
        try:
            async with asyncio.timeout(self._wait):
                current = await schema_revision(self._db)
        except _DATABASE_DOWN as exc:
            return {"database": f"unreachable ({type(exc).__name__})", "schema": "unknown"}
        head = self._head()
        if current != head:
            return {
                "database": "ok",
                "schema": f"is at revision {current or 'none'}, this authgate needs {head}",
            }
        return {"database": "ok", "schema": "ok"}

    async def _redis_check(self) -> str:
        try:
            async with asyncio.timeout(self._wait):
                await self._redis.ping()  # type: ignore[union-attr]
        except Exception as exc:
            if not is_outage(exc):
                raise
            return f"unreachable ({type(exc).__name__})"
        return "ok"


async def _json(send: Send, status: int, body: dict[str, Any], head: bool = False) -> None:
    data = orjson.dumps(body)
    headers = [
        (b"content-type", b"application/json"),
        (b"cache-control", b"no-store"),
        (b"content-length", str(len(data)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else data})


MetricsBody = Callable[[], tuple[bytes, str]]


class Operations:
    """The ASGI app of the paths above (the edge calls it before resolving an issuer)."""

    def __init__(
        self,
        readiness: Readiness,
        *,
        metrics: MetricsBody | None = None,
        metrics_port: int | None = None,
    ) -> None:
        self._readiness = readiness
        self._metrics = metrics
        self._metrics_port = metrics_port

    @property
    def paths(self) -> frozenset[str]:
        return PATHS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path, method = scope["path"], scope["method"]
        head = method == "HEAD"
        if path not in (HEALTH_PATH, READY_PATH, METRICS_PATH) or (
            path == METRICS_PATH and not self._on_metrics_port(scope)
        ):
            await _json(send, 404, {"error": "not_found"}, head)
            return
        if method not in ("GET", "HEAD"):
            await _json(send, 405, {"error": "method_not_allowed"}, head)
            return
        if path == HEALTH_PATH:
            await _json(send, 200, {"status": "ok"}, head)
        elif path == READY_PATH:
            checks = await self._readiness.checks()
            ready = all(value == "ok" for value in checks.values())
            body = {"status": "ready" if ready else "unavailable", "checks": checks}
            await _json(send, 200 if ready else 503, body, head)
        else:
            assert self._metrics is not None
            data, content_type = self._metrics()
            headers = [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(data)).encode()),
            ]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": b"" if head else data})

    def _on_metrics_port(self, scope: Scope) -> bool:
        if self._metrics is None or self._metrics_port is None:
            return False
        server = scope.get("server")
        return server is not None and server[1] == self._metrics_port
