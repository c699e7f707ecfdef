"""What metrics cost on the hot paths, measured in process: the token endpoint
(client_credentials) and the bearer check (GET /api/me), each called straight through
the ASGI app (no sockets, no HTTP client), with and without ``metrics_port``, in
alternating rounds; prints microseconds per request and the difference.

    .venv/bin/python bench/metrics_cost.py [--requests N] [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from authgate.settings import Settings
from authgate.storage.sql import migrate
from authgate.web.app import create_app


def scope(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1:8000"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def call(app: Any, request: dict[str, Any], body: bytes) -> int:
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(dict(request), receive, send)
    return status


async def measure(settings: Settings, requests: int) -> dict[str, float]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        services = app.state.services
        registered = await services.registry.register("bench", grant_types=["client_credentials"])
        basic = base64.b64encode(
            f"{registered.client.client_id}:{registered.client_secret}".encode()
        )
        token_request = scope(
            "POST",
            "/oauth/token",
            [
                (b"authorization", b"Basic " + basic),
                (b"content-type", b"application/x-www-form-urlencoded"),
                (b"content-length", b"29"),
            ],
        )
        body = b"grant_type=client_credentials"
        issued = await services.minter.issue(
            registered.client, None, "read", "client_credentials", with_refresh=False
        )
        me = scope("GET", "/api/me", [(b"authorization", f"Bearer {issued.access_token}".encode())])
        results = {}
        for name, request, payload in (
            ("token issue", token_request, body),
            ("bearer check", me, b""),
        ):
            for _ in range(200):  # warm the caches
                assert await call(app, request, payload) == 200
            start = time.perf_counter()
            for _ in range(requests):
                await call(app, request, payload)
            results[name] = (time.perf_counter() - start) / requests * 1e6
        return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        migrate.upgrade(url)
        base = {
            "database_url": url,
            "secret_key": "bench",
            "issuer": "http://127.0.0.1:8000",
            "rate_limits_enabled": False,
        }
        runs: dict[str, dict[str, list[float]]] = {"off": {}, "on": {}}
        for _ in range(args.rounds):
            for mode in ("off", "on"):
                extra = {"metrics_port": 9464} if mode == "on" else {}
                for name, micros in (
                    await measure(Settings(**base, **extra), args.requests)
                ).items():
                    runs[mode].setdefault(name, []).append(micros)
    print(f"{'path':<14}{'metrics off':>14}{'metrics on':>14}{'cost':>10}")
    for name in runs["off"]:
        off, on = statistics.median(runs["off"][name]), statistics.median(runs["on"][name])
        print(f"{name:<14}{off:>11.1f} µs{on:>11.1f} µs{on - off:>7.1f} µs")


if __name__ == "__main__":
    asyncio.run(main())
