"""Spaces as issuers (seed 001): on a path, on a subdomain of ``base_domain`` and on a
custom domain, each with its own discovery, sessions, codes and id token claims; and any
other Host refused (Host-header injection)."""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from authgate.domain import User
from authgate.protocol.registration import Registered
from authgate.services import Services
from authgate.web.pages.cookies import SESSION
from tests.conftest import Factory
from tests.web.flow import Browser, query_of
from tests.web.oidc_support import CB, space_with_member, verify_id_token

ROOT = "http://testserver"


@pytest.fixture
async def rp(make: Factory, alice: User) -> Registered:
    return await make.client(
        grant_types=["authorization_code", "refresh_token"], redirect_uris=[CB], scopes=["read"]
    )


def _auth(rp: Registered, **extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": rp.client.client_id,
        "redirect_uri": CB,
        "scope": "openid profile phone",
        "state": "s1",
        **extra,
    }


async def _exchange(http: httpx.AsyncClient, url: str, rp: Registered, code: str) -> httpx.Response:
    assert rp.client_secret
    return await http.post(
        url,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": CB},
        auth=(rp.client.client_id, rp.client_secret),
    )


class TestPathIssuer:
    async def test_discovery_names_the_space_issuer_and_its_endpoints(
        self, http: httpx.AsyncClient, services: Services, alice: User
    ) -> None:
        await space_with_member(services, alice.id)
        doc = (await http.get("/spaces/acme/.well-known/openid-configuration")).json()
        issuer = ROOT + "/spaces/acme"
        assert doc["issuer"] == issuer
        assert doc["authorization_endpoint"] == issuer + "/oauth/authorize"
        assert doc["token_endpoint"] == issuer + "/oauth/token"
        assert doc["userinfo_endpoint"] == issuer + "/oauth/userinfo"
        assert doc["jwks_uri"] == issuer + "/.well-known/jwks.json"
        # RFC 8414 §3.1: the well-known segment goes before the issuer's path.
        rfc8414 = (await http.get("/.well-known/oauth-authorization-server/spaces/acme")).json()
        assert rfc8414 == doc
        assert (await http.get(issuer + "/.well-known/jwks.json")).status_code == 200

    async def test_unknown_space_is_refused(self, http: httpx.AsyncClient) -> None:
        r = await http.get("/spaces/nope/.well-known/openid-configuration")
        assert r.status_code == 400
        assert (await http.get("/spaces/ACME%20x/oauth/authorize")).status_code == 400

    async def test_code_flow_through_a_space_carries_the_membership_claims(
        self, http: httpx.AsyncClient, services: Services, alice: User, rp: Registered
    ) -> None:
        await space_with_member(services, alice.id)
        browser = Browser(http, prefix="/spaces/acme")
        code = await browser.code_for(**_auth(rp))
        r = await _exchange(http, "/spaces/acme/oauth/token", rp, code)
        assert r.status_code == 200, r.text
        claims = await verify_id_token(
            http, r.json()["id_token"], issuer=ROOT + "/spaces/acme", client_id=rp.client.client_id
        )
        assert claims["sub"] == alice.subject
        assert claims["name"] == "Alice at Acme"
        assert claims["picture"] == "https://img.example.com/alice.png"
        assert claims["phone_number"] == "+49 30 1234567"

    async def test_redirect_iss_is_the_space_issuer_rfc9207(
        self, http: httpx.AsyncClient, services: Services, alice: User, rp: Registered
    ) -> None:
        await space_with_member(services, alice.id)
        browser = Browser(http, prefix="/spaces/acme")
        await browser.login()
        r = await browser.authorize(**_auth(rp))
        r = await browser.decide(r)
        assert query_of(r.headers["location"])["iss"] == ROOT + "/spaces/acme"

    async def test_a_code_from_one_issuer_is_invalid_grant_at_another(
        self, http: httpx.AsyncClient, services: Services, alice: User, rp: Registered
    ) -> None:
        await space_with_member(services, alice.id)
        await space_with_member(services, alice.id, slug="other")
        code = await Browser(http, prefix="/spaces/acme").code_for(**_auth(rp))
        for url in ("/oauth/token", "/spaces/other/oauth/token"):
            r = await _exchange(http, url, rp, code)
            assert r.status_code == 400 and r.json()["error"] == "invalid_grant", url
        assert (await _exchange(http, "/spaces/acme/oauth/token", rp, code)).status_code == 200

    async def test_a_refresh_token_from_one_issuer_is_invalid_grant_at_another(
        self, http: httpx.AsyncClient, services: Services, alice: User, rp: Registered
    ) -> None:
        await space_with_member(services, alice.id)
        code = await Browser(http, prefix="/spaces/acme").code_for(**_auth(rp))
        refresh = (await _exchange(http, "/spaces/acme/oauth/token", rp, code)).json()[
            "refresh_token"
        ]
        assert rp.client_secret
        data = {"grant_type": "refresh_token", "refresh_token": refresh}
        auth = (rp.client.client_id, rp.client_secret)
        r = await http.post("/oauth/token", data=data, auth=auth)
        assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
        r = await http.post("/spaces/acme/oauth/token", data=data, auth=auth)
        assert r.status_code == 200
        claims = await verify_id_token(
            http, r.json()["id_token"], issuer=ROOT + "/spaces/acme", client_id=rp.client.client_id
        )
        assert claims["name"] == "Alice at Acme"

    async def test_sessions_belong_to_their_issuer(
        self, http: httpx.AsyncClient, services: Services, alice: User, rp: Registered
    ) -> None:
        await space_with_member(services, alice.id)
        await Browser(http).login()  # signed in at the root issuer only
        r = await http.get("/spaces/acme/oauth/authorize", params=_auth(rp))
        assert r.status_code == 303
        assert r.headers["location"].startswith("/spaces/acme/login?")
        page = await http.get(r.headers["location"])
        assert "Sign in to Acme" in page.text
        assert 'action="/spaces/acme/login"' in page.text

    async def test_a_non_member_is_told_why_and_can_go_back_with_access_denied(
        self, http: httpx.AsyncClient, services: Services, alice: User, rp: Registered
    ) -> None:
        await space_with_member(services, None)  # alice is not a member
        browser = Browser(http, prefix="/spaces/acme")
        await browser.login()
        r = await browser.authorize(**_auth(rp))
        assert r.status_code == 403
        assert "You are not a member of" in r.text and "Acme" in r.text
        link = re.search(r'<a class="button secondary" href="([^"]+)"', r.text)
        assert link is not None
        back = query_of(html.unescape(link[1]))
        assert back["error"] == "access_denied" and back["state"] == "s1"
        r = await browser.authorize(**_auth(rp, prompt="none"))
        assert query_of(r.headers["location"])["error"] == "access_denied"


