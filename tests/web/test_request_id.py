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


@pytest.mark.parametrize("path", ["/.well-known/openid-configuration", "/.well-known/jwks.json"])
async def test_documents_answered_from_memory_carry_the_id_too(
    http: httpx.AsyncClient, path: str
) -> None:
    """The edge answers the published documents from memory after the first request
    (web/edge.py): their 200s and 304s carry the request id like any other response."""
    first = await http.get(path)  # builds the document
    again = await http.get(path, headers={"X-Request-Id": "mine-1"})
    assert first.status_code == again.status_code == 200 and again.content == first.content
    assert again.headers["x-request-id"] == "mine-1"
    unsane = await http.get(path, headers={"X-Request-Id": "two words"})
    assert unsane.headers["x-request-id"] not in ("two words", first.headers["x-request-id"])
    etag = first.headers["etag"]
    cached = await http.get(path, headers={"If-None-Match": etag, "X-Request-Id": "mine-2"})
    assert cached.status_code == 304 and cached.content == b""
    assert cached.headers["x-request-id"] == "mine-2" and cached.headers["etag"] == etag
    head = await http.head(path)
    assert head.status_code == 200 and head.content == b"" and "x-request-id" in head.headers
