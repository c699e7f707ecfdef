"""The grants a server offers at all (setting ``grant_types``): a grant it does not offer is
refused to every client, whatever the client was registered with, and is not published."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from authgate.domain import TOKEN_EXCHANGE, User
from authgate.protocol.pkce import s256
from authgate.protocol.registration import RegistrationError
from authgate.services import Services
from authgate.settings import Settings
from tests.web.flow import Browser, fragment_of, query_of
from tests.web.grant_support import CB, alice_password, registered_earlier, token_request

VERIFIER = "v" * 43


def authorize_params(client: dict[str, Any], response_type: str, **extra: str) -> dict[str, str]:
    return {
        "response_type": response_type,
        "client_id": client["client_id"],
        "redirect_uri": CB,
        "state": "st",
        "scope": "openid read",
        "nonce": "n-1",
        **extra,
    }


class TestOnlyCodeAndClientCredentials:
    """The password, refresh-token, implicit and token-exchange grants are off."""

    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"grant_types": ["authorization_code", "client_credentials"]}

    @pytest.mark.parametrize("grant_type", ["password", "refresh_token", TOKEN_EXCHANGE])
    async def test_a_grant_not_offered_is_unsupported_grant_type_rfc6749_5_2(
        self, http: httpx.AsyncClient, settings: Settings, alice: User, grant_type: str
    ) -> None:
        """§5.2 unsupported_grant_type: "The authorization grant type is not supported by
        the authorization server" — also for a client registered with it before."""
        client = await registered_earlier(
            settings,
            *("--name", "Everything", "--redirect-uri", CB),
            *("--grant", "password", "--grant", "token-exchange", "--grant", "implicit"),
            *("--grant", "client_credentials"),
        )
        assert {"password", "refresh_token", TOKEN_EXCHANGE} <= set(client["grant_types"])
        r = await token_request(
            http, client, **alice_password(grant_type=grant_type, refresh_token="1.x")
        )
        assert r.status_code == 400, r.text
        assert r.json()["error"] == "unsupported_grant_type"
        ok = await token_request(http, client, grant_type="client_credentials")
        assert ok.status_code == 200, ok.text

    async def test_no_refresh_token_without_the_refresh_grant_rfc6749_4_1_4(
        self, browser: Browser, settings: Settings, alice: User
    ) -> None:
        """§4.1.4: the refresh token is OPTIONAL; one the server cannot redeem is not
        issued, even to a client registered with refresh_token."""
        client = await registered_earlier(settings, "--name", "Web", "--redirect-uri", CB)
        assert client["grant_types"] == ["authorization_code", "refresh_token"]
        code = await browser.code_for(
            **authorize_params(
                client, "code", code_challenge=s256(VERIFIER), code_challenge_method="S256"
            )
        )
        r = await token_request(
            browser.http,
            client,
            grant_type="authorization_code",
            code=code,
            redirect_uri=CB,
            code_verifier=VERIFIER,
        )
        assert r.status_code == 200, r.text
        assert "refresh_token" not in r.json()

    @pytest.mark.parametrize(
        "response_type", ["token", "id_token", "id_token token", "code id_token", "code token"]
    )
    async def test_implicit_off_is_unsupported_response_type_rfc6749_4_2_2_1(
        self, browser: Browser, settings: Settings, alice: User, response_type: str
    ) -> None:
        """§4.2.2.1 unsupported_response_type: "The authorization server does not support
        obtaining an access token using this method" (the implicit grant is off), for a
        client registered with implicit before; in the fragment, with state."""
        client = await registered_earlier(
            settings, "--name", "SPA", "--redirect-uri", CB, "--grant", "implicit", "--public"
        )
        await browser.login()
        r = await browser.authorize(**authorize_params(client, response_type))
        assert r.status_code == 302, r.text
        values = fragment_of(r.headers["location"])
        assert values["error"] == "unsupported_response_type"
        assert values["state"] == "st"
        assert "access_token" not in values

    async def test_discovery_lists_only_what_is_offered_rfc8414_2(
        self, http: httpx.AsyncClient
    ) -> None:
        """RFC 8414 §2: grant_types_supported and response_types_supported are what the
        server supports."""
        doc = (await http.get("/.well-known/openid-configuration")).json()
        assert doc["grant_types_supported"] == ["authorization_code", "client_credentials"]
        assert doc["response_types_supported"] == ["code"]
        assert (await http.get("/.well-known/oauth-authorization-server")).json() == doc

    async def test_registration_refuses_a_grant_not_offered(self, services: Services) -> None:
        with pytest.raises(RegistrationError) as caught:
            await services.registry.register("X", grant_types=["client_credentials", "password"])
        assert caught.value.description == (
            "this server does not offer the password grant; it offers authorization_code, "
            "client_credentials (setting grant_types)"
        )


class TestImplicitWithoutCode:
    """The implicit grant on, the authorization code grant off."""

    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"grant_types": ["implicit", "client_credentials"]}

    async def test_code_off_is_unsupported_response_type_rfc6749_4_1_2_1(
        self, browser: Browser, settings: Settings, alice: User
    ) -> None:
        """§4.1.2.1 unsupported_response_type: "The authorization server does not support
        obtaining an authorization code using this method"; in the query, with state."""
        client = await registered_earlier(
            settings,
            *("--name", "Both", "--redirect-uri", CB, "--grant", "authorization_code"),
            *("--grant", "implicit"),
        )
        await browser.login()
        r = await browser.authorize(
            **authorize_params(client, "code", code_challenge=s256(VERIFIER))
        )
        assert r.status_code == 302, r.text
        values = query_of(r.headers["location"])
        assert values["error"] == "unsupported_response_type"
        assert values["state"] == "st"
        assert "code" not in values
        token = await browser.decide(await browser.authorize(**authorize_params(client, "token")))
        assert fragment_of(token.headers["location"])["access_token"]
        r = await token_request(
            browser.http, client, grant_type="authorization_code", code="1.x", redirect_uri=CB
        )
        assert r.json()["error"] == "unsupported_grant_type"

    async def test_discovery_lists_the_implicit_response_types_only_rfc8414_2(
        self, http: httpx.AsyncClient
    ) -> None:
        doc = (await http.get("/.well-known/openid-configuration")).json()
        assert doc["grant_types_supported"] == ["client_credentials", "implicit"]
        assert doc["response_types_supported"] == ["token", "id_token", "id_token token"]
