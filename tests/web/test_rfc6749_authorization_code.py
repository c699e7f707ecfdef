"""RFC 6749 §4.1 authorization code flow through the authorization endpoint and its pages,
with PKCE (RFC 7636), RFC 9207 ``iss`` and the RFC 9700 rules."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from authgate.protocol.pkce import s256
from authgate.protocol.registration import Registered
from tests.conftest import Clock, Factory
from tests.web.flow import Browser, fragment_of, hidden_inputs, query_of

CB = "https://app.example.com/callback"
VERIFIER = "v" * 43 + "-._~0123456789"


@pytest.fixture
async def app_client(make: Factory) -> Registered:
    await make.user()
    return await make.client(
        grant_types=["authorization_code"], redirect_uris=[CB], scopes=["read", "write"]
    )


def _params(reg: Registered, **extra: Any) -> dict[str, Any]:
    return {
        "response_type": "code",
        "client_id": reg.client.client_id,
        "redirect_uri": CB,
        "state": "xyz",
        **extra,
    }


async def _exchange(
    http: httpx.AsyncClient, reg: Registered, code: str, **extra: str
) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": CB, **extra}
    if reg.client_secret is None:
        return await http.post("/oauth/token", data={**data, "client_id": reg.client.client_id})
    return await http.post(
        "/oauth/token", data=data, auth=(reg.client.client_id, reg.client_secret)
    )


# --- §4.1.1 the authorization request and §4.1.2.1 errors ---------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_full_flow_get_or_post_seed003(
    browser: Browser, app_client: Registered, method: str
) -> None:
    r = await browser.authorize(method, **_params(app_client, scope="read"))
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=%2Foauth%2Fauthorize%3F")
    login = await browser.login(next_path=query_of(r.headers["location"])["next"])
    assert login.status_code == 303
    consent = await browser.http.get(login.headers["location"])
    assert consent.status_code == 200
    assert "Test App" in consent.text
    assert "Read your profile and the data you can see" in consent.text  # scope catalog
    done = await browser.decide(consent)
    values = query_of(done.headers["location"])
    assert done.headers["location"].startswith(CB + "?")
    assert values["state"] == "xyz"
    assert values["iss"] == "http://testserver"  # RFC 9207
    token = await _exchange(browser.http, app_client, values["code"])
    assert token.status_code == 200, token.text
    body = token.json()
    assert body["scope"] == "read"
    assert body["refresh_token"]
    me = await browser.http.get(
        "/api/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.json()["email"] == "alice@example.com"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"client_id": "nope"}, "not known"),
        ({"client_id": None}, "no client_id"),
        ({"redirect_uri": "https://evil.example/callback"}, "does not match"),
        ({"redirect_uri": CB + "/extra"}, "does not match"),
        ({"redirect_uri": "https://app.example.com/callback?x=1"}, "does not match"),
    ],
    ids=["unknown-client", "no-client", "foreign-redirect", "longer-path", "added-query"],
)
async def test_untrusted_client_or_redirect_is_shown_never_redirected_rfc6749_4_1_2_1(
    browser: Browser, app_client: Registered, change: dict[str, Any], message: str
) -> None:
    params = {k: v for k, v in {**_params(app_client), **change}.items() if v is not None}
    r = await browser.authorize(**params)
    assert r.status_code == 400
    assert "location" not in r.headers
    assert message in r.text
    assert r.headers["content-type"].startswith("text/html")


async def test_duplicated_client_id_or_redirect_uri_is_shown(
    browser: Browser, app_client: Registered
) -> None:
    client_id = app_client.client.client_id
    query = f"response_type=code&client_id={client_id}&redirect_uri={CB}&redirect_uri={CB}"
    r = await browser.http.get(f"/oauth/authorize?{query}")
    assert r.status_code == 400
    assert "location" not in r.headers


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"response_type": None}, "invalid_request"),
        ({"response_type": "code device"}, "unsupported_response_type"),
        ({"response_type": "token"}, "unauthorized_client"),
        ({"scope": "admin"}, "invalid_scope"),
        ({"scope": "read\x7f"}, "invalid_scope"),
        ({"code_challenge": "short", "code_challenge_method": "S256"}, "invalid_request"),
        ({"code_challenge": "a" * 43, "code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "a" * 43, "code_challenge_method": "S512"}, "invalid_request"),
        ({"prompt": "none login"}, "invalid_request"),
    ],
    ids=[
        "no-response-type",
        "unsupported",
        "implicit-not-registered",
        "unknown-scope",
        "bad-scope-char",
        "short-challenge",
        "plain-pkce-off",
        "unknown-method",
        "contradictory-prompt",
    ],
)
async def test_errors_redirect_with_state_and_iss_rfc6749_4_1_2_1(
    browser: Browser, app_client: Registered, change: dict[str, Any], error: str
) -> None:
    params = {k: v for k, v in {**_params(app_client), **change}.items() if v is not None}
    r = await browser.authorize(**params)
    assert r.status_code == 302
    location = r.headers["location"]
    # §4.2.2.1: errors of an implicit request (response_type=token) go in the fragment.
    fragment = change.get("response_type") == "token"
    assert location.startswith(CB + ("#" if fragment else "?"))
    values = fragment_of(location) if fragment else query_of(location)
    assert values["error"] == error
    assert values["state"] == "xyz"
    assert values["iss"] == "http://testserver"
    assert values["error_description"]


async def test_duplicated_parameter_redirects_invalid_request(
    browser: Browser, app_client: Registered
) -> None:
    client_id = app_client.client.client_id
    query = f"response_type=code&client_id={client_id}&redirect_uri={CB}&scope=read&scope=write"
    r = await browser.http.get(f"/oauth/authorize?{query}")
    assert r.status_code == 302
    assert query_of(r.headers["location"])["error"] == "invalid_request"


async def test_redirect_uri_optional_when_one_is_registered_seed000(
    browser: Browser, app_client: Registered
) -> None:
    params = _params(app_client)
    del params["redirect_uri"]
    code = await browser.code_for(**params)
    # Not sent at authorization, so not needed at the token endpoint (§4.1.3).
    r = await browser.http.post(
        "/oauth/token",
        data={"grant_type": "authorization_code", "code": code},
        auth=(app_client.client.client_id, app_client.client_secret or ""),
    )
    assert r.status_code == 200, r.text


async def test_redirect_uri_required_when_client_has_several(
    browser: Browser, make: Factory
) -> None:
    reg = await make.client(grant_types=["authorization_code"], redirect_uris=[CB, CB + "2"])
    r = await browser.authorize(response_type="code", client_id=reg.client.client_id)
    assert r.status_code == 400
    assert "must say which one" in r.text


class TestRequiredRedirectUri:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"require_redirect_uri": True}

    async def test_setting_makes_redirect_uri_required_seed002(
        self, browser: Browser, app_client: Registered
    ) -> None:
        params = _params(app_client)
        del params["redirect_uri"]
        r = await browser.authorize(**params)
        assert r.status_code == 400
        assert "no redirect_uri" in r.text

    async def test_the_token_request_then_needs_it_too_rfc6749_4_1_3(
        self, http: httpx.AsyncClient, browser: Browser, app_client: Registered
    ) -> None:
        """Seed 002: "redirect_uri … Required when grant_type is authorization_code": a
        missing one is invalid_request, and the code stays unused."""
        code = await browser.code_for(**_params(app_client))
        r = await http.post(
            "/oauth/token",
            data={"grant_type": "authorization_code", "code": code},
            auth=(app_client.client.client_id, app_client.client_secret or ""),
        )
        assert r.status_code == 400
        assert r.json() == {
            "error": "invalid_request",
            "error_description": "missing required parameter 'redirect_uri'",
        }
        r = await _exchange(http, app_client, code)
        assert r.status_code == 200, r.text


class TestAliasesAndHostAndPath:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {
            "authorize_endpoint_aliases": ["/oauth/auth"],
            "redirect_uri_matching": "host_and_path",
        }

    async def test_alias_path_serves_the_endpoint_seed004(
        self, http: httpx.AsyncClient, app_client: Registered
    ) -> None:
        code = await Browser(http, "/oauth/auth").code_for(**_params(app_client))
        assert code

    async def test_query_may_differ_under_host_and_path_seed003(
        self, browser: Browser, app_client: Registered
    ) -> None:
        r = await browser.authorize(**_params(app_client, redirect_uri=CB + "?tab=2"))
        assert r.status_code == 303  # accepted: on to login
        r = await browser.authorize(
            **_params(app_client, redirect_uri="https://app.example.com/other")
        )
        assert r.status_code == 400


class TestRedboothProfile:
    """Seed 003: "Direct your user to [the endpoint] through either a POST or a GET
    request"; "For POST, include the parameters in the POST body"."""

    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"profile": "redbooth"}

    @pytest.mark.parametrize("method", ["GET", "POST"])
    async def test_get_or_post_at_the_profiles_paths_seed003(
        self, http: httpx.AsyncClient, app_client: Registered, method: str
    ) -> None:
        browser = Browser(http, "/oauth2/authorize")
        r = await browser.authorize(method, **_params(app_client, scope="read"))
        assert r.status_code == 303
        # Through sign-in the request goes on as a GET to the profile's path.
        assert r.headers["location"].startswith("/login?next=%2Foauth2%2Fauthorize%3F")
        code = await browser.code_for(method=method, **_params(app_client, scope="read"))
        assert app_client.client_secret
        token = await http.post(
            "/oauth2/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": CB},
            auth=(app_client.client.client_id, app_client.client_secret),
        )
        assert token.status_code == 200, token.text
        assert token.json()["expires_in"] == 7200

    async def test_a_post_takes_its_parameters_from_the_body_only(
        self, http: httpx.AsyncClient, app_client: Registered
    ) -> None:
        """Parameters in a POST's URL are not read: without a body's client_id the request
        names no client (an error page, never a redirect)."""
        query = urlencode(_params(app_client))
        r = await http.post(
            "/oauth2/authorize?" + query,
            content=b"",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert r.status_code == 400
        assert "no client_id" in r.text


async def test_loopback_redirect_matches_any_port_rfc8252_7_3(
    browser: Browser, make: Factory
) -> None:
    await make.user()
    reg = await make.client(
        grant_types=["authorization_code"], redirect_uris=["http://127.0.0.1/cb"], public=True
    )
    params = {
        "response_type": "code",
        "client_id": reg.client.client_id,
        "redirect_uri": "http://127.0.0.1:51234/cb",
        "code_challenge": s256(VERIFIER),
        "code_challenge_method": "S256",
    }
    code = await browser.code_for(**params)
    r = await browser.http.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": reg.client.client_id,
            "redirect_uri": "http://127.0.0.1:51234/cb",
            "code_verifier": VERIFIER,
        },
    )
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    "requested",
    [
        "http://evil.com@127.0.0.1:9000/cb",
        "http://127.0.0.1:9000/cb#x",
        "http://127.0.0.1:abc/cb",
        "http://127.0.0.1:9000:9001/cb",
        "http://127.0.0.1:9000/c\tb",
    ],
    ids=["userinfo", "fragment", "non-numeric-port", "doubled-port", "tab"],
)
async def test_loopback_redirect_is_parsed_strictly_rfc8252_7_3(
    browser: Browser, make: Factory, requested: str
) -> None:
    """Only the port of a loopback redirect may vary; anything registration refuses is
    refused in a request too, and shown, never redirected to."""
    reg = await make.client(
        grant_types=["authorization_code"], redirect_uris=["http://127.0.0.1/cb"], public=True
    )
    r = await browser.authorize(
        response_type="code", client_id=reg.client.client_id, redirect_uri=requested
    )
    assert r.status_code == 400
    assert "location" not in r.headers
    assert "does not match" in r.text


