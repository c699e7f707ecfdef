"""Page behaviours around the flow: switching account, the demo callback page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from authgate.demo import demo_file
from tests.conftest import Factory
from tests.web.flow import Browser, hidden_inputs, query_of

CB = "https://app.example.com/callback"


async def test_use_another_account_signs_out_and_returns_to_the_request(
    http: httpx.AsyncClient, make: Factory
) -> None:
    await make.user()
    reg = await make.client(grant_types=["authorization_code"], redirect_uris=[CB])
    browser = Browser(http)
    await browser.login()
    consent = await browser.authorize(
        response_type="code", client_id=reg.client.client_id, state="s"
    )
    switch = hidden_inputs(consent.text.split("</form>")[1])
    r = await http.post("/logout", data=switch)
    assert r.status_code == 303
    next_path = query_of(r.headers["location"])["next"]
    assert next_path.startswith("/oauth/authorize?")
    assert (await http.get("/")).status_code == 303  # signed out
    login = await http.get(r.headers["location"])
    assert "to continue to <strong>Test App</strong>" in login.text


class TestDemoCallback:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"demo": True}

    async def test_callback_shows_code_and_curl_but_the_secret_only_on_loopback(
        self,
        app: Starlette,
        http: httpx.AsyncClient,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.chdir(tmp_path)  # on PostgreSQL the demo file lives in ./data
        path = demo_file(app.state.services)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"client_id": "demo-id", "client_secret": "demo-secret"}))
        r = await http.get("/demo/callback", params={"code": "1.abc", "state": "st"})
        assert r.status_code == 200
        assert "grant_type=authorization_code" in r.text
        assert "code=1.abc" in r.text
        assert "demo-id:demo-secret" in r.text
        remote = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
        async with httpx.AsyncClient(transport=remote, base_url="http://testserver") as other:
            r = await other.get("/demo/callback", params={"code": "1.abc"})
        assert "demo-id:CLIENT_SECRET" in r.text
        assert "demo-secret" not in r.text

    async def test_another_apps_code_gets_that_apps_placeholders(
        self,
        app: Starlette,
        http: httpx.AsyncClient,
        make: Factory,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """An app registered in the portal may use the demo callback as its redirect URI:
        its code is not the demo client's, so the curl line names the app's credentials
        and its PKCE verifier, never the demo client's secret."""
        monkeypatch.chdir(tmp_path)
        path = demo_file(app.state.services)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"client_id": "demo-id", "client_secret": "demo-secret"}))
        await make.user()
        callback = "http://127.0.0.1:8000/demo/callback"
        reg = await make.client(grant_types=["authorization_code"], redirect_uris=[callback])
        code = await Browser(http).code_for(
            response_type="code", client_id=reg.client.client_id, redirect_uri=callback, state="s"
        )
        r = await http.get("/demo/callback", params={"code": code, "state": "s"})
        assert r.status_code == 200
        assert "-u &#34;$CLIENT_ID:$CLIENT_SECRET&#34;" in r.text
        assert "code_verifier" in r.text and "demo-secret" not in r.text
        assert "registered by your app" in r.text

    async def test_callback_shows_errors(self, http: httpx.AsyncClient) -> None:
        r = await http.get("/demo/callback", params={"error": "access_denied", "state": "st"})
        assert "access_denied" in r.text


class TestLogoutNeedsCsrf:
    """A sign-out is a state change: only with the form's CSRF token, and then for real."""

    @pytest.mark.parametrize(
        "data",
        [{}, {"csrf_token": "forged"}, {"csrf_token": "\u00e9"}, {"next": "/"}],
        ids=["no-token", "wrong-token", "non-ascii-token", "only-next"],
    )
    async def test_cross_site_post_keeps_the_session_and_cookie(
        self, http: httpx.AsyncClient, make: Factory, data: dict[str, str]
    ) -> None:
        await make.user()
        await Browser(http).login()
        r = await http.post("/logout", data=data)
        assert r.status_code == 403
        assert "authgate_session" not in r.headers.get("set-cookie", "")
        assert "Sign out?" in r.text
        assert "alice@example.com" in (await http.get("/")).text
        # The confirmation page carries a fresh form that does sign out.
        r = await http.post("/logout", data=hidden_inputs(r.text))
        assert r.status_code == 303
        assert (await http.get("/")).status_code == 303

    async def test_real_logout_revokes_the_server_side_session(
        self, http: httpx.AsyncClient, make: Factory
    ) -> None:
        await make.user()
        await Browser(http).login()
        cookie = http.cookies["authgate_session"]
        http.cookies.clear()
        http.cookies.set("authgate_session", cookie)  # control: this is how it is replayed
        home = await http.get("/")
        assert "alice@example.com" in home.text
        r = await http.post("/logout", data=hidden_inputs(home.text))
        assert r.status_code == 303
        assert 'authgate_session=""' in r.headers["set-cookie"]
        assert "max-age=0" in r.headers["set-cookie"].lower()
        # The old cookie, replayed, no longer signs anyone in.
        http.cookies.clear()
        http.cookies.set("authgate_session", cookie)
        r = await http.get("/")
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login")

    async def test_logout_without_a_session_just_goes_to_sign_in(
        self, http: httpx.AsyncClient
    ) -> None:
        r = await http.post("/logout", data={"csrf_token": "x"})
        assert r.status_code == 303
        assert r.headers["location"] == "/login?signed_out=1"
