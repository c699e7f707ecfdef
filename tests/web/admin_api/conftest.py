"""Admin API fixtures: an admin client (as ``authgate admin bootstrap`` makes it) and
tokens with chosen scopes, got from the token endpoint like any client's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest

from authgate.audit.events import Actor
from authgate.services import Services

API = "/admin/api/v1"
Tokens = Callable[..., Awaitable[dict[str, str]]]


@pytest.fixture
def token_for(http: httpx.AsyncClient, services: Services) -> Tokens:
    """``await token_for("authgate:users:read")``: the Authorization header of a fresh
    admin client's token with those scopes."""

    async def make(*scopes: str) -> dict[str, str]:
        chosen = list(scopes) or ["authgate:admin"]
        registered = await services.client_admin.create(
            "admin " + " ".join(chosen),
            actor=Actor.system(),
            privileged=True,
            grant_types=["client_credentials"],
            scopes=chosen,
            refresh_policy="none",
        )
        assert registered.client_secret is not None
        answer = await http.post(
            services.settings.token_endpoint,
            data={"grant_type": "client_credentials", "scope": " ".join(chosen)},
            auth=(registered.client.client_id, registered.client_secret),
        )
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    return make


@pytest.fixture
async def admin(token_for: Tokens) -> dict[str, str]:
    return await token_for("authgate:admin")