async def test_public_client_must_use_pkce_rfc9700_2_1_1(browser: Browser, make: Factory) -> None:
    reg = await make.client(grant_types=["authorization_code"], redirect_uris=[CB], public=True)
    r = await browser.authorize(response_type="code", client_id=reg.client.client_id, state="s")
    assert query_of(r.headers["location"])["error"] == "invalid_request"


# --- login and consent pages ---------------------------------------------------------------


async def test_deny_redirects_access_denied_with_state(
    browser: Browser, app_client: Registered
) -> None:
    await browser.login()
    consent = await browser.authorize(**_params(app_client))
    r = await browser.decide(consent, "deny")
    values = query_of(r.headers["location"])
    assert values["error"] == "access_denied"
    assert values["state"] == "xyz"
    assert "code" not in values


async def test_consent_is_remembered_and_prompt_consent_forces_it(
    browser: Browser, app_client: Registered
) -> None:
    await browser.login()
    await browser.code_for(**_params(app_client, scope="read"))
    again = await browser.authorize(**_params(app_client, scope="read"))
    assert again.status_code == 302  # straight back with a code, no page
    assert "code" in query_of(again.headers["location"])
    forced = await browser.authorize(**_params(app_client, scope="read", prompt="consent"))
    assert forced.status_code == 200
    wider = await browser.authorize(**_params(app_client, scope="read write"))
    assert wider.status_code == 200  # new scope: ask again


