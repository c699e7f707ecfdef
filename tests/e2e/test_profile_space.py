"""Seed 004 (JetBrains Space's OAuth 2.0 flows) as an executable specification, against a
real ``authgate serve --profile space``.

The page's table of flows, with each flow's required parameters, and its endpoints
``<Space service URL>/oauth/auth`` and ``<Space service URL>/oauth/token``.
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
    fragment_of,
    query_of,
    redirect_params,
    serve_profile,
)

pytestmark = pytest.mark.e2e

EMAIL = "dev@space.example"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProfileServer]:
    for found in serve_profile("space", tmp_path_factory):
        found.user(EMAIL, "Dev")
        yield found


@pytest.fixture
def browser(server: ProfileServer) -> Iterator[Browser]:
    found = Browser(server.url)
    yield found
    found.close()


class App:
    """ "You register your client application in Space, specifying the required
    authentication flow": the flows are the ``--grant`` options."""

    def __init__(self, server: ProfileServer, *grants: str, public: bool = False) -> None:
        self.server = server
        self.redirect_uri = callback_uri()
        args = [arg for grant in grants for arg in ("--grant", grant)]
        if any(g in ("authorization_code", "implicit") for g in grants):
            args += ["--redirect-uri", self.redirect_uri]
        if public:
            args.append("--public")
        self.registered = server.client("Space App", *args)
        self.client_id: str = self.registered["client_id"]
        self.client_secret: str = self.registered.get("client_secret") or ""

    def token(self, **params: str) -> httpx.Response:
        body = {"client_id": self.client_id, "client_secret": self.client_secret, **params}
        return httpx.post(self.server.url + "/oauth/token", data=body)

    def auth_url(self, **params: str) -> str:
        query = {"client_id": self.client_id, "redirect_uri": self.redirect_uri, **params}
        return f"{self.server.url}/oauth/auth?{urlencode(query)}"


def bearer(server: ProfileServer, method: str, path: str, token: str, **kw: Any) -> httpx.Response:
    """ "Your application requests access to Space resources presenting the obtained token
    in an HTTP authorization header." """
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.request(method, server.url + path, headers=headers, **kw)


def test_the_endpoints_are_oauth_auth_and_oauth_token(server: ProfileServer) -> None:
    config = httpx.get(server.url + "/.well-known/openid-configuration").json()
    assert config["authorization_endpoint"] == server.url + "/oauth/auth"
    assert config["token_endpoint"] == server.url + "/oauth/token"
    assert {"authorization_code", "client_credentials", "password", "refresh_token"} <= set(
        config["grant_types_supported"]
    )
    assert {"code", "token"} <= set(config["response_types_supported"])


def test_client_credentials_flow_acts_for_the_application(server: ProfileServer) -> None:
    """Client Credentials: grant_type, client_id, client_secret; "Resources that require
    user authorization cannot be accessed using the Client Credentials flow." """
    app = App(server, "client_credentials")
    r = app.token(grant_type="client_credentials")
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    assert "refresh_token" not in r.json()
    me = bearer(server, "GET", "/api/me", token)
    assert me.status_code == 200
    assert me.json()["type"] == "client"
    # A resource that needs a user: the user's own membership profile.
    refused = bearer(server, "PUT", "/api/spaces/team/members/me", token, json={"name": "x"})
    assert refused.status_code == 403
    assert "acting for a user" in refused.json()["error_description"]
    assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]


def test_implicit_flow_returns_the_token_in_the_redirect(
    server: ProfileServer, browser: Browser
) -> None:
    """Implicit: client_id, redirect_uri; "Space redirects the user back to the
    application using the specified redirect URI. The redirect contains an access token." """
    app = App(server, "implicit", public=True)
    location = browser.authorize(
        app.auth_url(response_type="token", state="i"), app.redirect_uri, email=EMAIL
    )
    found = fragment_of(location)
    assert found["state"] == "i"
    assert "refresh_token" not in found
    assert bearer(server, "GET", "/api/me", found["access_token"]).json()["email"] == EMAIL


def test_authorization_code_flow_with_refresh_on_by_itself(
    server: ProfileServer, browser: Browser
) -> None:
    """Authorization Code: client_id, client_secret, redirect_uri; the Refresh Token flow
    is "automatically enabled" for apps with this flow."""
    app = App(server, "authorization_code")
    assert "refresh_token" in server.cli("client", "show", app.client_id)["grant_types"]
    location = browser.authorize(
        app.auth_url(response_type="code", state="c"), app.redirect_uri, email=EMAIL
    )
    r = app.token(
        grant_type="authorization_code",
        code=query_of(location)["code"],
        redirect_uri=app.redirect_uri,
    )
    assert r.status_code == 200, r.text
    tokens = r.json()
    assert bearer(server, "GET", "/api/me", tokens["access_token"]).json()["email"] == EMAIL
    # Refresh Token: grant_type, client_id, client_secret, refresh_token, scope.
    r = app.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"], scope="read")
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == "read"


def test_password_flow_is_on_for_every_app(server: ProfileServer) -> None:
    """Resource Owner Password Credentials: grant_type, client_id, client_secret, username,
    password, scope; "You don't have to explicitly enable this flow as it is enabled by
    default for all registered applications" — here an app registered for the code flow
    only. Refresh is on with it."""
    app = App(server, "authorization_code")
    r = app.token(grant_type="password", username=EMAIL, password=PASSWORD, scope="read")
    assert r.status_code == 200, r.text
    tokens = r.json()
    assert tokens["scope"] == "read"
    assert bearer(server, "GET", "/api/me", tokens["access_token"]).json()["email"] == EMAIL
    r = app.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert r.status_code == 200, r.text


def test_a_flow_not_chosen_at_registration_is_refused(
    server: ProfileServer, browser: Browser
) -> None:
    """The flows an app may use are the ones chosen at registration (RFC 6749 §5.2
    unauthorized_client), apart from the password flow every app has."""
    app = App(server, "client_credentials")
    r = app.token(grant_type="authorization_code", code="x", redirect_uri=app.redirect_uri)
    assert r.status_code == 400
    assert r.json()["error"] == "unauthorized_client"
    coder = App(server, "authorization_code")
    r = coder.token(grant_type="client_credentials")
    assert r.json()["error"] == "unauthorized_client"
    r = httpx.get(coder.auth_url(response_type="token"))
    assert redirect_params(r.headers["location"])["error"] == "unauthorized_client"
