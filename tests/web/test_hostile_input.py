"""Hostile values at every browser-facing form, the authorization and token endpoints and in
cookies: non-ASCII, UTF-8-encoded surrogates (``%ED%A0%80``), NUL, invalid UTF-8, Unicode
digits (``"²".isdigit()`` is true) and huge values. The answer is always the page's or the
endpoint's normal 4xx or redirect, never a 500 or a traceback."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
import pytest

from authgate.protocol.registration import Registered
from tests.conftest import Factory
from tests.web.flow import Browser, hidden_inputs
from tests.web.test_authorize_properties import NAMES

CB = "https://app.example.com/callback"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}

#: Already percent-encoded, so that invalid UTF-8 and surrogates reach the server as bytes.
HOSTILE = [
    "%C3%A9t%C3%A9",  # é
    "%ED%A0%80",  # a UTF-8-encoded surrogate (U+D800)
    "%ED%A0%80%ED%B0%80",  # a surrogate pair, encoded separately (CESU-8)
    "%00",
    "a%00b",
    "%FF%FE",
    "%C2%B2",  # "²", a Unicode digit
    "%D9%A3.AAAA",  # "٣" Arabic-Indic digit
    "02." + "A" * 43,
    "1." + "%C3%A9" * 43,
    "9" * 30 + ".x",
    "%E2%80%AE%F0%9F%94%91",  # right-to-left override, emoji
    "%09tab%0D%0Anewline",
    "%22%5C%27%3C%3E",  # " \ ' < >
    "x" * 5000,
]
#: Raw ``Cookie`` header values (bytes as a client may send them).
HOSTILE_COOKIES = [
    b"\xc3\xa9",
    b"\xed\xa0\x80",
    b"\xff\xfe",
    b"1.\xc3\xa9" + b"A" * 42,
    b"02." + b"A" * 43,
    b"\xc2\xb2." + b"A" * 43,
    b"9" * 5000 + b"." + b"A" * 43,
    b'"\\355\\240\\200"',  # octal escapes in a quoted cookie value
    b"A" * 30 + b"\x00",
    b"x" * 6000,
]
COOKIES = ("authgate_session", "authgate_csrf")


def assert_no_server_error(r: httpx.Response, what: object) -> None:
    assert r.status_code < 500, (what, r.status_code, r.text[:300])
    assert "Traceback" not in r.text, what


async def post_form(
    http: httpx.AsyncClient, path: str, fields: dict[str, str], name: str, raw: str
) -> httpx.Response:
    """POST ``fields`` with ``name`` set to the already-encoded ``raw``."""
    body = urlencode({k: v for k, v in fields.items() if k != name}) + f"&{name}={raw}"
    return await http.post(path, content=body.encode(), headers=FORM)


@pytest.fixture
async def app_client(make: Factory) -> Registered:
    await make.user()
    return await make.client(grant_types=["authorization_code", "implicit"], redirect_uris=[CB])


def authorize_params(reg: Registered) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": reg.client.client_id,
        "redirect_uri": CB,
        "state": "s",
        "scope": "read",
        "code_challenge": "c" * 43,
        "code_challenge_method": "S256",
    }


@pytest.mark.parametrize("name", ["csrf_token", "email", "password", "next"])
async def test_login_form(http: httpx.AsyncClient, app_client: Registered, name: str) -> None:
    page = await http.get("/login")
    fields = {**hidden_inputs(page.text), "email": "alice@example.com", "password": "x"}
    for raw in HOSTILE:
        r = await post_form(http, "/login", fields, name, raw)
        assert_no_server_error(r, raw)
        assert r.status_code in {303, 400, 429}, (raw, r.status_code)


async def test_login_page_next_naming_an_app(
    http: httpx.AsyncClient, app_client: Registered
) -> None:
    """The sign-in page looks up the app a ``next`` URL continues to."""
    for raw in HOSTILE:
        for next_path in (f"/oauth/authorize?client_id={raw}", f"/{raw}"):
            r = await http.get("/login?" + urlencode({"next": next_path}))
            assert_no_server_error(r, raw)
            assert r.status_code == 200, (raw, r.status_code)


@pytest.mark.parametrize("name", ["csrf_token", "next"])
async def test_logout_form(http: httpx.AsyncClient, app_client: Registered, name: str) -> None:
    await Browser(http).login()
    fields = hidden_inputs((await http.get("/")).text)
    for raw in HOSTILE:
        r = await post_form(http, "/logout", fields, name, raw)
        assert_no_server_error(r, raw)
        assert r.status_code in {303, 400, 403}, (raw, r.status_code)
        if name == "csrf_token":
            assert "alice@example.com" in (await http.get("/")).text, "signed out without token"


@pytest.mark.parametrize(
    "name", ["csrf_token", "decision", "client_id", "redirect_uri", "state", "response_mode"]
)
async def test_consent_decision(http: httpx.AsyncClient, app_client: Registered, name: str) -> None:
    browser = Browser(http)
    await browser.login()
    consent = await browser.authorize(**authorize_params(app_client))
    assert consent.status_code == 200, consent.text
    fields = {**hidden_inputs(consent.text.split("</form>")[0]), "decision": "deny"}
    for raw in HOSTILE:
        r = await post_form(http, "/oauth/authorize/decision", fields, name, raw)
        assert_no_server_error(r, raw)
        assert r.status_code in {302, 303, 400, 403}, (raw, r.status_code)


@pytest.mark.parametrize("name", [*NAMES, "response_mode"])
@pytest.mark.parametrize("signed_in", [False, True])
async def test_authorize_endpoint(
    http: httpx.AsyncClient, app_client: Registered, name: str, signed_in: bool
) -> None:
    if signed_in:
        await Browser(http).login()
    params = authorize_params(app_client)
    for raw in HOSTILE:
        query = urlencode({k: v for k, v in params.items() if k != name}) + f"&{name}={raw}"
        r = await http.get("/oauth/authorize?" + query)
        assert_no_server_error(r, raw)
        r = await post_form(http, "/oauth/authorize", params, name, raw)
        assert_no_server_error(r, raw)


@pytest.mark.parametrize(
    "fields",
    [
        {"grant_type": "authorization_code", "code": "1.x", "redirect_uri": CB},
        {"grant_type": "refresh_token", "refresh_token": "1.x", "scope": "read"},
        {"grant_type": "password", "username": "alice@example.com", "password": "x"},
        {"grant_type": "client_credentials", "scope": "read"},
    ],
    ids=lambda f: f["grant_type"],
)
async def test_token_endpoint(
    http: httpx.AsyncClient, app_client: Registered, fields: dict[str, str]
) -> None:
    assert app_client.client_secret
    body = {**fields, "client_id": app_client.client.client_id}
    for name in [*fields, "client_id", "client_secret", "code_verifier"]:
        for raw in HOSTILE:
            r = await post_form(http, "/oauth/token", body, name, raw)
            assert_no_server_error(r, (name, raw))
            assert r.status_code in {400, 401}, (name, raw, r.text)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/login"),
        ("POST", "/login"),
        ("POST", "/logout"),
        ("GET", "/oauth/authorize"),
        ("POST", "/oauth/authorize/decision"),
    ],
)
async def test_cookie_values(
    http: httpx.AsyncClient, app_client: Registered, method: str, path: str
) -> None:
    query = urlencode(authorize_params(app_client))
    for name in COOKIES:
        for raw in HOSTILE_COOKIES:
            http.cookies.clear()
            headers = {"Cookie": name.encode() + b"=" + raw, **FORM}
            r = await http.request(
                method,
                f"{path}?{query}" if method == "GET" else path,
                content=f"{query}&csrf_token=x&email=a%40b&password=x".encode(),
                headers=headers,
            )
            assert_no_server_error(r, (name, raw))
