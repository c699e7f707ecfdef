"""Apps framed inside a space (seed 000: "apps running in an iframe on Cobot, in the
context of a space" send the user to the space's subdomain or custom domain): with
``frame_ancestors_space_origins``, a space's pages may be framed by that space's own
origins only, and their cookies still reach a frame that is cross-site."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from authgate.domain import User
from authgate.protocol.registration import Registered
from authgate.services import Services
from tests.conftest import Factory
from tests.web.flow import Browser, hidden_inputs, query_of
from tests.web.oidc_support import CB, space_with_member

ACME = ("https://acme.example.test", "https://acme.example.org:8443", "https://login.acme.test")
OTHER = ("https://other.example.test", "https://login.other.test")
FRAMED = {
    "issuer": "https://testserver",
    "base_domain": "example.test",
    "frame_ancestors_space_origins": True,
}


def frame_ancestors(r: httpx.Response) -> list[str]:
    """The sources of the CSP ``frame-ancestors`` directive (CSP3 §6.4.2)."""
    directives = [d.strip() for d in r.headers["content-security-policy"].split(";")]
    [directive] = [d for d in directives if d.startswith("frame-ancestors ")]
    return directive.split()[1:]


def cookie_attributes(r: httpx.Response, name: str) -> dict[str, str]:
    """The attributes of the ``Set-Cookie`` of ``name``, lower-cased names."""
    [header] = [h for h in r.headers.get_list("set-cookie") if h.startswith(name + "=")]
    pairs = [part.strip().partition("=") for part in header.split(";")[1:]]
    return {key.lower(): value for key, _, value in pairs}


def _auth(rp: Registered, **extra: str) -> dict[str, str]:
    return {"response_type": "code", "client_id": rp.client.client_id, "redirect_uri": CB, **extra}


@pytest.fixture
async def rp(make: Factory, alice: User) -> Registered:
    return await make.client(grant_types=["authorization_code"], redirect_uris=[CB])


@pytest.fixture
async def on(app: Starlette) -> AsyncIterator[Any]:
    """``await on(url)``: a browser with its own cookies on the host of ``url``."""
    transport = httpx.ASGITransport(app=app)
    async with contextlib.AsyncExitStack() as stack:

        async def browser(url: str, prefix: str = "") -> Browser:
            client = httpx.AsyncClient(transport=transport, base_url=url)
            return Browser(await stack.enter_async_context(client), prefix=prefix)

        yield browser


@pytest.fixture
async def spaces(services: Services, alice: User) -> None:
    await space_with_member(
        services, alice.id, domains=("login.acme.test", "acme.example.org:8443")
    )
    await space_with_member(services, alice.id, slug="other", domains=("login.other.test",))
    await space_with_member(services, alice.id, slug="solo")  # no custom domain


class TestSpaceOriginsMayFrameTheirSpacePages:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return dict(FRAMED)

    @pytest.mark.parametrize("url", ACME)
    async def test_the_sign_in_page_names_the_space_origins_only(
        self, on: Any, spaces: None, url: str
    ) -> None:
        r = await (await on(url)).http.get("/login")
        assert r.status_code == 200
        assert frame_ancestors(r) == list(ACME)  # the subdomain, then the custom domains
        assert "x-frame-options" not in r.headers  # it cannot name them: CSP decides

    async def test_the_consent_page_of_a_custom_domain_names_them_too(
        self, on: Any, spaces: None, rp: Registered
    ) -> None:
        browser = await on("https://login.acme.test")
        await browser.login()
        r = await browser.authorize(**_auth(rp))
        assert r.status_code == 200 and "wants to access your account" in r.text
        assert frame_ancestors(r) == list(ACME)
        assert "x-frame-options" not in r.headers

    async def test_a_space_on_the_root_host_path_names_its_origins(
        self, http: httpx.AsyncClient, on: Any, spaces: None
    ) -> None:
        browser = await on("https://testserver", prefix="/spaces/acme")
        r = await browser.http.get("/spaces/acme/login")
        assert r.status_code == 200 and frame_ancestors(r) == list(ACME)

    async def test_the_root_issuer_keeps_none(self, on: Any, spaces: None) -> None:
        r = await (await on("https://testserver")).http.get("/login")
        assert frame_ancestors(r) == ["'none'"]
        assert r.headers["x-frame-options"] == "DENY"

    @pytest.mark.parametrize("url", ["https://other.example.test", "https://login.other.test"])
    async def test_another_space_names_only_its_own(self, on: Any, spaces: None, url: str) -> None:
        r = await (await on(url)).http.get("/login")
        assert frame_ancestors(r) == list(OTHER)
        assert not set(ACME) & set(frame_ancestors(r))
        assert "*" not in r.headers["content-security-policy"]

    async def test_a_space_without_custom_domains_is_framed_by_its_subdomain(
        self, on: Any, spaces: None
    ) -> None:
        r = await (await on("https://solo.example.test")).http.get("/login")
        assert frame_ancestors(r) == ["https://solo.example.test"]


class TestCookiesOfFramedSpacePages:
    """A custom domain framed by the space's subdomain is cross-site: a browser sends
    it no SameSite=Lax cookie (RFC 6265bis §5.2.1), so its sign-in could not work."""

    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return dict(FRAMED)

    @pytest.mark.parametrize("url", ["https://acme.example.test", "https://login.acme.test"])
    async def test_a_space_with_several_origins_sets_samesite_none_and_secure(
        self, on: Any, spaces: None, url: str
    ) -> None:
        browser = await on(url)
        page = await browser.http.get("/login")
        csrf = cookie_attributes(page, "authgate_csrf")
        assert csrf["samesite"] == "none" and "secure" in csrf and "httponly" in csrf
        signed_in = await browser.login()
        assert signed_in.status_code == 303
        session = cookie_attributes(signed_in, "authgate_session")
        assert session["samesite"] == "none" and "secure" in session and "httponly" in session

    async def test_a_framed_sign_out_clears_the_cookie_with_the_same_attributes(
        self, on: Any, spaces: None
    ) -> None:
        browser = await on("https://login.acme.test")
        await browser.login()
        home = await browser.http.get("/")
        out = await browser.http.post("/logout", data=hidden_inputs(home.text))
        assert out.status_code == 303
        cleared = cookie_attributes(out, "authgate_session")
        assert cleared["max-age"] == "0"
        assert cleared["samesite"] == "none" and "secure" in cleared

    async def test_the_root_issuer_and_a_single_origin_space_keep_lax(
        self, on: Any, spaces: None
    ) -> None:
        for url in ("https://testserver", "https://solo.example.test"):
            signed_in = await (await on(url)).login()
            session = cookie_attributes(signed_in, "authgate_session")
            assert session["samesite"] == "lax" and "secure" in session, url

    async def test_a_space_on_the_root_host_has_cookies_of_its_own(
        self, on: Any, spaces: None
    ) -> None:
        """The root issuer's cookies on the same host stay Lax: the space's path issuer
        names its sign-in form cookie for itself, as its session cookie."""
        browser = await on("https://testserver", prefix="/spaces/acme")
        page = await browser.http.get("/spaces/acme/login")
        csrf = cookie_attributes(page, "authgate_csrf_acme")
        assert csrf["samesite"] == "none" and csrf["path"] == "/spaces/acme"
        signed_in = await browser.login()
        assert signed_in.status_code == 303, signed_in.text
        session = cookie_attributes(signed_in, "authgate_session_acme")
        assert session["samesite"] == "none" and session["path"] == "/spaces/acme"
        root = await browser.http.get("/login")
        assert cookie_attributes(root, "authgate_csrf")["samesite"] == "lax"

    async def test_the_framed_flow_completes_on_a_custom_domain(
        self, on: Any, spaces: None, rp: Registered
    ) -> None:
        browser = await on("https://login.acme.test")
        code = await browser.code_for(**_auth(rp, state="s1"))
        assert code
        r = await browser.authorize(**_auth(rp, state="s2"))  # signed in, consent remembered
        assert r.status_code == 302
        assert query_of(r.headers["location"])["iss"] == "https://login.acme.test"


class TestWithoutTheSetting:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {**FRAMED, "frame_ancestors_space_origins": False}

    @pytest.mark.parametrize("url", ACME)
    async def test_space_pages_may_not_be_framed_and_cookies_stay_lax(
        self, on: Any, spaces: None, url: str
    ) -> None:
        browser = await on(url)
        page = await browser.http.get("/login")
        assert frame_ancestors(page) == ["'none'"]
        assert page.headers["x-frame-options"] == "DENY"
        assert cookie_attributes(page, "authgate_csrf")["samesite"] == "lax"
        session = cookie_attributes(await browser.login(), "authgate_session")
        assert session["samesite"] == "lax"


class TestWithGlobalAncestors:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {**FRAMED, "frame_ancestors": ["https://www.example.test"]}

    async def test_space_pages_add_their_origins_to_the_global_list(
        self, on: Any, spaces: None
    ) -> None:
        r = await (await on("https://login.acme.test")).http.get("/login")
        assert frame_ancestors(r) == ["https://www.example.test", *ACME]
        root = await (await on("https://testserver")).http.get("/login")
        assert frame_ancestors(root) == ["https://www.example.test"]
        assert "x-frame-options" not in root.headers


class TestOnAPlainHttpIssuer:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {**FRAMED, "issuer": "http://testserver"}

    async def test_origins_keep_the_scheme_and_cookies_stay_lax(
        self, on: Any, spaces: None
    ) -> None:
        browser = await on("http://login.acme.test")
        page = await browser.http.get("/login")
        assert frame_ancestors(page) == [url.replace("https:", "http:") for url in ACME]
        # Browsers refuse SameSite=None without Secure, and Secure needs https.
        csrf = cookie_attributes(page, "authgate_csrf")
        assert csrf["samesite"] == "lax" and "secure" not in csrf


class TestTheCobotProfile:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"profile": "cobot", "issuer": "https://testserver", "base_domain": "example.test"}

    async def test_space_pages_are_framed_by_the_space_origins_seed000(
        self, on: Any, spaces: None
    ) -> None:
        page = await (await on("https://login.acme.test")).http.get("/login")
        assert frame_ancestors(page) == list(ACME)
        assert cookie_attributes(page, "authgate_csrf")["samesite"] == "none"
        root = await (await on("https://testserver")).http.get("/login")
        assert frame_ancestors(root) == ["'none'"] and root.headers["x-frame-options"] == "DENY"
