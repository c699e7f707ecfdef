"""Every response carries ``X-Request-Id``: the client's when it is sane, else a new one."""

from __future__ import annotations

import httpx
import pytest

from authgate.logs import REQUEST_ID


async def test_each_response_has_a_new_request_id(http: httpx.AsyncClient) -> None:
    ids = set()
    for path in ("/api/ping", "/oauth/token", "/no/such/path", "/.well-known/jwks.json"):
        r = await http.get(path)
        ids.add(r.headers["x-request-id"])
    assert len(ids) == 4
    assert REQUEST_ID.get() is None  # nothing leaks out of the request


@pytest.mark.parametrize(
    "sent",
    ["4bf92f3577b34da6a3ce929d0e0e4736", "req-1.2:3/4+5=@x", "a" * 128],
)
async def test_a_sane_incoming_id_is_kept(http: httpx.AsyncClient, sent: str) -> None:
    r = await http.post("/oauth/token", headers={"X-Request-Id": sent})
    assert r.status_code == 400 and r.headers["x-request-id"] == sent


@pytest.mark.parametrize(
    "sent",
    ["", "a" * 129, "two words", "inject\\r\\nX-Evil: 1", "Root=1-5759e988;Parent=53995c3f", "é"],
)
async def test_anything_else_is_replaced(http: httpx.AsyncClient, sent: str) -> None:
    r = await http.get("/api/ping", headers={"X-Request-Id": sent.encode("utf-8")})
    assert r.headers["x-request-id"] != sent
    assert 1 <= len(r.headers["x-request-id"]) <= 128
