"""``token_response_username`` (seed 002): Cloud BOT's token response names the user,
``{"username": "user@example.com", "token_type": "Bearer", "expires_in": 31536000, …}``.
RFC 6749 §5.1 lets a successful response carry more parameters."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from authgate.domain import TOKEN_EXCHANGE, User
from authgate.protocol.registration import Registered
from authgate.services import Services
from tests.conftest import Factory
from tests.web.flow import Browser
from tests.web.oidc_support import space_with_member
from tests.web.token_support import client_auth

CB = "https://app.example.com/callback"
ACCESS = "urn:ietf:params:oauth:token-type:access_token"


@pytest.fixture
async def app_client(make: Factory, alice: User) -> Registered:
    return await make.client(
        redirect_uris=[CB],
        grant_types=["authorization_code", "password", "client_credentials", "token-exchange"],
        scopes=["read", "write"],
    )


async def post(http: httpx.AsyncClient, reg: Registered, **data: str) -> Any:
    r = await http.post("/oauth/token", data=data, auth=client_auth(reg))
    assert r.status_code == 200, r.text
    return r.json()


async def every_grant(
    http: httpx.AsyncClient, browser: Browser, services: Services, reg: Registered, alice: User
) -> dict[str, Any]:
    """One token response of each grant, for alice (or, for client credentials, none)."""
    code = await browser.code_for(
        response_type="code", client_id=reg.client.client_id, redirect_uri=CB, scope="read"
    )
    responses = {
        "authorization_code": await post(
            http, reg, grant_type="authorization_code", code=code, redirect_uri=CB
        ),
        "password": await post(
            http, reg, grant_type="password", username=alice.email, password="correct horse"
        ),
        "client_credentials": await post(http, reg, grant_type="client_credentials"),
    }
    responses["refresh_token"] = await post(
        http,
        reg,
        grant_type="refresh_token",
        refresh_token=responses["password"]["refresh_token"],
    )
    await space_with_member(services, alice.id, slug="acme")
    responses["token_exchange"] = await post(
        http,
        reg,
        grant_type=TOKEN_EXCHANGE,
        subject_token=responses["password"]["access_token"],
        subject_token_type=ACCESS,
        resource="http://testserver/spaces/acme",
    )
    return responses


class TestOn:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"token_response_username": True}

    async def test_user_bound_token_responses_carry_the_users_email_seed_002(
        self,
        http: httpx.AsyncClient,
        browser: Browser,
        services: Services,
        app_client: Registered,
        alice: User,
    ) -> None:
        responses = await every_grant(http, browser, services, app_client, alice)
        for grant in ("authorization_code", "password", "refresh_token"):
            assert responses[grant].get("username") == "alice@example.com", grant
            assert responses[grant]["token_type"] == "Bearer"
        # a client acting for itself has no user to name
        assert "username" not in responses["client_credentials"]
        # RFC 8693 §2.2.1: the exchange answers for the subject_token's user, whom the
        # client named itself; like the id token, the username is not repeated there
        assert "username" not in responses["token_exchange"]

    async def test_the_response_has_the_shape_of_cloud_bots_sample(
        self, http: httpx.AsyncClient, app_client: Registered, alice: User
    ) -> None:
        body = await post(
            http,
            app_client,
            grant_type="password",
            username="ALICE@example.com",  # the stored address, not what was typed
            password="correct horse",
            scope="read",
        )
        assert body == {
            "username": "alice@example.com",
            "token_type": "Bearer",
            "expires_in": 3600,
            "access_token": body["access_token"],
            "refresh_token": body["refresh_token"],
            "scope": "read",
        }


async def test_no_username_by_default(
    http: httpx.AsyncClient,
    browser: Browser,
    services: Services,
    app_client: Registered,
    alice: User,
) -> None:
    responses = await every_grant(http, browser, services, app_client, alice)
    assert all("username" not in body for body in responses.values()), responses
