"""Seed 003 (Redbooth's authentication guide) as an executable specification, against a real
``authgate serve --profile redbooth``.

Each test replays a request the page shows, with its parameter names, methods and
encodings (``curl -X POST -d '…'`` sends ``application/x-www-form-urlencoded``), and checks
what the page promises. The page's own URLs did not survive in the seed; the paths are
Redbooth's documented ``/oauth2/authorize`` and ``/oauth2/token``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.e2e.profile_support import (
    Browser,
    ProfileServer,
    callback_uri,
    fragment_of,
    query_of,
    serve_profile,
)

pytestmark = pytest.mark.e2e

EMAIL = "pat@redbooth.example"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProfileServer]:
    for found in serve_profile("redbooth", tmp_path_factory):
        found.user(EMAIL, "Pat")
        yield found


class App:
    """ "1. Initial Setup, registering the application": a return URI, then the Api Key
    (client id) and App secret."""

    def __init__(self, server: ProfileServer, *extra: str) -> None:
        self.server = server
        self.redirect_uri = callback_uri()
        data = server.client("My Redbooth App", "--redirect-uri", self.redirect_uri, *extra)
        self.client_id: str = data["client_id"]
        self.client_secret: str = data.get("client_secret") or ""

    def authorize_url(self, **params: str) -> str:
        query = {"client_id": self.client_id, "redirect_uri": self.redirect_uri, **params}
        return f"{self.server.url}/oauth2/authorize?{urlencode(query)}"

    def code(self, browser: Browser, **params: str) -> str:
        location = browser.authorize(
            self.authorize_url(response_type="code", **params), self.redirect_uri, email=EMAIL
        )
        found = query_of(location)
        assert set(found) == {"code", "iss"} | ({"state"} if "state" in params else set())
        return found["code"]

    def token(self, body: str) -> httpx.Response:
        """``curl -X POST -d 'BODY' …/oauth2/token``."""
        return httpx.post(self.server.url + "/oauth2/token", content=body, headers=FORM)

    def exchange(self, code: str) -> dict[str, Any]:
        # "3. Getting the Access Token": the page's curl line, its trailing "&" included.
        r = self.token(
            f"client_id={self.client_id}&client_secret={self.client_secret}"
            f"&code={code}&grant_type=authorization_code&redirect_uri={self.redirect_uri}&"
        )
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body


@pytest.fixture
def browser(server: ProfileServer) -> Iterator[Browser]:
    found = Browser(server.url)
    yield found
    found.close()


def me(server: ProfileServer, access_token: str) -> httpx.Response:
    """ "Use the Access Token when performing requests": the user's account info."""
    return httpx.get(server.url + "/api/me", headers={"Authorization": f"Bearer {access_token}"})


def test_authorization_code_by_get_then_token_then_api(
    server: ProfileServer, browser: Browser
) -> None:
    app = App(server)
    tokens = app.exchange(app.code(browser, state="xyz"))
    # "a 200 response containing a JSON body" with an Access Token and its Refresh Token;
    # "Tokens expire every 7200 seconds, two hours."
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 7200
    assert tokens["access_token"] and tokens["refresh_token"]
    r = me(server, tokens["access_token"])
    assert r.status_code == 200, r.text
    assert r.json()["email"] == EMAIL


def test_authorization_code_by_post_with_the_parameters_in_the_body(
    server: ProfileServer, browser: Browser
) -> None:
    """ "Direct your user to … through either a POST or a GET request … For POST, include
    the parameters in the POST body." """
    app = App(server)
    params = {
        "client_id": app.client_id,
        "redirect_uri": app.redirect_uri,
        "response_type": "code",
        "state": "posted",
    }
    location = browser.authorize(
        server.url + "/oauth2/authorize",
        app.redirect_uri,
        email=EMAIL,
        method="POST",
        data=params,
    )
    found = query_of(location)
    assert found["state"] == "posted"
    assert app.exchange(found["code"])["expires_in"] == 7200


def test_the_redirect_uri_may_differ_in_its_query_but_not_in_host_or_path(
    server: ProfileServer, browser: Browser
) -> None:
    """ "The redirect_uri must have the same hostname and path as the callback url
    specified in your app settings." (Reading: the query may differ; scheme, host, port
    and path may not.)"""
    app = App(server)
    with_query = app.redirect_uri + "?from=redbooth"
    location = browser.authorize(
        app.authorize_url(response_type="code", redirect_uri=with_query),
        with_query,
        email=EMAIL,
    )
    assert query_of(location)["from"] == "redbooth"
    assert "code" in query_of(location)
    for other in (
        app.redirect_uri + "/elsewhere",
        app.redirect_uri.replace("127.0.0.1", "localhost"),
    ):
        r = browser.http.get(app.authorize_url(response_type="code", redirect_uri=other))
        assert r.status_code == 400, other  # never redirected to an unregistered URI
        assert "redirect" in r.text.lower()


