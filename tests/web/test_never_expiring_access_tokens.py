"""``access_token_lifetime = 0``: access tokens that never expire (seed 000, Cobot: "tokens
don't expire"), for every client without a lifetime of its own."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from authgate.domain import User
from authgate.protocol.registration import RegistrationError
from authgate.services import Services
from authgate.settings import TEN_YEARS
from tests.conftest import Clock, Factory
from tests.web.flow import Browser, fragment_of
from tests.web.grant_support import CB, alice_password
from tests.web.jwt_support import is_jwt, verify_with_jwks


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"access_token_lifetime": 0}


async def test_the_token_response_has_no_expires_in_rfc6749_5_1(
    http: httpx.AsyncClient, make: Factory, alice: User, clock: Clock
) -> None:
    """§5.1: expires_in is RECOMMENDED, not required; a token that never expires has none,
    and still works years later."""
    reg = await make.client(grant_types=["client_credentials", "password"])
    assert reg.client_secret
    auth = (reg.client.client_id, reg.client_secret)
    for data in ({"grant_type": "client_credentials"}, alice_password()):
        r = await http.post("/oauth/token", data=data, auth=auth)
        assert r.status_code == 200, r.text
        body = r.json()
        assert "expires_in" not in body
        clock.advance(TEN_YEARS)
        me = await http.get("/api/me", headers={"Authorization": f"Bearer {body['access_token']}"})
        assert me.status_code == 200, me.text


async def test_introspection_has_no_exp_rfc7662_2_2(http: httpx.AsyncClient, make: Factory) -> None:
    """RFC 7662 §2.2: exp is OPTIONAL; a token without expiry is answered without one."""
    reg = await make.client()
    api = await make.client(name="API", resource_server=True)
    assert reg.client_secret and api.client_secret
    r = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(reg.client.client_id, reg.client_secret),
    )
    body = (
        await http.post(
            "/oauth/introspect",
            data={"token": r.json()["access_token"]},
            auth=(api.client.client_id, api.client_secret),
        )
    ).json()
    assert body["active"] is True
    assert "exp" not in body


async def test_the_implicit_response_has_no_expires_in_rfc6749_4_2_2(
    browser: Browser, make: Factory, alice: User
) -> None:
    """§4.2.2: expires_in is RECOMMENDED in the fragment too."""
    reg = await make.client(grant_types=["implicit"], redirect_uris=[CB], public=True)
    await browser.login()
    consent = await browser.authorize(response_type="token", client_id=reg.client.client_id)
    values = fragment_of((await browser.decide(consent)).headers["location"])
    assert values["access_token"]
    assert "expires_in" not in values


async def test_a_clients_own_lifetime_still_wins(
    http: httpx.AsyncClient, make: Factory, services: Services
) -> None:
    """A client with its own lifetime gets tokens that expire, JWTs too (RFC 9068 §2.2:
    exp is REQUIRED)."""
    reg = await make.client(token_lifetime=60, access_token_format="jwt")
    assert reg.client_secret
    r = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(reg.client.client_id, reg.client_secret),
    )
    body = r.json()
    assert body["expires_in"] == 60
    assert is_jwt(body["access_token"])
    _, claims = await verify_with_jwks(http, body["access_token"])
    assert claims["exp"] - claims["iat"] == 60


async def test_a_jwt_client_without_a_lifetime_of_its_own_is_refused_rfc9068_2_2(
    services: Services,
) -> None:
    """RFC 9068 §2.2: exp is REQUIRED; the client would follow the server's never."""
    with pytest.raises(RegistrationError, match="must expire") as caught:
        await services.registry.register(
            "X", grant_types=["client_credentials"], access_token_format="jwt"
        )
    assert "access_token_lifetime is 0" in caught.value.description
    reg = await services.registry.register("Y", grant_types=["client_credentials"])
    with pytest.raises(RegistrationError, match="must expire"):
        await services.registry.update(reg.client.client_id, access_token_format="jwt")
    updated = await services.registry.update(
        reg.client.client_id, access_token_format="jwt", token_lifetime=300
    )
    assert updated.access_token_format == "jwt"
