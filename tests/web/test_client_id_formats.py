"""``client_id_format``: random ids (the default) or integer ids (seed 002: Cloud BOT's
``client_id`` is an "integer"). Clients with ids of either kind work at every endpoint,
whatever the server gives new clients, so that switching the format locks no one out."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from authgate.crypto.secretbox import SecretBox
from authgate.crypto.tokens import CLIENT_ID_GENERATORS
from authgate.domain import User
from authgate.protocol.registration import ClientRegistry, Registered
from authgate.services import Services
from authgate.settings import Settings
from tests.web.flow import Browser
from tests.web.token_support import client_auth

CB = "https://app.example.com/callback"
INTEGER_ID = re.compile(r"[1-9][0-9]{8,9}")


@pytest.fixture(params=["random", "integer"])
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The server's format for new clients."""
    return {"client_id_format": request.param}


async def register(services: Services, settings: Settings, made_by: str) -> Registered:
    """A client registered by a server whose ``client_id_format`` was ``made_by``."""
    registry = ClientRegistry(
        services.clients,
        services.users,
        services.minter,
        SecretBox(settings.resolved_secret_key()),
        settings.scopes,
        client_ids=CLIENT_ID_GENERATORS[made_by],
    )
    return await registry.register(
        "Bot App",
        redirect_uris=[CB],
        grant_types=["authorization_code", "client_credentials"],
    )


async def test_new_clients_get_ids_of_the_configured_format_seed_002(
    services: Services, settings: Settings
) -> None:
    ids = [
        (
            await services.registry.register("App", grant_types=["client_credentials"])
        ).client.client_id
        for _ in range(20)
    ]
    assert len(set(ids)) == 20
    if settings.client_id_format == "integer":
        assert all(INTEGER_ID.fullmatch(i) and int(i) < 2**31 for i in ids), ids
        # random, not counted: twenty ids in a row are not consecutive numbers
        assert sorted(int(i) for i in ids) != list(range(int(min(ids)), int(min(ids)) + 20))
    else:
        assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", i) for i in ids), ids


@pytest.mark.parametrize("made_by", ["random", "integer"])
async def test_either_kind_of_id_works_at_every_endpoint(
    http: httpx.AsyncClient,
    browser: Browser,
    services: Services,
    settings: Settings,
    alice: User,
    made_by: str,
) -> None:
    """Authorization (RFC 6749 §4.1.1), the token endpoint with the secret in the form
    (§2.3.1 client_secret_post) and by HTTP Basic, revocation (RFC 7009) and introspection
    (RFC 7662), for a client whose id was made under either format."""
    reg = await register(services, settings, made_by)
    client_id, secret = client_auth(reg)
    assert bool(INTEGER_ID.fullmatch(client_id)) == (made_by == "integer")

    code = await browser.code_for(
        response_type="code", client_id=client_id, redirect_uri=CB, state="s", scope="read"
    )
    form = {"client_id": client_id, "client_secret": secret}
    r = await http.post(
        "/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": CB, **form},
    )
    assert r.status_code == 200, r.text
    user_token = r.json()["access_token"]
    r = await http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    assert r.status_code == 200, r.text
    own_token = r.json()["access_token"]

    r = await http.post("/oauth/introspect", data={"token": user_token, **form})
    assert r.status_code == 200, r.text
    assert r.json()["active"] is True
    assert r.json()["client_id"] == client_id
    r = await http.post("/oauth/revoke", data={"token": own_token}, auth=(client_id, secret))
    assert r.status_code == 200, r.text
    r = await http.post("/oauth/introspect", data={"token": own_token}, auth=(client_id, secret))
    assert r.json() == {"active": False}
    r = await http.post("/oauth/token", data={"grant_type": "client_credentials", **form})
    assert r.status_code == 200, r.text
    wrong = {"client_id": client_id, "client_secret": "not the secret"}
    r = await http.post("/oauth/token", data={"grant_type": "client_credentials", **wrong})
    assert r.status_code == 401
