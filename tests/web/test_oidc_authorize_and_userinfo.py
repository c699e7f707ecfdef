"""OpenID Connect at the authorization endpoint (Core §3.1.2.1 prompt, max_age,
login_hint, id_token_hint; §3.2 implicit and §3.3 hybrid id tokens) and the UserInfo
endpoint (§5.3), plus the discovery document (Discovery §3, RFC 8414)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from authgate.domain import User
from authgate.protocol.registration import Registered
from authgate.services import Services
from tests.conftest import Clock, Factory
from tests.web.flow import Browser, fragment_of, query_of
from tests.web.oidc_support import CB, left_half_hash, space_with_member, verify_id_token

ISSUER = "http://testserver"


@pytest.fixture
async def rp(make: Factory, alice: User) -> Registered:
    return await make.client(
        grant_types=["authorization_code", "implicit", "refresh_token"],
        redirect_uris=[CB],
        scopes=["read"],
    )


def _auth(rp: Registered, **extra: str) -> dict[str, str]:
    return {
        "client_id": rp.client.client_id,
        "redirect_uri": CB,
        "scope": "openid",
        "state": "s1",
        "response_type": "code",
        **extra,
    }


async def _approved(browser: Browser, params: dict[str, str]) -> str:
    """Sign in if needed, allow, and return the redirect location."""
    r = await browser.authorize(**params)
    if r.status_code == 303 and "/login" in r.headers["location"]:
        await browser.login()
        r = await browser.authorize(**params)
    if r.status_code == 200:
        r = await browser.decide(r)
    assert r.status_code in (302, 303), r.text
    location: str = r.headers["location"]
    return location


class TestImplicitAndHybrid:
    async def test_id_token_response_type_needs_a_nonce_core_3_2_2_1(
        self, browser: Browser, rp: Registered
    ) -> None:
        r = await browser.authorize(**_auth(rp, response_type="id_token"))
        values = fragment_of(r.headers["location"])
        assert values["error"] == "invalid_request" and "nonce" in values["error_description"]

    async def test_id_token_response_type_needs_openid(
        self, browser: Browser, rp: Registered
    ) -> None:
        r = await browser.authorize(**_auth(rp, response_type="id_token", nonce="n", scope="read"))
        assert fragment_of(r.headers["location"])["error"] == "invalid_request"

    async def test_id_token_alone_goes_in_the_fragment(
        self, browser: Browser, rp: Registered, alice: User
    ) -> None:
        location = await _approved(browser, _auth(rp, response_type="id_token", nonce="n1"))
        values = fragment_of(location)
        assert set(values) == {"id_token", "state", "iss"}
        claims = await verify_id_token(
            browser.http, values["id_token"], issuer=ISSUER, client_id=rp.client.client_id
        )
        assert claims["nonce"] == "n1" and claims["sub"] == alice.subject
        assert "at_hash" not in claims and "c_hash" not in claims

    async def test_token_id_token_carries_at_hash_core_3_2_2_10(
        self, browser: Browser, rp: Registered
    ) -> None:
        location = await _approved(browser, _auth(rp, response_type="token id_token", nonce="n"))
        values = fragment_of(location)
        claims = await verify_id_token(
            browser.http, values["id_token"], issuer=ISSUER, client_id=rp.client.client_id
        )
        assert claims["at_hash"] == left_half_hash(values["access_token"])

    async def test_hybrid_code_id_token_carries_c_hash_core_3_3_2_11(
        self, browser: Browser, rp: Registered
    ) -> None:
        location = await _approved(browser, _auth(rp, response_type="code id_token", nonce="n"))
        values = fragment_of(location)
        claims = await verify_id_token(
            browser.http, values["id_token"], issuer=ISSUER, client_id=rp.client.client_id
        )
        assert claims["c_hash"] == left_half_hash(values["code"])
        assert rp.client_secret
        r = await browser.http.post(
            "/oauth/token",
            data={"grant_type": "authorization_code", "code": values["code"], "redirect_uri": CB},
            auth=(rp.client.client_id, rp.client_secret),
        )
        again = await verify_id_token(
            browser.http, r.json()["id_token"], issuer=ISSUER, client_id=rp.client.client_id
        )
        assert again["nonce"] == "n" and again["sub"] == claims["sub"]

    async def test_query_mode_is_refused_for_id_tokens(
        self, browser: Browser, rp: Registered
    ) -> None:
        r = await browser.authorize(
            **_auth(rp, response_type="id_token", nonce="n", response_mode="query")
        )
        assert fragment_of(r.headers["location"])["error"] == "invalid_request"

    async def test_a_client_without_implicit_cannot_ask_for_id_token(
        self, browser: Browser, make: Factory
    ) -> None:
        reg = await make.client(grant_types=["authorization_code"], redirect_uris=[CB])
        r = await browser.authorize(**_auth(reg, response_type="id_token", nonce="n"))
        assert fragment_of(r.headers["location"])["error"] == "unauthorized_client"


class TestPromptAndHints:
    async def test_prompt_none_without_a_session_is_login_required(
        self, browser: Browser, rp: Registered
    ) -> None:
        r = await browser.authorize(**_auth(rp, prompt="none"))
        values = query_of(r.headers["location"])
        assert values["error"] == "login_required" and values["iss"] == ISSUER

    async def test_prompt_none_without_consent_is_consent_required(
        self, browser: Browser, rp: Registered
    ) -> None:
        await browser.login()
        r = await browser.authorize(**_auth(rp, prompt="none"))
        assert query_of(r.headers["location"])["error"] == "consent_required"

    async def test_max_age_asks_for_a_fresh_sign_in_core_3_1_2_1(
        self, browser: Browser, rp: Registered, clock: Clock
    ) -> None:
        await _approved(browser, _auth(rp))
        clock.advance(100)
        r = await browser.authorize(**_auth(rp, max_age="60"))
        assert r.status_code == 303 and "/login" in r.headers["location"]
        r = await browser.authorize(**_auth(rp, max_age="60", prompt="none"))
        assert query_of(r.headers["location"])["error"] == "login_required"
        location = await _approved(browser, _auth(rp, max_age="600"))
        assert "code" in query_of(location)

    @pytest.mark.parametrize("value", ["-1", "1.5", "abc", "٣", "9" * 20])
    async def test_a_bad_max_age_is_invalid_request(
        self, browser: Browser, rp: Registered, value: str
    ) -> None:
        r = await browser.authorize(**_auth(rp, max_age=value))
        assert query_of(r.headers["location"])["error"] == "invalid_request"

    async def test_auth_time_is_the_sign_in_time(
        self, browser: Browser, rp: Registered, clock: Clock
    ) -> None:
        await browser.login()
        signed_in = int(clock.now)
        clock.advance(50)
        code = query_of(await _approved(browser, _auth(rp)))["code"]
        assert rp.client_secret
        r = await browser.http.post(
            "/oauth/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": CB},
            auth=(rp.client.client_id, rp.client_secret),
        )
        claims = await verify_id_token(
            browser.http, r.json()["id_token"], issuer=ISSUER, client_id=rp.client.client_id
        )
        assert claims["auth_time"] == signed_in and claims["iat"] == signed_in + 50

    async def test_login_hint_fills_in_the_e_mail(self, browser: Browser, rp: Registered) -> None:
        r = await browser.authorize(**_auth(rp, login_hint="alice@example.com"))
        page = await browser.http.get(r.headers["location"])
        assert 'value="alice@example.com"' in page.text

    async def test_id_token_hint_for_another_user_with_prompt_none_is_login_required(
        self, browser: Browser, rp: Registered, make: Factory
    ) -> None:
        location = await _approved(browser, _auth(rp, response_type="id_token", nonce="n"))
        hint = fragment_of(location)["id_token"]
        ok = await browser.authorize(
            **_auth(rp, response_type="id_token", nonce="m", prompt="none", id_token_hint=hint)
        )
        assert "id_token" in fragment_of(ok.headers["location"])
        await make.user("bob@example.com")
        await browser.http.post("/logout")  # the confirmation page; sign in as bob instead
        browser.http.cookies.clear()
        await browser.login("bob@example.com")
        r = await browser.authorize(**_auth(rp, prompt="none", id_token_hint=hint))
        assert query_of(r.headers["location"])["error"] == "login_required"

    async def test_an_id_token_hint_not_issued_here_is_invalid_request(
        self, browser: Browser, rp: Registered
    ) -> None:
        forged = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."
        r = await browser.authorize(**_auth(rp, id_token_hint=forged))
        assert query_of(r.headers["location"])["error"] == "invalid_request"


class TestUserInfo:
    async def _token(self, browser: Browser, rp: Registered, scope: str, prefix: str = "") -> str:
        browser.prefix = prefix
        browser.authorize_path = prefix + "/oauth/authorize"
        code = query_of(await _approved(browser, _auth(rp, scope=scope)))["code"]
        assert rp.client_secret
        r = await browser.http.post(
            prefix + "/oauth/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": CB},
            auth=(rp.client.client_id, rp.client_secret),
        )
        token: str = r.json()["access_token"]
        return token

    @pytest.mark.parametrize("method", ["GET", "POST"])
    async def test_userinfo_returns_the_claims_of_the_scopes_core_5_3(
        self, browser: Browser, rp: Registered, alice: User, method: str
    ) -> None:
        token = await self._token(browser, rp, "openid email")
        r = await browser.http.request(
            method, "/oauth/userinfo", headers={"Authorization": f"Bearer {token}"}
        )
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
        assert r.json() == {"sub": alice.subject, "email": alice.email, "email_verified": False}

    async def test_userinfo_needs_the_openid_scope(self, browser: Browser, rp: Registered) -> None:
        token = await self._token(browser, rp, "read")
        r = await browser.http.get("/oauth/userinfo", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 403
        assert 'error="insufficient_scope"' in r.headers["www-authenticate"]

    async def test_userinfo_without_a_token_is_a_bearer_challenge_rfc6750_3(
        self, http: httpx.AsyncClient
    ) -> None:
        r = await http.get("/oauth/userinfo")
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer ")
        r = await http.get("/oauth/userinfo", headers={"Authorization": "Bearer 1.x"})
        assert r.status_code == 401 and 'error="invalid_token"' in r.headers["www-authenticate"]

    async def test_a_space_token_is_not_accepted_by_another_issuer(
        self, browser: Browser, rp: Registered, alice: User, services: Services
    ) -> None:
        await space_with_member(services, alice.id)
        token = await self._token(browser, rp, "openid profile", prefix="/spaces/acme")
        auth = {"Authorization": f"Bearer {token}"}
        r = await browser.http.get("/spaces/acme/oauth/userinfo", headers=auth)
        assert r.json() == {
            "sub": alice.subject,
            "name": "Alice at Acme",
            "picture": "https://img.example.com/alice.png",
        }
        r = await browser.http.get("/oauth/userinfo", headers=auth)
        assert r.status_code == 401


class TestDiscovery:
    async def test_root_provider_metadata_discovery_3(
        self, http: httpx.AsyncClient, services: Services
    ) -> None:
        r = await http.get("/.well-known/openid-configuration")
        doc: dict[str, Any] = r.json()
        assert r.headers["cache-control"].startswith("public")
        assert doc["issuer"] == ISSUER
        for name in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
            assert doc[name].startswith(ISSUER + "/")
        assert {"openid", "profile", "email", "phone", "read", "write"} <= set(
            doc["scopes_supported"]
        )
        assert {"code", "id_token", "id_token token", "code id_token"} <= set(
            doc["response_types_supported"]
        )
        assert doc["subject_types_supported"] == ["public"]
        assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
        assert doc["code_challenge_methods_supported"] == ["S256"]
        assert doc["authorization_response_iss_parameter_supported"] is True
        assert doc["request_uri_parameter_supported"] is False
        assert set(doc["grant_types_supported"]) >= {"authorization_code", "refresh_token"}
        assert "sub" in doc["claims_supported"]
        assert (await http.get("/.well-known/oauth-authorization-server")).json() == doc
        again = await http.get(
            "/.well-known/openid-configuration", headers={"If-None-Match": r.headers["etag"]}
        )
        assert again.status_code == 304

    async def test_metadata_lists_the_algorithms_of_published_keys(
        self, http: httpx.AsyncClient, services: Services
    ) -> None:
        await services.keys.rotate("ES256")
        doc = (await http.get("/.well-known/openid-configuration")).json()
        assert doc["id_token_signing_alg_values_supported"] == ["ES256", "RS256"]
