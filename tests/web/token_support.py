"""Helpers for tests that need a user's tokens from the password grant."""

from __future__ import annotations

from typing import Any

import httpx

from authgate.protocol.registration import Registered


def client_auth(reg: Registered) -> tuple[str, str]:
    """HTTP Basic credentials of a confidential client."""
    assert reg.client_secret
    return reg.client.client_id, reg.client_secret


async def password_tokens(
    http: httpx.AsyncClient, reg: Registered, url: str = "/oauth/token", **extra: str
) -> Any:
    """The token response for alice (tests.conftest's default user) through ``reg``."""
    r = await http.post(
        url,
        data={
            "grant_type": "password",
            "username": "alice@example.com",
            "password": "correct horse",
            **extra,
        },
        auth=client_auth(reg),
    )
    assert r.status_code == 200, r.text
    return r.json()