def test_deny_comes_back_with_error_and_error_description(
    server: ProfileServer, browser: Browser
) -> None:
    """ "if the user clicked Deny, you will receive a request with an error and
    error_description parameter"."""
    app = App(server)
    location = browser.authorize(
        app.authorize_url(response_type="code", state="s"),
        app.redirect_uri,
        email=EMAIL,
        decision="deny",
    )
    found = query_of(location)
    assert found["error"] == "access_denied"
    assert found["error_description"] == (
        "The resource owner or authorization server denied the request."
    )
    assert found["state"] == "s"


def test_the_error_conditions_the_page_lists(server: ProfileServer, browser: Browser) -> None:
    app = App(server)
    # "The request is missing a required parameter, includes an invalid parameter value,
    # includes a parameter more than once, or is otherwise malformed."
    r = browser.http.get(app.authorize_url())  # no response_type
    location = r.headers["location"]
    assert query_of(location)["error"] == "invalid_request"
    assert query_of(location)["error_description"].startswith(
        "The request is missing a required parameter"
    )
    # "The authorization server does not support obtaining an authorization code using
    # this method."
    r = browser.http.get(app.authorize_url(response_type="device_code"))
    assert query_of(r.headers["location"])["error"] == "unsupported_response_type"
    assert query_of(r.headers["location"])["error_description"] == (
        "The authorization server does not support obtaining an authorization code "
        "using this method."
    )
    # "Check the value of the code param in your request." (at the token endpoint)
    r = app.token(
        f"client_id={app.client_id}&client_secret={app.client_secret}"
        f"&code=not-a-code&grant_type=authorization_code&redirect_uri={app.redirect_uri}"
    )
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_grant"


def test_an_expired_token_answers_exactly_as_the_page_shows(
    server: ProfileServer, browser: Browser
) -> None:
    """ "This is the message that you will get if you try to make a call with an expired
    Access Token: Status: 401 Unauthorized, WWW-Authenticate: Bearer realm="Doorkeeper",
    error="invalid_token", error_description="The access token expired"". The app is
    registered with one-second tokens so that the test need not wait two hours."""
    app = App(server, "--token-lifetime", "1")
    tokens = app.exchange(app.code(browser))
    assert tokens["expires_in"] == 1
    time.sleep(2.1)
    r = me(server, tokens["access_token"])
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == (
        'Bearer realm="Doorkeeper", error="invalid_token", '
        'error_description="The access token expired"'
    )


def test_refresh_gives_a_new_access_token_with_its_own_refresh_token(
    server: ProfileServer, browser: Browser
) -> None:
    """ "4. Refreshing the Access Token": the page's curl line; "each Access Token has his
    unique Refresh Token", so the stored one must be replaced every time."""
    app = App(server)
    first = app.exchange(app.code(browser))
    body = (
        f"client_id={app.client_id}&client_secret={app.client_secret}"
        f"&refresh_token={first['refresh_token']}&grant_type=refresh_token"
    )
    r = app.token(body)
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["expires_in"] == 7200
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert me(server, second["access_token"]).status_code == 200
    # The old refresh token is spent; the new one works once in turn.
    again = app.token(body)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    r = app.token(
        f"client_id={app.client_id}&client_secret={app.client_secret}"
        f"&refresh_token={second['refresh_token']}&grant_type=refresh_token"
    )
    # Reading: replaying a spent refresh token revokes the whole family (RFC 9700
    # §4.14.2), so after the replay above the newest one is dead too.
    assert r.status_code == 400


def test_response_type_token_for_browser_based_apps(
    server: ProfileServer, browser: Browser
) -> None:
    """ "For browser-based apps or mobile apps token should be used": the implicit flow,
    the token in the fragment and no refresh token (RFC 6749 §4.2.2)."""
    app = App(server, "--grant", "implicit", "--public")
    location = browser.authorize(
        app.authorize_url(response_type="token", state="t"), app.redirect_uri, email=EMAIL
    )
    found = fragment_of(location)
    assert found["token_type"] == "Bearer"
    assert found["expires_in"] == "7200"
    assert found["state"] == "t"
    assert "refresh_token" not in found
    assert me(server, found["access_token"]).status_code == 200