async def test_prompt_none_without_session_is_login_required(
    browser: Browser, app_client: Registered
) -> None:
    r = await browser.authorize(**_params(app_client, prompt="none"))
    assert query_of(r.headers["location"])["error"] == "login_required"
    await browser.login()
    r = await browser.authorize(**_params(app_client, prompt="none"))
    assert query_of(r.headers["location"])["error"] == "consent_required"


async def test_consent_cannot_be_given_by_get(browser: Browser, app_client: Registered) -> None:
    await browser.login()
    r = await browser.http.get(
        "/oauth/authorize/decision", params={**_params(app_client), "decision": "allow"}
    )
    assert r.status_code == 405


async def test_consent_needs_the_session_bound_csrf_token(
    browser: Browser, app_client: Registered
) -> None:
    await browser.login()
    consent = await browser.authorize(**_params(app_client))
    form = hidden_inputs(consent.text.split("</form>")[0])
    for bad in ("", "0" * 64):
        r = await browser.http.post(
            "/oauth/authorize/decision", data={**form, "csrf_token": bad, "decision": "allow"}
        )
        assert r.status_code == 403
        assert "location" not in r.headers


async def test_pages_carry_security_headers(browser: Browser) -> None:
    r = await browser.http.get("/login")
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert 'for="email"' in r.text and 'for="password"' in r.text  # accessible labels
    css = await browser.http.get("/static/authgate.css")
    assert css.status_code == 200


