"""Helpers for the tests of the grants a server offers (settings ``grant_types``,
``client_base_grants``): clients registered before the settings changed, token requests."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from typer.testing import CliRunner

from authgate.cli import app
from authgate.settings import Settings

CB = "https://app.example.com/callback"


async def registered_earlier(settings: Settings, *args: str, **env: str) -> dict[str, Any]:
    """``authgate client create ARGS`` on the test database under authgate's default
    settings (every grant offered) and ``env``: a client registered before the server's
    settings took grants away."""
    assert settings.secret_key is not None
    full_env = {
        "AUTHGATE_CONFIG": None,
        "AUTHGATE_DATABASE_URL": settings.database_url,
        "AUTHGATE_SECRET_KEY": settings.secret_key.get_secret_value(),
        **env,
    }

    def run() -> Any:
        return CliRunner().invoke(app, ["client", "create", *args, "--json"], env=full_env)

    result = await asyncio.to_thread(run)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


async def token_request(
    http: httpx.AsyncClient, client: dict[str, Any], url: str = "/oauth/token", **data: str
) -> httpx.Response:
    """A token request of ``client`` (``client create --json`` output), by HTTP Basic, or by
    ``client_id`` alone for a public client."""
    if "client_secret" not in client:
        return await http.post(url, data={**data, "client_id": client["client_id"]})
    return await http.post(url, data=data, auth=(client["client_id"], client["client_secret"]))


def alice_password(**extra: str) -> dict[str, str]:
    """The password grant's parameters for tests.conftest's default user."""
    return {
        "grant_type": "password",
        "username": "alice@example.com",
        "password": "correct horse",
        **extra,
    }
