"""Seeds 000 (Cobot's OAuth flow) and 001 (Cobot's REST API conventions) as an executable
specification, against a real ``authgate serve --profile cobot`` whose spaces have issuers
on their own subdomains (``base_domain``) and custom domains.

The pages' URLs did not survive in the seeds; the paths are Cobot's documented
``/oauth/authorize`` and ``/oauth/access_token``. The platform API is authgate's demo API
(``/api/…``), which keeps seed 001's conventions: public data without a token, a scope per
endpoint, rights per space.
"""

from __future__ import annotations

import base64
import json
import time
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
    loopback_client,
    query_of,
    serve_profile,
)

pytestmark = pytest.mark.e2e

MEMBER = "maria@cowork.example"
ADMIN = "alex@cowork.example"
BASE_DOMAIN = "cobot.test:{port}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProfileServer]:
    for found in serve_profile("cobot", tmp_path_factory, base_domain=BASE_DOMAIN):
        found.user(MEMBER, "Maria")
        found.user(ADMIN, "Alex")
        found.cli(
            "space",
            "create",
            "--slug",
            "berlin",
            "--name",
            "Cowork Berlin",
            "--domain",
            f"members.cowork-berlin.test:{found.port}",
        )
        found.cli("space", "create", "--slug", "hamburg", "--name", "Cowork Hamburg")
        found.cli(
            "space",
            "add-member",
            "--space",
            "berlin",
            "--email",
            MEMBER,
            "--name",
            "Maria M.",
            "--picture",
            "https://img.example/maria.png",
            "--phone",
            "+49 30 1234567",
        )
        found.cli("space", "add-member", "--space", "berlin", "--email", ADMIN, "--role", "admin")
        found.cli("space", "add-member", "--space", "hamburg", "--email", ADMIN, "--role", "admin")
        yield found


@pytest.fixture
def browser(server: ProfileServer) -> Iterator[Browser]:
    found = Browser(server.url)
    yield found
    found.close()


def space_url(server: ProfileServer, slug: str) -> str:
    return f"http://{slug}.{BASE_DOMAIN.format(port=server.port)}"


class App:
    """ "Before you can use OAuth2 with Cobot, you have to register your app … Cobot gives
    you a client id and secret." The owner gets the test access token."""

    def __init__(self, server: ProfileServer, *scopes: str, owner: str = ADMIN) -> None:
        self.server = server
        self.redirect_uri = callback_uri()
        scope = " ".join(scopes or ("read", "write", "admin"))
        args = ["--redirect-uri", self.redirect_uri, "--owner", owner, "--scope", scope]
        self.registered = server.client("Desk Booking", *args)
        self.client_id: str = self.registered["client_id"]
        self.client_secret: str = self.registered["client_secret"]

    def authorize_url(self, base: str | None = None, **params: str) -> str:
        query = {"response_type": "code", "client_id": self.client_id, **params}
        return f"{base or self.server.url}/oauth/authorize?{urlencode(query)}"

    def token(self, body: str, base: str | None = None, query: str = "") -> httpx.Response:
        url = f"{base or self.server.url}/oauth/access_token{query}"
        with loopback_client() as http:
            return http.post(
                url, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
            )

    def web_flow(
        self, browser: Browser, email: str = MEMBER, base: str | None = None, **params: str
    ) -> dict[str, Any]:
        """The web flow as the page shows it, ``redirect_uri`` left out (it is "optional"):
        the user is sent back to the one registered."""
        location = browser.authorize(
            self.authorize_url(base, **params), self.redirect_uri, email=email
        )
        assert "code" in query_of(location), location
        code = query_of(location)["code"]
        r = self.token(
            f"client_id={self.client_id}&client_secret={self.client_secret}"
            f"&grant_type=authorization_code&code={code}",
            base,
        )
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body


