"""The OAuth form endpoints answer every outcome themselves (web/oauth.py): an unexpected
error is a logged 500 with the JSON body of the app's own handler, never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from authgate.services import Services


class Boom(RuntimeError):
    pass


@pytest.mark.parametrize(
    ("path", "endpoint"),
    [
        ("/oauth/token", "token_endpoint"),
        ("/oauth/revoke", "revocation"),
        ("/oauth/introspect", "introspection"),
    ],
)
async def test_an_unexpected_error_is_a_logged_json_500(
    http: httpx.AsyncClient,
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    path: str,
    endpoint: str,
) -> None:
    async def fail(*args: Any) -> Any:
        raise Boom("database gone")

    monkeypatch.setattr(getattr(services, endpoint), "handle", fail)
    with caplog.at_level(logging.ERROR, logger="authgate"):
        r = await http.post(path, data={"grant_type": "client_credentials", "token": "x"})
    assert r.status_code == 500
    assert r.json() == {
        "error": "server_error",
        "error_description": "the server could not complete the request",
    }
    assert r.headers["cache-control"] == "no-store"
    [record] = [rec for rec in caplog.records if rec.levelno >= logging.ERROR]
    assert record.getMessage() == f"unhandled error on POST {path}"
    assert record.exc_info is not None and record.exc_info[0] is Boom
