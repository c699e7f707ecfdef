"""Each platform profile offers the grants its seed page documents, and publishes only
those (RFC 8414 §2 ``grant_types_supported``, ``response_types_supported``)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from authgate.domain import TOKEN_EXCHANGE, User
from authgate.protocol.pkce import s256
from authgate.protocol.registration import RegistrationError
from authgate.services import Services
from authgate.settings import Settings
from tests.conftest import Clock, Factory
from tests.web.flow import Browser, fragment_of
from tests.web.grant_support import CB, alice_password

VERIFIER = "v" * 43


def auth_of(reg: Any) -> tuple[str, str]:
    assert reg.client_secret
    return reg.client.client_id, reg.client_secret


async def discovery(http: httpx.AsyncClient) -> dict[str, Any]:
    doc: dict[str, Any] = (await http.get("/.well-known/openid-configuration")).json()
    return doc


async def code_tokens(browser: Browser, settings: Settings, reg: Any) -> httpx.Response:
    """The authorization code flow for alice through ``reg``, with PKCE."""
    code = await browser.code_for(
        response_type="code",
        client_id=reg.client.client_id,
        redirect_uri=CB,
        state="st",
        scope=min(reg.client.scopes),  # cloudbot requires one
        code_challenge=s256(VERIFIER),
        code_challenge_method="S256",
    )
    return await browser.http.post(
        settings.token_endpoint,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CB,
            "code_verifier": VERIFIER,
        },
        auth=auth_of(reg),
    )


class TestCobot:
    """Seed 000: the web flow, the app flow (password grant), space-specific tokens;
    "tokens don't expire" and there are no refresh tokens."""

    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"profile": "cobot"}

    async def test_the_app_flow_gives_a_token_that_never_expires_and_no_refresh_token(
        self, http: httpx.AsyncClient, make: Factory, alice: User, settings: Settings, clock: Clock
    ) -> None:
        """RFC 6749 §5.1: no expires_in for a token that does not expire; the client got
        the profile's default refresh policy, none."""
        reg = await make.client(grant_types=["password"])
        assert reg.client.refresh_policy == "none"
        assert reg.client.grant_types == {"password"}
        r = await http.post(settings.token_endpoint, data=alice_password(), auth=auth_of(reg))
        assert r.status_code == 200, r.text
        body = r.json()
        assert "expires_in" not in body and "refresh_token" not in body
        clock.advance(5 * 365 * 24 * 3600)
        me = await http.get("/api/me", params={"access_token": body["access_token"]})
        assert me.status_code == 200, me.text

    async def test_refresh_and_implicit_are_not_offered_rfc6749_5_2(
        self, browser: Browser, make: Factory, alice: User, settings: Settings
    ) -> None:
        reg = await make.client(grant_types=["client_credentials"])
        r = await browser.http.post(
            settings.token_endpoint,
            data={"grant_type": "refresh_token", "refresh_token": "1.x"},
            auth=auth_of(reg),
        )
        assert r.json()["error"] == "unsupported_grant_type"
        web = await make.client(grant_types=["authorization_code"], redirect_uris=[CB])
        assert web.client.grant_types == {"authorization_code"}
        await browser.login()
        r = await browser.authorize(
            response_type="token", client_id=web.client.client_id, state="st"
        )
        assert fragment_of(r.headers["location"])["error"] == "unsupported_response_type"
        assert "refresh_token" not in (await code_tokens(browser, settings, web)).json()

    async def test_discovery_and_registration(
        self, http: httpx.AsyncClient, services: Services
    ) -> None:
        doc = await discovery(http)
        assert doc["grant_types_supported"] == sorted(
            ["authorization_code", "client_credentials", "password", TOKEN_EXCHANGE]
        )
        assert doc["response_types_supported"] == ["code"]
        with pytest.raises(RegistrationError, match="does not offer the implicit grant"):
            await services.registry.register("X", grant_types=["implicit"], redirect_uris=[CB])
        exchange = await services.registry.register("Y", grant_types=["token-exchange"])
        assert exchange.client.grant_types == {TOKEN_EXCHANGE}


class TestCloudBot:
    """Seed 002: grant_type "authorization_code" or "refresh_token", nothing else."""

    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"profile": "cloudbot"}

    async def test_only_code_and_refresh_are_offered_rfc6749_5_2(
        self, browser: Browser, services: Services, settings: Settings, alice: User
    ) -> None:
        http = browser.http
        doc = await discovery(http)
        assert doc["grant_types_supported"] == ["authorization_code", "refresh_token"]
        assert doc["response_types_supported"] == ["code"]
        for grant in ("password", "client_credentials", "implicit", "token-exchange"):
            with pytest.raises(RegistrationError, match=f"does not offer the {grant} grant"):
                await services.registry.register("X", grant_types=[grant], redirect_uris=[CB])
        web = await services.registry.register(
            "W", grant_types=["authorization_code"], redirect_uris=[CB]
        )
        for grant_type in ("password", "client_credentials", TOKEN_EXCHANGE):
            r = await http.post(
                settings.token_endpoint,
                data=alice_password(grant_type=grant_type),
                auth=auth_of(web),
            )
            assert r.json()["error"] == "unsupported_grant_type", grant_type
        r = await code_tokens(browser, settings, web)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["expires_in"] == 31536000
        r = await http.post(
            settings.token_endpoint,
            data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
            auth=auth_of(web),
        )
        assert r.status_code == 200, r.text


