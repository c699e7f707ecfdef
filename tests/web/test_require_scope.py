"""``require_scope`` (seed 002: Cloud BOT's ``scope`` is "required"). RFC 6749 §3.3: a
request for authorization without ``scope`` is either served with a default scope (the
default setting) or failed with ``invalid_scope``; §4.1.2.1 sends that error back to the
client's redirect URI with ``state``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from authgate.domain import User
from authgate.protocol.registration import Registered
from tests.conftest import Factory
from tests.web.flow import Browser, query_of
from tests.web.token_support import client_auth

CB = "https://app.example.com/callback"
REQUIRED = {"require_scope": True}


@pytest.fixture
async def app_client(make: Factory, alice: User) -> Registered:
    return await make.client(
        redirect_uris=[CB],
        grant_types=["authorization_code", "password", "client_credentials"],
        scopes=["read", "write"],
    )


def authorization(reg: Registered, **extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": reg.client.client_id,
        "redirect_uri": CB,
        "state": "xyz",
        **extra,
    }


async def token(http: httpx.AsyncClient, reg: Registered, grant: str, **extra: str) -> Any:
    data = {"grant_type": grant, **extra}
    if grant == "password":
        data.update(username="alice@example.com", password="correct horse")
    return await http.post("/oauth/token", data=data, auth=client_auth(reg))


class TestRequired:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return REQUIRED

    @pytest.mark.parametrize("method", ["GET", "POST"])
    @pytest.mark.parametrize("scope", [None, "", " "], ids=["absent", "empty", "blank"])
    async def test_no_scope_is_redirected_as_invalid_scope_with_state_rfc6749_4_1_2_1(
        self, browser: Browser, app_client: Registered, method: str, scope: str | None
    ) -> None:
        params = authorization(app_client)
        if scope is not None:
            params["scope"] = scope
        r = await browser.authorize(method, **params)
        assert r.status_code == 302, r.text
        assert r.headers["location"].startswith(CB + "?")
        values = query_of(r.headers["location"])
        assert values["error"] == "invalid_scope"
        assert values["state"] == "xyz"
        assert values["iss"] == "http://testserver"
        assert "scope" in values["error_description"]

    async def test_an_authorization_request_with_scope_goes_on_to_sign_in(
        self, browser: Browser, app_client: Registered
    ) -> None:
        r = await browser.authorize(**authorization(app_client, scope="read"))
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login?")
        code = await browser.code_for(**authorization(app_client, scope="read"))
        assert code

    async def test_an_unknown_client_still_gets_the_error_page_not_a_redirect(
        self, browser: Browser, app_client: Registered
    ) -> None:
        """§4.1.2.1: while the client is in doubt, nothing is redirected."""
        r = await browser.authorize(**{**authorization(app_client), "client_id": "nobody"})
        assert r.status_code == 400
        assert "location" not in r.headers

    @pytest.mark.parametrize("grant", ["password", "client_credentials"])
    async def test_no_scope_in_a_password_or_client_grant_is_invalid_scope_rfc6749_5_2(
        self, http: httpx.AsyncClient, app_client: Registered, grant: str
    ) -> None:
        """§4.3.2 and §4.4.2 take a ``scope`` too: no default scope there either."""
        for extra in ({}, {"scope": ""}):
            r = await token(http, app_client, grant, **extra)
            assert r.status_code == 400, r.text
            assert r.json()["error"] == "invalid_scope"
            assert r.headers["cache-control"] == "no-store"
        r = await token(http, app_client, grant, scope="read")
        assert r.status_code == 200, r.text
        assert r.json()["scope"] == "read"

    async def test_a_refresh_without_scope_keeps_the_granted_scope_rfc6749_6(
        self, http: httpx.AsyncClient, app_client: Registered
    ) -> None:
        """§6: an omitted scope is "treated as equal to the scope originally granted"; it
        is no request for a default."""
        first = (await token(http, app_client, "password", scope="write")).json()
        r = await token(http, app_client, "refresh_token", refresh_token=first["refresh_token"])
        assert r.status_code == 200, r.text
        assert r.json()["scope"] == "write"


class TestByDefault:
    """The default: a request without ``scope`` gets the client's scopes (§3.3)."""

    async def test_an_authorization_request_without_scope_is_served(
        self, browser: Browser, app_client: Registered
    ) -> None:
        r = await browser.authorize(**authorization(app_client))
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login?")

    @pytest.mark.parametrize("grant", ["password", "client_credentials"])
    async def test_a_token_request_without_scope_gets_the_clients_scopes(
        self, http: httpx.AsyncClient, app_client: Registered, grant: str
    ) -> None:
        r = await token(http, app_client, grant)
        assert r.status_code == 200, r.text
        assert r.json()["scope"] == "read write"