class TestHostIssuers:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"base_domain": "example.test"}

    async def test_a_subdomain_is_its_space_issuer(
        self, http: httpx.AsyncClient, services: Services, alice: User, rp: Registered
    ) -> None:
        await space_with_member(services, alice.id)
        issuer = "http://acme.example.test"
        doc = (await http.get(issuer + "/.well-known/openid-configuration")).json()
        assert doc["issuer"] == issuer and doc["token_endpoint"] == issuer + "/oauth/token"
        sub = httpx.AsyncClient(transport=http._transport, base_url=issuer)
        code = await Browser(sub).code_for(**_auth(rp))
        r = await _exchange(sub, "/oauth/token", rp, code)
        claims = await verify_id_token(
            sub, r.json()["id_token"], issuer=issuer, client_id=rp.client.client_id
        )
        assert claims["phone_number"] == "+49 30 1234567"
        # The root issuer still answers on its own host.
        assert (await http.get("/.well-known/openid-configuration")).json()["issuer"] == ROOT

    async def test_a_custom_domain_is_its_space_issuer(
        self, http: httpx.AsyncClient, services: Services, alice: User
    ) -> None:
        await space_with_member(services, alice.id, domains=("login.acme.test",))
        doc = (await http.get("http://login.acme.test/.well-known/openid-configuration")).json()
        assert doc["issuer"] == "http://login.acme.test"

    @pytest.mark.parametrize(
        "host",
        ["evil.test", "nope.example.test", "a.b.example.test", "example.test", "testserver:81", ""],
    )
    async def test_any_other_host_is_a_plain_400(self, http: httpx.AsyncClient, host: str) -> None:
        for path in ("/.well-known/openid-configuration", "/oauth/token", "/login", "/api/me"):
            r = await http.get(path, headers={"Host": host})
            assert r.status_code == 400, (host, path)
            assert r.headers["content-type"].startswith("text/plain")
            assert host not in r.text or not host


async def test_the_default_port_names_the_same_host_rfc9110_4_2(http: httpx.AsyncClient) -> None:
    r = await http.get("/.well-known/openid-configuration", headers={"Host": "testserver:80"})
    assert r.status_code == 200 and r.json()["issuer"] == ROOT