class TestRedbooth:
    """Seed 003: response_type code or token; each access token with its own refresh
    token, which rotates."""

    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"profile": "redbooth"}

    async def test_code_and_token_response_types_and_rotating_refresh_only_rfc6749_5_2(
        self, browser: Browser, make: Factory, alice: User, settings: Settings
    ) -> None:
        doc = await discovery(browser.http)
        assert doc["grant_types_supported"] == ["authorization_code", "implicit", "refresh_token"]
        assert {"code", "token"} <= set(doc["response_types_supported"])
        with pytest.raises(RegistrationError, match="does not offer the password grant"):
            await make.client(grant_types=["password"])
        reg = await make.client(grant_types=["authorization_code", "implicit"], redirect_uris=[CB])
        tokens = (await code_tokens(browser, settings, reg)).json()
        refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        r = await browser.http.post(settings.token_endpoint, data=refresh, auth=auth_of(reg))
        assert r.status_code == 200, r.text
        assert r.json()["refresh_token"] != tokens["refresh_token"]
        # RFC 9700 §4.14.2: the used refresh token is dead.
        again = await browser.http.post(settings.token_endpoint, data=refresh, auth=auth_of(reg))
        assert again.json()["error"] == "invalid_grant"
        consent = await browser.authorize(
            response_type="token", client_id=reg.client.client_id, redirect_uri=CB, state="st"
        )
        if consent.status_code == 200:
            consent = await browser.decide(consent)
        values = fragment_of(consent.headers["location"])
        assert values["access_token"] and values["expires_in"] == "7200"


class TestSpace:
    """Seed 004: client credentials, implicit, authorization code, resource owner password
    (for every application) and refresh token flows."""

    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"profile": "space"}

    async def test_every_application_has_the_password_flow_with_refresh_seed004(
        self, http: httpx.AsyncClient, make: Factory, alice: User, settings: Settings
    ) -> None:
        reg = await make.client(grant_types=["client_credentials"])
        r = await http.post(
            settings.token_endpoint, data=alice_password(scope="read"), auth=auth_of(reg)
        )
        assert r.status_code == 200, r.text
        refresh = r.json()["refresh_token"]
        r = await http.post(
            settings.token_endpoint,
            data={"grant_type": "refresh_token", "refresh_token": refresh},
            auth=auth_of(reg),
        )
        assert r.status_code == 200, r.text
        cc = await http.post(
            settings.token_endpoint, data={"grant_type": "client_credentials"}, auth=auth_of(reg)
        )
        assert cc.status_code == 200, cc.text

    async def test_an_implicit_application_at_oauth_auth_also_has_the_password_flow(
        self, http: httpx.AsyncClient, make: Factory, alice: User
    ) -> None:
        reg = await make.client(grant_types=["implicit"], redirect_uris=[CB], public=True)
        browser = Browser(http, authorize_path="/oauth/auth")
        await browser.login()
        consent = await browser.authorize(
            response_type="token", client_id=reg.client.client_id, state="st"
        )
        values = fragment_of((await browser.decide(consent)).headers["location"])
        assert values["access_token"] and "refresh_token" not in values
        # The password flow too, as every application (RFC 6749 §4.3.2: a public client
        # sends its client_id).
        r = await http.post("/oauth/token", data=alice_password(client_id=reg.client.client_id))
        assert r.status_code == 200, r.text
        assert r.json()["refresh_token"]

    async def test_the_five_flows_are_offered_and_token_exchange_is_not_rfc6749_5_2(
        self, http: httpx.AsyncClient, make: Factory, alice: User, settings: Settings
    ) -> None:
        doc = await discovery(http)
        assert doc["grant_types_supported"] == sorted(
            ["client_credentials", "implicit", "authorization_code", "password", "refresh_token"]
        )
        assert len(doc["response_types_supported"]) == 7  # code, implicit, hybrid
        reg = await make.client(grant_types=["client_credentials"])
        r = await http.post(
            settings.token_endpoint,
            data={"grant_type": TOKEN_EXCHANGE, "subject_token": "x"},
            auth=auth_of(reg),
        )
        assert r.json()["error"] == "unsupported_grant_type"
