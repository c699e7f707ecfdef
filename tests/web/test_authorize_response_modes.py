"""How the authorization response travels back (OAuth 2.0 Multiple Response Type Encoding
Practices §2.1, §5; OAuth 2.0 Form Post Response Mode), and what error redirects may carry
(RFC 6749 §4.1.2.1: ``error_description`` is limited to %x20-21 / %x23-5B / %x5D-7E)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from authgate.protocol.pkce import s256
from authgate.protocol.registration import Registered
from tests.conftest import Factory
from tests.web.flow import Browser, fragment_of, hidden_inputs, query_of

CB = "https://app.example.com/callback"
VERIFIER = "v" * 43
DESCRIPTION = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]+")


@pytest.fixture
async def reg(make: Factory) -> Registered:
    await make.user()
    return await make.client(
        grant_types=["authorization_code", "implicit"], redirect_uris=[CB], scopes=["read"]
    )


def params(reg: Registered, **extra: Any) -> dict[str, Any]:
    return {
        "response_type": "code",
        "client_id": reg.client.client_id,
        "redirect_uri": CB,
        "state": "st",
        "code_challenge": s256(VERIFIER),
        "code_challenge_method": "S256",
        **extra,
    }


async def allow(browser: Browser, **request: Any) -> httpx.Response:
    await browser.login()
    return await browser.decide(await browser.authorize(**request))


@pytest.mark.parametrize(
    ("response_type", "mode", "where"),
    [
        ("code", None, "query"),
        ("code", "query", "query"),
        ("code", "fragment", "fragment"),
        ("token", None, "fragment"),
        ("token", "fragment", "fragment"),
    ],
)
async def test_query_and_fragment_modes(
    browser: Browser, reg: Registered, response_type: str, mode: str | None, where: str
) -> None:
    extra = {} if mode is None else {"response_mode": mode}
    r = await allow(browser, **params(reg, response_type=response_type, **extra))
    assert r.status_code == 303, r.text
    location = r.headers["location"]
    values = fragment_of(location) if where == "fragment" else query_of(location)
    other = query_of(location) if where == "fragment" else fragment_of(location)
    assert ("code" if response_type == "code" else "access_token") in values
    assert values["state"] == "st"
    assert not other


@pytest.mark.parametrize(
    ("response_type", "mode"),
    [
        ("code", "jwt"),
        ("code", "QUERY"),
        ("code", "web_message"),
        ("token", "query"),  # §5: tokens must not be put in the query
        ("token", "query.jwt"),
    ],
)
async def test_unsupported_or_forbidden_mode_is_invalid_request(
    browser: Browser, reg: Registered, response_type: str, mode: str
) -> None:
    await browser.login()
    r = await browser.authorize(**params(reg, response_type=response_type, response_mode=mode))
    assert r.status_code == 302
    location = r.headers["location"]
    # The error goes back by the response type's default mode.
    values = fragment_of(location) if response_type == "token" else query_of(location)
    assert values["error"] == "invalid_request"
    assert "response_mode" in values["error_description"]
    assert values["state"] == "st"
    assert "access_token" not in location and "code=" not in location


def form_post_page(r: httpx.Response) -> dict[str, str]:
    """Check the auto-submitting page and its CSP; return the posted values."""
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert f'<form method="post" action="{CB}"' in r.text
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "form-action https://app.example.com;" in csp + ";"
    assert "unsafe-inline" not in csp
    nonce = re.search(r"script-src 'nonce-([A-Za-z0-9_-]+)'", csp)
    assert nonce is not None, csp
    assert f'<script nonce="{nonce[1]}">' in r.text
    assert "<noscript>" in r.text
    assert r.headers["cache-control"] == "no-store"
    assert "location" not in r.headers
    return hidden_inputs(r.text)


async def test_form_post_delivers_the_code_in_an_auto_submitted_form(
    browser: Browser, reg: Registered
) -> None:
    r = await allow(browser, **params(reg, response_mode="form_post"))
    values = form_post_page(r)
    assert set(values) == {"code", "state", "iss"}
    assert values["state"] == "st"
    token = await browser.http.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": values["code"],
            "redirect_uri": CB,
            "code_verifier": VERIFIER,
        },
        auth=(reg.client.client_id, reg.client_secret or ""),
    )
    assert token.status_code == 200, token.text


async def test_form_post_for_implicit_and_for_errors(browser: Browser, reg: Registered) -> None:
    r = await allow(browser, **params(reg, response_type="token", response_mode="form_post"))
    assert form_post_page(r)["token_type"] == "Bearer"
    r = await browser.authorize(**params(reg, scope="admin", response_mode="form_post"))
    values = form_post_page(r)
    assert values["error"] == "invalid_scope"
    assert values["state"] == "st"
    browser.http.cookies.clear()
    r = await browser.authorize(**params(reg, prompt="none", response_mode="form_post"))
    assert form_post_page(r)["error"] == "login_required"


async def test_form_post_nonce_is_fresh_each_time(browser: Browser, reg: Registered) -> None:
    request = params(reg, scope="admin", response_mode="form_post")
    first = await browser.authorize(**request)
    second = await browser.authorize(**request)
    assert first.headers["content-security-policy"] != second.headers["content-security-policy"]


@pytest.mark.parametrize(
    "response_type",
    ["\u00e9\"\\\u2028\U0001f511 it's", "code\u00a7", "x\x7f"],
)
async def test_error_description_in_redirects_stays_in_the_rfc_charset_rfc6749_4_1_2_1(
    browser: Browser, reg: Registered, response_type: str
) -> None:
    r = await browser.authorize(**params(reg, response_type=response_type))
    assert r.status_code == 302
    values = query_of(r.headers["location"])
    assert values["error"] == "unsupported_response_type"
    assert DESCRIPTION.fullmatch(values["error_description"]), values["error_description"]