class TestEmbedding:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"frame_ancestors": ["https://space.example.com"], "platform_name": "Cobot"}

    async def test_listed_origin_may_embed_the_flow_seed000(self, browser: Browser) -> None:
        r = await browser.http.get("/login")
        assert "frame-ancestors https://space.example.com" in r.headers["content-security-policy"]
        assert "x-frame-options" not in r.headers
        assert "Cobot" in r.text


async def test_session_cookie_flags_and_logout(browser: Browser, make: Factory) -> None:
    await make.user()
    r = await browser.login()
    cookie = r.headers["set-cookie"]
    assert "authgate_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    home = await browser.http.get("/")
    assert "alice@example.com" in home.text
    out = await browser.http.post("/logout", data=hidden_inputs(home.text))
    assert out.status_code == 303
    assert (await browser.http.get("/")).status_code == 303


async def test_wrong_password_and_open_redirect_next(browser: Browser, make: Factory) -> None:
    await make.user()
    r = await browser.login(password="wrong")
    assert r.status_code == 400
    assert "The e-mail address or password is not correct." in r.text
    r = await browser.login(next_path="//evil.example/x")
    assert r.headers["location"] == "/"


async def test_login_csrf_is_required(browser: Browser, make: Factory) -> None:
    await make.user()
    r = await browser.http.post(
        "/login",
        data={"email": "alice@example.com", "password": "correct horse", "csrf_token": "x"},
    )
    assert r.status_code == 400
    assert "expired" in r.text


class TestLoginThrottle:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"password_max_failures": 2, "login_max_failures_per_address": 100}

    async def test_repeated_failures_per_account_are_throttled(
        self, browser: Browser, make: Factory
    ) -> None:
        await make.user()
        for _ in range(2):
            await browser.login(password="wrong")
        r = await browser.login()
        assert r.status_code == 429
        assert "Too many failed sign-in attempts" in r.text
        assert int(r.headers["retry-after"]) > 0


class TestAddressThrottle:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"password_max_failures": 100, "login_max_failures_per_address": 3}

    async def test_repeated_failures_per_address_are_throttled(
        self, browser: Browser, make: Factory
    ) -> None:
        await make.user()
        for i in range(3):
            await browser.login(email=f"x{i}@example.com", password="wrong")
        r = await browser.login()
        assert r.status_code == 429


# --- §4.1.3 the token request --------------------------------------------------------------


async def test_code_reuse_revokes_issued_tokens_rfc6749_4_1_2(
    browser: Browser, app_client: Registered
) -> None:
    code = await browser.code_for(**_params(app_client))
    first = (await _exchange(browser.http, app_client, code)).json()
    again = await _exchange(browser.http, app_client, code)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    me = await browser.http.get(
        "/api/me", headers={"Authorization": f"Bearer {first['access_token']}"}
    )
    assert me.status_code == 401
    r = await browser.http.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        auth=(app_client.client.client_id, app_client.client_secret or ""),
    )
    assert r.json()["error"] == "invalid_grant"


async def test_replay_failing_client_auth_revokes_nothing(
    browser: Browser, app_client: Registered
) -> None:
    code = await browser.code_for(**_params(app_client))
    first = (await _exchange(browser.http, app_client, code)).json()
    r = await browser.http.post(
        "/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": CB},
        auth=(app_client.client.client_id, "wrong"),
    )
    assert r.status_code == 401
    me = await browser.http.get(
        "/api/me", headers={"Authorization": f"Bearer {first['access_token']}"}
    )
    assert me.status_code == 200


