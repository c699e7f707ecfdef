"""Grants every client has without being registered with them (setting
``client_base_grants``; seed 004: the password flow "is enabled by default for all
registered applications", and the refresh-token flow with it). They apply at request time:
nothing is stored on the client, so the setting reaches clients registered before."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from authgate.domain import User
from authgate.services import Services
from authgate.settings import Settings
from tests.conftest import Factory
from tests.web.grant_support import CB, alice_password, registered_earlier, token_request


class TestBasePassword:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"client_base_grants": ["password"]}

    async def test_a_client_registered_without_password_uses_it_with_refresh_seed004(
        self, http: httpx.AsyncClient, settings: Settings, services: Services, alice: User
    ) -> None:
        """Registered before the setting (under the defaults), with client_credentials
        only: the password grant works, and refresh tokens come with it (RFC 6749 §4.3.3:
        "If the access token request is valid and authorized, the authorization server
        issues an access token and optional refresh token")."""
        client = await registered_earlier(
            settings, "--name", "Bot", "--grant", "client_credentials"
        )
        stored = await services.registry.get(client["client_id"])
        assert stored.grant_types == {"client_credentials"}  # nothing was stored
        r = await token_request(http, client, **alice_password(scope="read"))
        assert r.status_code == 200, r.text
        refresh_token = r.json()["refresh_token"]
        r = await token_request(
            http, client, grant_type="refresh_token", refresh_token=refresh_token
        )
        assert r.status_code == 200, r.text
        assert r.json()["refresh_token"] != refresh_token  # rotated (RFC 9700 §4.14.2)

    async def test_a_client_whose_refresh_policy_is_none_gets_no_refresh_token(
        self, http: httpx.AsyncClient, make: Factory, alice: User
    ) -> None:
        reg = await make.client(grant_types=["client_credentials"], refresh_policy="none")
        assert reg.client_secret
        auth = (reg.client.client_id, reg.client_secret)
        r = await http.post("/oauth/token", data=alice_password(), auth=auth)
        assert r.status_code == 200, r.text
        assert "refresh_token" not in r.json()
        r = await http.post(
            "/oauth/token", data={"grant_type": "refresh_token", "refresh_token": "1.x"}, auth=auth
        )
        assert r.json()["error"] == "unauthorized_client"

    async def test_a_public_client_uses_it_as_when_registered_with_it_rfc6749_4_3_2(
        self, http: httpx.AsyncClient, make: Factory, alice: User
    ) -> None:
        """§4.3.2: only a confidential client (or one issued credentials) MUST
        authenticate; a public client sends its client_id, as it would if it had been
        registered with the password grant."""
        reg = await make.client(grant_types=["authorization_code"], redirect_uris=[CB], public=True)
        r = await http.post("/oauth/token", data=alice_password(client_id=reg.client.client_id))
        assert r.status_code == 200, r.text

    async def test_client_show_lists_the_grants_it_may_use(
        self, settings: Settings, alice: User
    ) -> None:
        client = await registered_earlier(
            settings,
            *("--name", "Bot", "--grant", "client_credentials"),
            AUTHGATE_CLIENT_BASE_GRANTS='["password"]',
        )
        assert client["grant_types"] == ["client_credentials"]
        assert client["usable_grants"] == ["client_credentials", "password", "refresh_token"]


class TestBaseClientCredentials:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"client_base_grants": ["client_credentials"]}

    async def test_every_client_has_it_but_a_public_one_still_cannot_use_it_rfc6749_4_4(
        self, http: httpx.AsyncClient, make: Factory
    ) -> None:
        """§4.4: "The client credentials grant type MUST only be used by confidential
        clients", base grant or not."""
        reg = await make.client(grant_types=["authorization_code"], redirect_uris=[CB])
        assert reg.client_secret
        r = await http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(reg.client.client_id, reg.client_secret),
        )
        assert r.status_code == 200, r.text
        assert "refresh_token" not in r.json()  # §4.4.3: "SHOULD NOT be included"
        public = await make.client(
            grant_types=["authorization_code"], redirect_uris=[CB], public=True
        )
        r = await http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "client_id": public.client.client_id},
        )
        assert r.status_code == 400, r.text
        assert r.json()["error"] == "unauthorized_client"
