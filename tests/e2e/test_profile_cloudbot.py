"""Seed 002 (Cloud BOT's OAuth2 API reference) as an executable specification, against a
real ``authgate serve --profile cloudbot``.

The reference documents two endpoints, ``GET /oauth/authorize`` and ``POST /oauth/token``
(``application/x-www-form-urlencoded``); each test sends what the reference lists, with
its required and optional parameters, and checks the responses it documents.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.e2e.profile_support import (
    PASSWORD,
    Browser,
    ProfileServer,
    callback_uri,
    query_of,
    redirect_params,
    serve_profile,
)

pytestmark = pytest.mark.e2e

EMAIL = "user@example.com"  # the reference's sample username
SCOPES = "execute refer suspend modify"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProfileServer]:
    for found in serve_profile("cloudbot", tmp_path_factory):
        found.user(EMAIL, "Bot Owner")
        # Bots live in contracts; the user owns one and was invited to another's.
        for slug in ("own-contract", "invited-contract"):
            found.cli("space", "create", "--slug", slug, "--name", slug.replace("-", " "))
            found.cli("space", "add-member", "--space", slug, "--email", EMAIL)
        yield found


@pytest.fixture
def browser(server: ProfileServer) -> Iterator[Browser]:
    found = Browser(server.url)
    yield found
    found.close()


class App:
    """ "Please issue it from Cloud BOT Dashboard > For Developers > My Apps": the app's
    integer client id and its secret, and its redirect_uri."""

    def __init__(self, server: ProfileServer) -> None:
        self.server = server
        self.redirect_uri = callback_uri()
        data = server.client("My Bot App", "--redirect-uri", self.redirect_uri)
        self.client_id: str = data["client_id"]
        self.client_secret: str = data["client_secret"]

    def authorize_url(self, **params: str) -> str:
        query = {
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "response_type": "code",
            "scope": SCOPES,
            **params,
        }
        # "separated by space (in URL by +)": urlencode writes spaces as "+".
        return f"{self.server.url}/oauth/authorize?{urlencode(query)}"

    def token(self, **params: str) -> httpx.Response:
        body = {"client_id": self.client_id, "client_secret": self.client_secret, **params}
        return httpx.post(self.server.url + "/oauth/token", data=body)

    def code(self, browser: Browser, **params: str) -> str:
        location = browser.authorize(self.authorize_url(**params), self.redirect_uri, email=EMAIL)
        # "https://yourdomain/callback?code={authorization code}&state={State String}"
        found = query_of(location)
        assert found.get("state") == params.get("state")
        return found["code"]

    def tokens(self, browser: Browser) -> dict[str, Any]:
        r = self.token(
            grant_type="authorization_code",
            code=self.code(browser, state="s1"),
            redirect_uri=self.redirect_uri,
        )
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body


def assert_token_response(body: dict[str, Any]) -> None:
    """The reference's response sample: username, token_type "Bearer", expires_in
    31536000, access_token, refresh_token."""
    assert body["username"] == EMAIL
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 31536000
    assert isinstance(body["access_token"], str) and body["access_token"]
    assert isinstance(body["refresh_token"], str) and body["refresh_token"]


def test_client_id_is_an_integer(server: ProfileServer) -> None:
    """ "client_id required integer"."""
    app = App(server)
    assert app.client_id.isdigit()
    assert not app.client_id.startswith("0")
    assert server.cli("client", "show", app.client_id)["client_id"] == app.client_id


def test_authorization_code_flow_with_state(server: ProfileServer, browser: Browser) -> None:
    body = App(server).tokens(browser)
    assert_token_response(body)
    assert set(body) >= {"username", "token_type", "expires_in", "access_token", "refresh_token"}


def test_refreshing_the_access_token(server: ProfileServer, browser: Browser) -> None:
    """ "you can refresh the access token by using refresh token" (grant_type
    refresh_token, client_id, client_secret, refresh_token)."""
    app = App(server)
    first = app.tokens(browser)
    r = app.token(grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert r.status_code == 200, r.text
    assert_token_response(r.json())
    assert r.json()["access_token"] != first["access_token"]


def test_the_token_reaches_every_bot_the_user_can_access(
    server: ProfileServer, browser: Browser
) -> None:
    """ "The issued access token will be valid to access all the BOTs that authorized user
    can access, including the BOTs owned by invited other contract." (Contracts are
    spaces here; the token lists and reads both.)"""
    token = App(server).tokens(browser)["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    r = httpx.get(server.url + "/api/spaces", headers=headers)
    assert r.status_code == 200, r.text
    slugs = {space["slug"] for space in r.json()["spaces"]}
    assert slugs == {"own-contract", "invited-contract"}


def test_denial_comes_back_as_an_error_parameter(server: ProfileServer, browser: Browser) -> None:
    """ "(error: Only when user denies authorization)"."""
    app = App(server)
    location = browser.authorize(
        app.authorize_url(state="s2"), app.redirect_uri, email=EMAIL, decision="deny"
    )
    found = query_of(location)
    assert found["error"] == "access_denied"
    assert found["state"] == "s2"
    assert "code" not in found


def test_redirect_uri_is_required_at_authorization(server: ProfileServer) -> None:
    """ "redirect_uri required": without it nothing is redirected (RFC 6749 §4.1.2.1: the
    user is told, the client is not redirected to)."""
    app = App(server)
    url = app.authorize_url().replace(urlencode({"redirect_uri": app.redirect_uri}) + "&", "")
    assert "redirect_uri" not in url
    r = httpx.get(url)
    assert r.status_code == 400
    assert "location" not in r.headers


def test_scope_is_required_at_authorization(server: ProfileServer) -> None:
    """ "scope required": without it, invalid_scope redirected to the app (§4.1.2.1)."""
    app = App(server)
    url = app.authorize_url().replace("&" + urlencode({"scope": SCOPES}), "")
    assert "scope" not in url
    r = httpx.get(url)
    assert r.status_code in (302, 303)
    assert query_of(r.headers["location"])["error"] == "invalid_scope"


def test_only_the_four_scopes_exist(server: ProfileServer) -> None:
    app = App(server)
    r = httpx.get(app.authorize_url(scope="execute read"))
    assert query_of(r.headers["location"])["error"] == "invalid_scope"


def test_response_type_is_code_only(server: ProfileServer) -> None:
    """ "response_type required Value: "code"" """
    r = httpx.get(App(server).authorize_url(response_type="token"))
    assert redirect_params(r.headers["location"])["error"] == "unsupported_response_type"


def test_redirect_uri_is_required_with_a_code(server: ProfileServer, browser: Browser) -> None:
    """ "redirect_uri … Required when grant_type is authorization_code" (RFC 6749 §4.1.3)."""
    app = App(server)
    r = app.token(grant_type="authorization_code", code=app.code(browser, state="s3"))
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_request"


@pytest.mark.parametrize("grant_type", ["client_credentials", "password", "implicit"])
def test_the_token_endpoint_offers_only_code_and_refresh(
    server: ProfileServer, grant_type: str
) -> None:
    """ "grant_type Enum: "authorization_code" "refresh_token"" (RFC 6749 §5.2)."""
    r = App(server).token(grant_type=grant_type, username=EMAIL, password=PASSWORD)
    assert r.status_code == 400
    assert r.json()["error"] == "unsupported_grant_type"
