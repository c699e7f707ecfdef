"""Helpers for the dynamic registration tests (RFC 7591, RFC 7592)."""

from __future__ import annotations

from typing import Any

import httpx

from authgate.services import Services

REGISTER = "/oauth/register"
CB = "https://app.example.com/callback"


async def initial_token(services: Services, *, uses: int | None = None, expires: int = 3600) -> str:
    issued = await services.initial_tokens.create(expires_in=expires, max_uses=uses)
    return issued.token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def register(
    http: httpx.AsyncClient, token: str | None = None, url: str = REGISTER, **metadata: Any
) -> httpx.Response:
    metadata.setdefault("redirect_uris", [CB])
    return await http.post(url, json=metadata, headers=bearer(token) if token else {})


async def registered(http: httpx.AsyncClient, token: str | None = None, **metadata: Any) -> Any:
    r = await register(http, token, **metadata)
    assert r.status_code == 201, r.text
    return r.json()


def manage_path(info: dict[str, Any]) -> str:
    """The registration_client_uri, as a path of the test server."""
    uri: str = info["registration_client_uri"]
    return uri.removeprefix("http://testserver")