def api(
    server: ProfileServer,
    method: str,
    path: str,
    token: str | None = None,
    *,
    base: str | None = None,
    **kwargs: Any,
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with loopback_client() as http:
        return http.request(method, (base or server.url) + path, headers=headers, **kwargs)


def claims_of(id_token: str) -> dict[str, Any]:
    payload = id_token.split(".")[1]
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return data


# ---------------------------------------------------------------------------- seed 000


def test_registration_gives_a_test_token_that_the_app_page_shows_again(
    server: ProfileServer,
) -> None:
    """ "An access token for testing purposes is created when you register. If you ever
    need to find your access token again, return to the oauth2_clients page and click the
    name of your app." (The CLI's ``client show`` is that page.)"""
    app = App(server, "read")
    test_token = app.registered["test_access_token"]
    assert test_token
    assert server.cli("client", "show", app.client_id)["test_access_token"] == test_token
    r = api(server, "GET", "/api/me", test_token)
    assert r.status_code == 200, r.text
    assert r.json()["email"] == ADMIN


def test_web_flow_gives_a_token_that_does_not_expire(
    server: ProfileServer, browser: Browser
) -> None:
    """ "Cobot will answer with an access token … (tokens don't expire)": no expires_in
    and no refresh token; "token_type": "bearer" as the page's sample shows."""
    tokens = App(server, "read").web_flow(browser, scope="read", state="from-page")
    assert tokens["token_type"] == "bearer"
    assert "expires_in" not in tokens
    assert "refresh_token" not in tokens
    assert api(server, "GET", "/api/me", tokens["access_token"]).status_code == 200


def test_state_comes_back_with_the_code(server: ProfileServer, browser: Browser) -> None:
    """ "If you provided a state parameter it will be added as well." """
    app = App(server, "read")
    location = browser.authorize(
        app.authorize_url(scope="read", state="abc 123"), app.redirect_uri, email=MEMBER
    )
    assert query_of(location)["state"] == "abc 123"


def test_the_token_as_access_token_parameter_or_bearer_header(
    server: ProfileServer, browser: Browser
) -> None:
    """ "you can either send the token as a parameter called access_token or as a header
    like this: Authorization: Bearer <your access token>." """
    token = App(server, "read", "write").web_flow(browser, scope="read write")["access_token"]
    assert api(server, "GET", "/api/me", token).status_code == 200
    assert api(server, "GET", "/api/me", params={"access_token": token}).status_code == 200
    r = api(
        server,
        "PUT",
        "/api/spaces/berlin/members/me",
        data={"access_token": token, "name": "Maria M."},
    )
    assert r.status_code == 200, r.text


def test_app_flow_exchanges_email_and_password_in_the_query_string(
    server: ProfileServer,
) -> None:
    """The app flow exactly as the page shows it: a POST whose parameters (scope,
    grant_type=password, username, password, client_id, client_secret) are in the URL."""
    app = App(server, "read")
    query = "?" + urlencode(
        {
            "scope": "read",
            "grant_type": "password",
            "username": MEMBER,
            "password": PASSWORD,
            "client_id": app.client_id,
            "client_secret": app.client_secret,
        }
    )
    r = app.token("", query=query)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer"
    assert set(body) >= {"access_token", "token_type"}
    assert "expires_in" not in body
    assert api(server, "GET", "/api/me", body["access_token"]).json()["email"] == MEMBER


def test_scopes_added_to_a_client_do_not_reach_its_old_tokens(
    server: ProfileServer, browser: Browser
) -> None:
    """ "If you change the scopes for a client, old tokens will still not have the added
    scopes." """
    app = App(server, "read")
    old = app.web_flow(browser, scope="read")["access_token"]
    server.cli("client", "update", app.client_id, "--scope", "read write")
    r = api(server, "PUT", "/api/spaces/berlin/members/me", old, json={"name": "M"})
    assert r.status_code == 403
    assert 'error="insufficient_scope"' in r.headers["www-authenticate"]


def test_space_specific_tokens_after_finalizing_the_authorization(
    server: ProfileServer, browser: Browser
) -> None:
    """ "Initial tokens are user-specific, but our API allows you to request space
    specific tokens after finalizing the authorization." (RFC 8693 token exchange)"""
    app = App(server, "read", "admin")
    user_token = app.web_flow(browser, ADMIN, scope="read admin")["access_token"]
    r = app.token(
        urlencode(
            {
                "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
                "subject_token": user_token,
                "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
                "audience": "berlin",
                "client_id": app.client_id,
                "client_secret": app.client_secret,
            }
        )
    )
    assert r.status_code == 200, r.text
    space_token = r.json()["access_token"]
    assert r.json()["issued_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
    assert api(server, "GET", "/api/spaces/berlin/members", space_token).status_code == 200
    elsewhere = api(server, "GET", "/api/spaces/hamburg/members", space_token)
    assert elsewhere.status_code == 401  # refused: the token is invalid outside its space
    assert elsewhere.json()["error_description"] == "The access token is bound to another space"
    # The user's own token reaches every space its user belongs to (seed 002's reading).
    for slug in ("berlin", "hamburg"):
        assert api(server, "GET", f"/api/spaces/{slug}/members", user_token).status_code == 200


# ---------------------------------------------------------------------------- seed 001


def test_public_data_needs_no_token_private_data_does(server: ProfileServer) -> None:
    """ "The API distinguishes between public and private data." """
    assert api(server, "GET", "/api/spaces/berlin").status_code == 200
    r = api(server, "GET", "/api/me")
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")


def test_a_write_takes_a_form_or_a_json_body(server: ProfileServer, browser: Browser) -> None:
    app = App(server, "read", "write")
    token = app.web_flow(browser, ADMIN, scope="read write")["access_token"]
    r = api(server, "PUT", "/api/spaces/berlin/members/me", token, json={"name": "Alex J"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    r = api(server, "PUT", "/api/spaces/berlin/members/me", token, data={"name": "Alex F"})
    assert r.status_code == 200, r.text


def test_an_admin_whose_admin_permission_was_revoked_loses_it_on_the_next_request(
    server: ProfileServer, browser: Browser
) -> None:
    """ "a user's scope can be limited when they access the API as an admin of a space and
    some of their admin permissions have been revoked." Within token_cache_seconds (2 s)
    of the change, which another process (the CLI) made."""
    token = App(server, "read", "admin").web_flow(browser, ADMIN, scope="read admin")[
        "access_token"
    ]
    assert api(server, "GET", "/api/spaces/hamburg/members", token).status_code == 200
    server.cli(
        "space", "update-member", "--space", "hamburg", "--email", ADMIN, "--revoke-scope", "admin"
    )
    try:
        deadline = time.monotonic() + 5
        while api(server, "GET", "/api/spaces/hamburg/members", token).status_code == 200:
            assert time.monotonic() < deadline, "the revoked permission still works"
            time.sleep(0.2)
        r = api(server, "GET", "/api/spaces/hamburg/members", token)
        assert r.status_code == 403
        # … and only there: the other space's rights are untouched.
        assert api(server, "GET", "/api/spaces/berlin/members", token).status_code == 200
    finally:
        server.cli(
            "space",
            "update-member",
            "--space",
            "hamburg",
            "--email",
            ADMIN,
            "--restore-scope",
            "admin",
        )


def test_rate_limit_is_60_a_minute_per_user_then_429_with_retry_after(
    server: ProfileServer,
) -> None:
    """ "the rate limit for an endpoint is 60 requests per minute per user … Cobot will
    return a 429 status code and a JSON error message … a Retry-After header"."""
    server.user("busy@cowork.example")
    app = App(server, "read", owner="busy@cowork.example")
    token = app.registered["test_access_token"]
    with loopback_client() as http:
        statuses = [
            http.get(server.url + "/api/me", headers={"Authorization": f"Bearer {token}"})
            for _ in range(61)
        ]
    assert [r.status_code for r in statuses[:60]] == [200] * 60
    assert statuses[59].headers["ratelimit-limit"] == "60"
    refused = statuses[60]
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/json")
    assert refused.json()["error"]
    assert 1 <= int(refused.headers["retry-after"]) <= 60


def test_openid_connect_id_token_and_provider_configuration(
    server: ProfileServer, browser: Browser
) -> None:
    """ "OpenID Connect adds an OAuth2 scope openid … the access token response includes an
    id token … Our provider configuration is available under
    /.well-known/openid-configuration." """
    config = api(server, "GET", "/.well-known/openid-configuration").json()
    assert config["issuer"] == server.url
    assert config["token_endpoint"] == server.url + "/oauth/access_token"
    tokens = App(server).web_flow(browser, scope="openid read", nonce="n-1")
    claims = claims_of(tokens["id_token"])
    assert claims["iss"] == server.url
    assert claims["nonce"] == "n-1"
    assert claims["sub"]


@pytest.mark.parametrize("host", ["subdomain", "custom domain"])
def test_a_spaces_provider_gives_the_members_name_picture_and_phone(
    server: ProfileServer, host: str
) -> None:
    """ "OpenID Connect can also be used under a space's subdomain … the id token includes
    the name, picture and phone number of the membership of the current user in the
    space." A custom domain is the same space's issuer."""
    base = (
        space_url(server, "berlin")
        if host == "subdomain"
        else f"http://members.cowork-berlin.test:{server.port}"
    )
    config = api(server, "GET", "/.well-known/openid-configuration", base=base).json()
    assert config["issuer"] == base
    assert config["authorization_endpoint"] == base + "/oauth/authorize"
    assert {"name", "picture", "phone_number"} <= set(config["claims_supported"])
    browser = Browser(base)
    try:
        tokens = App(server).web_flow(browser, base=base, scope="openid profile phone", nonce="n-2")
    finally:
        browser.close()
    claims = claims_of(tokens["id_token"])
    assert claims["iss"] == base
    assert claims["name"] == "Maria M."
    assert claims["picture"] == "https://img.example/maria.png"
    assert claims["phone_number"] == "+49 30 1234567"


def test_apps_in_an_iframe_sign_in_on_the_spaces_own_domain(server: ProfileServer) -> None:
    """Seed 000's iframe note: OAuth happens on the space's subdomain or custom domain, so
    the space's pages may be framed by that space's own origins (never by others), and a
    user signed in there is not asked to sign in again there."""
    base = space_url(server, "berlin")
    app = App(server, "read")
    browser = Browser(base)
    try:
        with loopback_client() as http:
            page = http.get(app.authorize_url(base, scope="read"), follow_redirects=True)
        csp = page.headers["content-security-policy"]
        ancestors = csp.split("frame-ancestors", 1)[1].split(";")[0].split()
        assert base in ancestors
        assert f"http://members.cowork-berlin.test:{server.port}" in ancestors
        assert space_url(server, "hamburg") not in ancestors
        assert "*" not in ancestors
        app.web_flow(browser, base=base, scope="read")
        assert browser.sign_ins == 1
        app.web_flow(browser, base=base, scope="read")
        assert browser.sign_ins == 1  # the session on the space's domain was used
    finally:
        browser.close()
