"""A client that leaves before its request body is complete (ASGI ``http.disconnect``).

Every endpoint that reads a body answers nothing worth logging: no traceback, no error line.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from starlette.applications import Starlette

PATHS = ["/oauth/token", "/login", "/oauth/authorize", "/oauth/authorize/decision", "/logout"]


@pytest.mark.parametrize("path", PATHS)
async def test_disconnect_mid_body_is_quiet(
    app: Starlette, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": b"grant_type=cli", "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", b"100"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    with caplog.at_level(logging.DEBUG):
        await app(scope, receive, send)
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert sent[0]["status"] != 500
