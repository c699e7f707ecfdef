"""The presets' client ids and token responses, through HTTP: Cloud BOT's documented flow
(seed 002) under ``profile = "cloudbot"``, Cobot's ``"token_type": "bearer"`` (seed 000)
under ``profile = "cobot"``."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from authgate.domain import User
from authgate.protocol.registration import Registered
from tests.conftest import Factory
from tests.web.flow import Browser, query_of
from tests.web.token_support import client_auth

CB = "https://yourdomain.example/callback"


class TestCloudBot:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"profile": "cloudbot"}

    @pytest.fixture
    async def app_client(self, make: Factory, alice: User) -> Registered:
        """An app from "Cloud BOT Dashboard > For Developers > My Apps"."""
        return await make.client(
            name="My App", redirect_uris=[CB], grant_types=["authorization_code"]
        )

    async def test_the_documented_flow_seed_002(
        self, http: httpx.AsyncClient, browser: Browser, app_client: Registered
    ) -> None:
        client_id, secret = client_auth(app_client)
        assert re.fullmatch(r"[1-9][0-9]{8,9}", client_id)  # client_id: integer
        code = await browser.code_for(
            response_type="code",
            client_id=client_id,
            redirect_uri=CB,
            scope="execute refer",
            state="state-string",
        )
        form = {"client_id": client_id, "client_secret": secret}
        r = await http.post(
            "/oauth/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": CB, **form},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body == {
            "username": "alice@example.com",
            "token_type": "Bearer",
            "expires_in": 31536000,
            "access_token": body["access_token"],
            "refresh_token": body["refresh_token"],
            "scope": "execute refer",
        }
        r = await http.post(
            "/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"], **form},
        )
        assert r.status_code == 200, r.text
        assert r.json()["username"] == "alice@example.com"
        assert r.json()["expires_in"] == 31536000

    async def test_scope_is_required_seed_002(
        self, browser: Browser, app_client: Registered
    ) -> None:
        """scope "required"; RFC 6749 §4.1.2.1: the error goes back with the state."""
        r = await browser.authorize(
            response_type="code",
            client_id=app_client.client.client_id,
            redirect_uri=CB,
            state="state-string",
        )
        assert r.status_code == 302
        values = query_of(r.headers["location"])
        assert (values["error"], values["state"]) == ("invalid_scope", "state-string")


class TestCobot:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"profile": "cobot"}

    async def test_the_app_flow_answers_token_type_bearer_in_lower_case_seed_000(
        self, http: httpx.AsyncClient, make: Factory, alice: User
    ) -> None:
        reg = await make.client(grant_types=["password"])
        client_id, secret = client_auth(reg)
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", client_id)  # Cobot keeps random ids
        r = await http.post(
            "/oauth/access_token",
            data={
                "grant_type": "password",
                "username": "alice@example.com",
                "password": "correct horse",
                "client_id": client_id,
                "client_secret": secret,
            },
        )
        assert r.status_code == 200, r.text
        assert r.json()["token_type"] == "bearer"
        assert "username" not in r.json()
        r = await http.get(
            "/api/me", headers={"Authorization": f"bearer {r.json()['access_token']}"}
        )
        assert r.status_code == 200, r.text
