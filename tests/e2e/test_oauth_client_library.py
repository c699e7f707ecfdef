"""A real OAuth client library (Authlib) runs the authorization code flow with PKCE (S256)
against a real ``authgate serve`` process; clients and the user come from the CLI.

The browser is played by plain httpx: it keeps the cookies, reads the login and consent
forms' hidden fields from the HTML and stops at the redirect to the client's redirect URI.
"""

from __future__ import annotations

import json
import signal
import subprocess
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from tests.e2e.test_server_process import AUTHGATE, Server, clean_env, free_port

with warnings.catch_warnings():
    # Authlib prefers the httpx2 package and warns when it falls back to httpx (which
    # authgate's tests use); the fallback is what we want here.
    warnings.filterwarnings("ignore", "The httpx module is deprecated", DeprecationWarning)
    from authlib.integrations.httpx_client import OAuth2Client, OAuthError

pytestmark = pytest.mark.e2e

EMAIL = "lib-user@example.com"
PASSWORD = "correct horse battery staple"


@dataclass
class Setup:
    server: Server
    cwd: Path
    env: dict[str, str]

    @property
    def authorize_url(self) -> str:
        return self.server.url + "/oauth/authorize"

    @property
    def token_url(self) -> str:
        return self.server.url + "/oauth/token"

    def cli(self, *args: str) -> dict[str, Any]:
        done = subprocess.run(
            [AUTHGATE, *args, "--json"],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        data: dict[str, Any] = json.loads(done.stdout)
        return data

    def new_client(self, name: str, *extra: str) -> tuple[dict[str, Any], str]:
        redirect_uri = f"http://127.0.0.1:{free_port()}/cb"
        data = self.cli(
            "client",
            "create",
            "--name",
            name,
            "--redirect-uri",
            redirect_uri,
            "--grant",
            "authorization_code",
            "--grant",
            "refresh_token",
            *extra,
        )
        assert data["redirect_uris"] == [redirect_uri]
        return data, redirect_uri


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    cwd = tmp_path_factory.mktemp("oauth-lib")
    # The server and the CLI share one database, named absolutely so cwd cannot matter.
    env = clean_env(AUTHGATE_DATABASE_URL=f"sqlite:///{cwd}/data/authgate.db")
    server = Server(cwd, env)
    try:
        found = Setup(server, cwd, env)
        user = found.cli(
            "user", "create", "--email", EMAIL, "--password", PASSWORD, "--name", "Lib User"
        )
        assert user["email"] == EMAIL
        yield found
    finally:
        server.kill(signal.SIGTERM)


class Forms(HTMLParser):
    """Every form of a page: its action and its named inputs and buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "fields": {}, "buttons": {}})
        elif self.forms and tag == "input" and "name" in a:
            self.forms[-1]["fields"][a["name"]] = a.get("value", "")
        elif self.forms and tag == "button" and "name" in a:
            self.forms[-1]["buttons"][a.get("value", "")] = a["name"]


def only_form(html: str) -> dict[str, Any]:
    """The page's one sign-in form, or the consent page's decision form (the consent page
    also has a small "use another account" form)."""
    parser = Forms()
    parser.feed(html)
    forms = [f for f in parser.forms if f["action"] != "/logout"]
    assert len(forms) == 1, html
    return forms[0]


def authorize(setup: Setup, browser: httpx.Client, url: str, redirect_uri: str) -> str:
    """Drive login and consent like a user who clicks Allow; the redirect to the client."""
    base = setup.server.url
    r = browser.get(url)
    for _ in range(6):
        if r.is_redirect:
            location = urljoin(str(r.url), r.headers["location"])
            if location.startswith(redirect_uri + "?"):
                return location
            assert location.startswith(base + "/"), location
            r = browser.get(location)
            continue
        assert r.status_code == 200, r.text
        form = only_form(r.text)
        fields = dict(form["fields"])
        assert fields["csrf_token"]
        if form["action"] == "/login":
            fields.update(email=EMAIL, password=PASSWORD)
        else:
            assert form["action"] == "/oauth/authorize/decision"
            assert "wants to access your account" in r.text
            assert form["buttons"] == {"allow": "decision", "deny": "decision"}
            fields["decision"] = "allow"
        r = browser.post(base + form["action"], data=fields)
    raise AssertionError(f"no redirect to the client; last page: {r.status_code} {r.text}")


def code_params(location: str, redirect_uri: str) -> dict[str, str]:
    assert location.startswith(redirect_uri + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def test_confidential_client_with_pkce_fetches_calls_and_refreshes(setup: Setup) -> None:
    registered, redirect_uri = setup.new_client("lib")
    assert registered["type"] == "confidential"
    oauth = OAuth2Client(
        client_id=registered["client_id"],
        client_secret=registered["client_secret"],
        scope="read",
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint=setup.token_url,
    )
    verifier = generate_token(64)
    url, state = oauth.create_authorization_url(setup.authorize_url, code_verifier=verifier)
    sent = parse_qs(urlsplit(url).query)
    assert sent["code_challenge"] == [create_s256_code_challenge(verifier)]
    assert sent["code_challenge_method"] == ["S256"]

    with httpx.Client() as browser:
        location = authorize(setup, browser, url, redirect_uri)
    params = code_params(location, redirect_uri)
    assert params["state"] == state
    assert params["iss"] == setup.server.url

    with oauth:
        token = oauth.fetch_token(
            setup.token_url, authorization_response=location, state=state, code_verifier=verifier
        )
        assert token["token_type"].lower() == "bearer"
        assert token["access_token"] and token["refresh_token"]
        assert token["scope"] == "read"
        assert token["expires_in"] > 0

        me = oauth.get(setup.server.url + "/api/me")
        assert me.status_code == 200, me.text
        assert me.json()["email"] == EMAIL
        assert me.json()["scope"] == "read"

        refreshed = oauth.refresh_token(setup.token_url)
        assert refreshed["access_token"] != token["access_token"]
        assert refreshed["refresh_token"] != token["refresh_token"]
        assert oauth.token["access_token"] == refreshed["access_token"]
        again = oauth.get(setup.server.url + "/api/me")
        assert again.status_code == 200, again.text
        assert again.json()["email"] == EMAIL

        # The code was used once: the library gets invalid_grant for a second exchange.
        with pytest.raises(OAuthError) as reused:
            oauth.fetch_token(
                setup.token_url,
                authorization_response=location,
                state=state,
                code_verifier=verifier,
            )
        assert reused.value.error == "invalid_grant"


def test_public_client_uses_pkce_without_a_secret(setup: Setup) -> None:
    registered, redirect_uri = setup.new_client("lib public", "--public")
    assert registered["type"] == "public"
    assert "client_secret" not in registered
    oauth = OAuth2Client(
        client_id=registered["client_id"],
        token_endpoint_auth_method="none",
        scope="read",
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint=setup.token_url,
    )
    with httpx.Client() as browser, oauth:
        # Without PKCE a public client is turned away, back at its redirect URI.
        plain, plain_state = oauth.create_authorization_url(setup.authorize_url)
        assert "code_challenge" not in plain
        refused = code_params(authorize(setup, browser, plain, redirect_uri), redirect_uri)
        assert refused["error"] == "invalid_request"
        assert refused["state"] == plain_state
        assert "code" not in refused

        verifier = generate_token(64)
        url, state = oauth.create_authorization_url(setup.authorize_url, code_verifier=verifier)
        location = authorize(setup, browser, url, redirect_uri)
        assert code_params(location, redirect_uri)["state"] == state
        token = oauth.fetch_token(
            setup.token_url, authorization_response=location, state=state, code_verifier=verifier
        )
        assert token["access_token"] and token["refresh_token"]
        me = oauth.get(setup.server.url + "/api/me")
        assert me.status_code == 200, me.text
        assert me.json()["email"] == EMAIL
        refreshed = oauth.refresh_token(setup.token_url)
        assert refreshed["refresh_token"] != token["refresh_token"]
        assert oauth.get(setup.server.url + "/api/me").status_code == 200

        # Consent is remembered now; a code redeemed with the wrong verifier is refused.
        verifier2 = generate_token(64)
        url2, state2 = oauth.create_authorization_url(setup.authorize_url, code_verifier=verifier2)
        r = browser.get(url2)
        assert r.is_redirect and r.headers["location"].startswith(redirect_uri + "?code=")
        with pytest.raises(OAuthError) as wrong:
            oauth.fetch_token(
                setup.token_url,
                authorization_response=r.headers["location"],
                state=state2,
                code_verifier=generate_token(64),
            )
        assert wrong.value.error == "invalid_grant"