async def test_concurrent_redemptions_exactly_one_succeeds(
    browser: Browser, app_client: Registered
) -> None:
    code = await browser.code_for(**_params(app_client))
    results = await asyncio.gather(*(_exchange(browser.http, app_client, code) for _ in range(4)))
    assert sorted(r.status_code for r in results) == [200, 400, 400, 400]


@pytest.mark.parametrize(
    "extra",
    [{"redirect_uri": CB + "x"}, {"redirect_uri": ""}],
    ids=["different", "missing"],
)
async def test_redirect_uri_must_equal_the_authorization_one_rfc6749_4_1_3(
    browser: Browser, app_client: Registered, extra: dict[str, str]
) -> None:
    code = await browser.code_for(**_params(app_client))
    r = await _exchange(browser.http, app_client, code, **extra)
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_grant"


async def test_pkce_s256_verifier_must_match_rfc7636_4_6(
    browser: Browser, app_client: Registered
) -> None:
    params = _params(app_client, code_challenge=s256(VERIFIER), code_challenge_method="S256")
    for bad in ({}, {"code_verifier": "w" * 43}, {"code_verifier": "short"}):
        code = await browser.code_for(**params)
        r = await _exchange(browser.http, app_client, code, **bad)
        assert r.json()["error"] == "invalid_grant", bad
    code = await browser.code_for(**params)
    r = await _exchange(browser.http, app_client, code, code_verifier=VERIFIER)
    assert r.status_code == 200, r.text


async def test_verifier_for_code_without_challenge_is_rejected_rfc9700_2_1_1(
    browser: Browser, app_client: Registered
) -> None:
    code = await browser.code_for(**_params(app_client))
    r = await _exchange(browser.http, app_client, code, code_verifier=VERIFIER)
    assert r.json()["error"] == "invalid_grant"


class TestPlainPkce:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"allow_plain_pkce": True}

    async def test_plain_when_enabled(self, browser: Browser, app_client: Registered) -> None:
        code = await browser.code_for(
            **_params(app_client, code_challenge=VERIFIER, code_challenge_method="plain")
        )
        r = await _exchange(browser.http, app_client, code, code_verifier=VERIFIER)
        assert r.status_code == 200, r.text


async def test_code_expires_after_ten_minutes(
    browser: Browser, app_client: Registered, clock: Clock
) -> None:
    code = await browser.code_for(**_params(app_client))
    clock.advance(600)
    r = await _exchange(browser.http, app_client, code)
    assert r.json()["error"] == "invalid_grant"


async def test_code_of_another_client_is_invalid_grant(
    browser: Browser, app_client: Registered, make: Factory
) -> None:
    code = await browser.code_for(**_params(app_client))
    other = await make.client(name="Other", grant_types=["authorization_code"], redirect_uris=[CB])
    r = await _exchange(browser.http, other, code)
    unknown = await _exchange(browser.http, other, "999." + "A" * 43)
    assert r.json() == unknown.json()  # does not confirm that the code exists
    assert r.json()["error"] == "invalid_grant"
    assert (await _exchange(browser.http, app_client, code)).status_code == 200


# --- §4.2 implicit ---------------------------------------------------------------------------


async def test_implicit_token_in_fragment_without_refresh_rfc6749_4_2_2(
    browser: Browser, make: Factory
) -> None:
    await make.user()
    reg = await make.client(
        grant_types=["implicit"], redirect_uris=[CB], public=True, scopes=["read"]
    )
    await browser.login()
    consent = await browser.authorize(
        response_type="token", client_id=reg.client.client_id, state="st"
    )
    r = await browser.decide(consent)
    location = r.headers["location"]
    assert "?" not in location.split("#")[0].removeprefix(CB)
    values = fragment_of(location)
    assert values["token_type"] == "Bearer"
    assert values["state"] == "st"
    assert values["expires_in"] == "3600"
    assert "refresh_token" not in values
    me = await browser.http.get(
        "/api/me", headers={"Authorization": f"Bearer {values['access_token']}"}
    )
    assert me.status_code == 200


async def test_implicit_errors_go_in_the_fragment(browser: Browser, make: Factory) -> None:
    reg = await make.client(
        grant_types=["implicit"], redirect_uris=[CB], public=True, scopes=["read"]
    )
    r = await browser.authorize(
        response_type="token", client_id=reg.client.client_id, scope="write", state="s"
    )
    assert fragment_of(r.headers["location"])["error"] == "invalid_scope"
