"""``token_type_name``: how responses spell ``token_type``. RFC 6749 §5.1: "The value is
case insensitive"; Cobot's pages show ``"token_type": "bearer"`` (seed 000), everyone else
"Bearer". Every response that names an access token's type spells it the one way."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from authgate.domain import User
from authgate.protocol.registration import Registered
from authgate.resource import IntrospectionVerifier
from tests.conftest import Factory
from tests.web.flow import Browser, fragment_of
from tests.web.token_support import client_auth

CB = "https://app.example.com/callback"


@pytest.fixture(params=["Bearer", "bearer"])
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"token_type_name": request.param}


@pytest.fixture
def spelling(settings_overrides: dict[str, Any]) -> str:
    value: str = settings_overrides["token_type_name"]
    return value


@pytest.fixture
async def app_client(make: Factory, alice: User) -> Registered:
    return await make.client(
        redirect_uris=[CB],
        grant_types=["authorization_code", "implicit", "password", "client_credentials"],
        scopes=["read"],
    )


async def post(http: httpx.AsyncClient, reg: Registered, url: str, **data: str) -> Any:
    r = await http.post(url, data=data, auth=client_auth(reg))
    assert r.status_code == 200, r.text
    return r.json()


async def test_every_token_response_spells_the_type_alike_rfc6749_5_1(
    http: httpx.AsyncClient, browser: Browser, app_client: Registered, spelling: str
) -> None:
    cid = app_client.client.client_id
    code = await browser.code_for(response_type="code", client_id=cid, redirect_uri=CB)
    token = "/oauth/token"
    responses = [
        await post(
            http, app_client, token, grant_type="authorization_code", code=code, redirect_uri=CB
        ),
        await post(http, app_client, token, grant_type="client_credentials"),
        password := await post(
            http,
            app_client,
            token,
            grant_type="password",
            username="alice@example.com",
            password="correct horse",
        ),
        await post(
            http,
            app_client,
            token,
            grant_type="refresh_token",
            refresh_token=password["refresh_token"],
        ),
    ]
    assert [body["token_type"] for body in responses] == [spelling] * 4


async def test_the_implicit_redirect_spells_it_alike_rfc6749_4_2_2(
    browser: Browser, app_client: Registered, spelling: str
) -> None:
    await browser.login()
    request = {
        "response_type": "token",
        "client_id": app_client.client.client_id,
        "redirect_uri": CB,
        "state": "st",
    }
    r = await browser.decide(await browser.authorize(**request))
    values = fragment_of(r.headers["location"])
    assert values["access_token"]
    assert values["token_type"] == spelling


async def test_introspection_spells_it_alike_and_the_kit_accepts_it_rfc7662_2_2(
    http: httpx.AsyncClient, make: Factory, app_client: Registered, spelling: str
) -> None:
    tokens = await post(
        http,
        app_client,
        "/oauth/token",
        grant_type="password",
        username="alice@example.com",
        password="correct horse",
    )
    body = await post(http, app_client, "/oauth/introspect", token=tokens["access_token"])
    assert body["token_type"] == spelling
    refresh = await post(http, app_client, "/oauth/introspect", token=tokens["refresh_token"])
    assert refresh["token_type"] == "refresh_token"  # not an access token's type
    api = await make.client(name="Platform API", resource_server=True)
    verifier = IntrospectionVerifier(
        "http://testserver/oauth/introspect", *client_auth(api), cache_seconds=0, http=http
    )
    verified = await verifier.verify(tokens["access_token"])
    assert verified.username == "alice@example.com"
    assert verified.for_user