class TestMembership:
    async def test_consent_in_one_space_is_not_consent_in_another(
        self, http: httpx.AsyncClient, services: Services, alice: User, rp: Registered
    ) -> None:
        await space_with_member(services, alice.id)
        await space_with_member(services, alice.id, slug="other")
        await Browser(http, prefix="/spaces/acme").code_for(**_auth(rp))
        other = Browser(http, prefix="/spaces/other")
        await other.login()
        r = await other.authorize(**_auth(rp))
        assert r.status_code == 200 and "wants to access your account" in r.text
        again = await Browser(http, prefix="/spaces/acme").authorize(**_auth(rp))
        assert again.status_code == 302  # remembered where it was given

    async def test_the_password_grant_at_a_space_is_for_its_members(
        self, http: httpx.AsyncClient, services: Services, alice: User, make: Factory
    ) -> None:
        reg = await make.client(grant_types=["password"])
        await space_with_member(services, None)
        assert reg.client_secret
        data = {"grant_type": "password", "username": alice.email, "password": "correct horse"}
        auth = (reg.client.client_id, reg.client_secret)
        r = await http.post("/spaces/acme/oauth/token", data=data, auth=auth)
        assert r.status_code == 400 and "not a member" in r.json()["error_description"]
        assert (await http.post("/oauth/token", data=data, auth=auth)).status_code == 200

    async def test_a_removed_member_can_no_longer_refresh(
        self, http: httpx.AsyncClient, services: Services, alice: User, rp: Registered
    ) -> None:
        space = await space_with_member(services, alice.id)
        code = await Browser(http, prefix="/spaces/acme").code_for(**_auth(rp))
        body = (await _exchange(http, "/spaces/acme/oauth/token", rp, code)).json()
        assert await services.spaces.remove_member(space.id, alice.id)
        assert not await services.spaces.remove_member(space.id, alice.id)
        assert rp.client_secret
        r = await http.post(
            "/spaces/acme/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]},
            auth=(rp.client.client_id, rp.client_secret),
        )
        assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
        userinfo = await http.get(
            "/spaces/acme/oauth/userinfo",
            headers={"Authorization": f"Bearer {body['access_token']}"},
        )
        assert userinfo.status_code == 401


class TestSessionsOnASpaceHost:
    """Seed 000: OAuth "happens on the space's subdomain or custom domain", so that people
    already signed in there are not asked again; a session counts on its own host only."""

    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"base_domain": "example.test"}

    @pytest.fixture
    async def hosts(self, app: Starlette) -> AsyncIterator[dict[str, Browser]]:
        """A browser (with its own cookies) per host: acme's subdomain and custom domain,
        and another space's subdomain."""
        transport = httpx.ASGITransport(app=app)
        urls = {
            "subdomain": "http://acme.example.test",
            "custom": "http://login.acme.test",
            "other": "http://other.example.test",
        }
        async with contextlib.AsyncExitStack() as stack:
            clients = {
                name: await stack.enter_async_context(
                    httpx.AsyncClient(transport=transport, base_url=url)
                )
                for name, url in urls.items()
            }
            yield {name: Browser(client) for name, client in clients.items()}

    @pytest.fixture
    async def spaces(self, services: Services, alice: User) -> None:
        await space_with_member(services, alice.id, domains=("login.acme.test",))
        await space_with_member(services, alice.id, slug="other")

    @pytest.mark.parametrize("host", ["subdomain", "custom"])
    async def test_signed_in_on_the_host_the_next_request_skips_sign_in(
        self, hosts: dict[str, Browser], spaces: None, rp: Registered, host: str
    ) -> None:
        browser = hosts[host]
        signed_in = await browser.login()
        assert signed_in.status_code == 303
        r = await browser.authorize(**_auth(rp))
        assert r.status_code == 200 and "wants to access your account" in r.text  # consent
        r = await browser.decide(r)
        assert r.status_code == 303 and "code" in query_of(r.headers["location"])
        # Consent is remembered as at the root issuer: the next request goes straight back.
        r = await browser.authorize(**_auth(rp, state="s2"))
        assert r.status_code == 302, r.text
        values = query_of(r.headers["location"])
        assert values["state"] == "s2" and "code" in values
        assert values["iss"] == str(browser.http.base_url).rstrip("/")

    async def test_a_session_of_one_space_host_is_not_one_on_another_spaces_host(
        self, hosts: dict[str, Browser], spaces: None, rp: Registered
    ) -> None:
        for host in ("subdomain", "custom"):
            signed_in = await hosts[host].login()
            cookie = signed_in.cookies[SESSION]
            other = hosts["other"].http
            r = await other.get(
                "/oauth/authorize", params=_auth(rp), headers={"Cookie": f"{SESSION}={cookie}"}
            )
            assert r.status_code == 303, host
            assert r.headers["location"].startswith("/login?"), host

    async def test_a_session_of_the_root_host_is_not_one_on_a_space_host(
        self, http: httpx.AsyncClient, hosts: dict[str, Browser], spaces: None, rp: Registered
    ) -> None:
        cookie = (await Browser(http).login()).cookies[SESSION]
        for host in ("subdomain", "custom"):
            r = await hosts[host].http.get(
                "/oauth/authorize", params=_auth(rp), headers={"Cookie": f"{SESSION}={cookie}"}
            )
            assert r.status_code == 303 and r.headers["location"].startswith("/login?"), host

    async def test_the_session_cookie_is_host_only(
        self, hosts: dict[str, Browser], spaces: None
    ) -> None:
        for host in ("subdomain", "custom"):
            cookie = (await hosts[host].login()).headers["set-cookie"]
            assert cookie.startswith(f"{SESSION}=")
            assert "domain=" not in cookie.lower(), cookie
            assert "Path=/;" in cookie or cookie.endswith("Path=/"), cookie
