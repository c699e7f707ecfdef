"""ID tokens from the code flow, refresh and password grants (OpenID Connect Core §2,
§3.1.3.3, §3.1.3.6, §12.2), verified as a relying party verifies them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from authgate.domain import User
from authgate.protocol.registration import Registered
from authgate.services import Services
from tests.conftest import Clock, Factory
from tests.web.flow import Browser
from tests.web.oidc_support import CB, left_half_hash, verify_id_token

ISSUER = "http://testserver"


@pytest.fixture
async def rp(make: Factory, alice: User) -> Registered:
    return await make.client(
        grant_types=["authorization_code", "refresh_token", "password"],
        redirect_uris=[CB],
        scopes=["read"],
    )


async def _tokens(browser: Browser, rp: Registered, scope: str, **extra: str) -> dict[str, Any]:
    code = await browser.code_for(
        response_type="code", client_id=rp.client.client_id, redirect_uri=CB, scope=scope, **extra
    )
    assert rp.client_secret
    r = await browser.http.post(
        "/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": CB},
        auth=(rp.client.client_id, rp.client_secret),
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_code_flow_with_openid_returns_an_id_token_core_3_1_3_3(
    browser: Browser, rp: Registered, alice: User, clock: Clock
) -> None:
    body = await _tokens(browser, rp, "openid read", nonce="n-0S6_WzA2Mj")
    claims = await verify_id_token(
        browser.http, body["id_token"], issuer=ISSUER, client_id=rp.client.client_id
    )
    assert claims["sub"] == alice.subject and len(alice.subject) == 36
    assert claims["sub"] != rp.client.client_id
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    assert claims["at_hash"] == left_half_hash(body["access_token"])
    assert claims["auth_time"] <= claims["iat"] == int(clock.now)
    assert claims["exp"] == claims["iat"] + 3600
    assert "email" not in claims and "name" not in claims  # no such scopes asked for
    assert body["scope"] == "openid read"


async def test_scopes_release_their_claims_core_5_4(browser: Browser, rp: Registered) -> None:
    body = await _tokens(browser, rp, "openid profile email phone")
    claims = await verify_id_token(
        browser.http, body["id_token"], issuer=ISSUER, client_id=rp.client.client_id
    )
    assert claims["name"] == "Alice"
    assert claims["email"] == "alice@example.com" and claims["email_verified"] is False
    assert "phone_number" not in claims  # authgate knows phone numbers only per space


async def test_no_id_token_without_the_openid_scope(browser: Browser, rp: Registered) -> None:
    body = await _tokens(browser, rp, "read")
    assert "id_token" not in body


async def test_refresh_keeps_auth_time_and_drops_the_nonce_core_12_2(
    browser: Browser, rp: Registered, clock: Clock
) -> None:
    first = await _tokens(browser, rp, "openid", nonce="abc")
    claims = await verify_id_token(
        browser.http, first["id_token"], issuer=ISSUER, client_id=rp.client.client_id
    )
    clock.advance(120)
    assert rp.client_secret
    r = await browser.http.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        auth=(rp.client.client_id, rp.client_secret),
    )
    again = await verify_id_token(
        browser.http, r.json()["id_token"], issuer=ISSUER, client_id=rp.client.client_id
    )
    assert again["sub"] == claims["sub"] and again["auth_time"] == claims["auth_time"]
    assert again["iat"] == claims["iat"] + 120
    assert "nonce" not in again
    assert again["at_hash"] == left_half_hash(r.json()["access_token"])


async def test_password_grant_with_openid_returns_an_id_token(
    http: httpx.AsyncClient, rp: Registered, alice: User, clock: Clock
) -> None:
    assert rp.client_secret
    r = await http.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "username": "alice@example.com",
            "password": "correct horse",
            "scope": "openid email",
        },
        auth=(rp.client.client_id, rp.client_secret),
    )
    claims = await verify_id_token(
        http, r.json()["id_token"], issuer=ISSUER, client_id=rp.client.client_id
    )
    assert claims["auth_time"] == int(clock.now) and claims["email"] == alice.email


async def test_openid_is_not_a_default_scope(browser: Browser, rp: Registered) -> None:
    """A request without ``scope`` gets the client's platform scopes, not OpenID Connect."""
    code = await browser.code_for(
        response_type="code", client_id=rp.client.client_id, redirect_uri=CB
    )
    assert rp.client_secret
    r = await browser.http.post(
        "/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": CB},
        auth=(rp.client.client_id, rp.client_secret),
    )
    assert r.json()["scope"] == "read" and "id_token" not in r.json()


async def test_client_credentials_cannot_ask_for_openid(
    http: httpx.AsyncClient, make: Factory
) -> None:
    reg = await make.client(grant_types=["client_credentials"])
    assert reg.client_secret
    r = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "openid"},
        auth=(reg.client.client_id, reg.client_secret),
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_scope"


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
async def test_id_tokens_follow_the_signing_key_algorithm(
    browser: Browser, rp: Registered, services: Services, alg: Any
) -> None:
    await services.keys.rotate(alg, at_once=True)
    body = await _tokens(browser, rp, "openid")
    from joserfc.jws import extract_compact

    assert extract_compact(body["id_token"].encode()).protected["alg"] == alg
    await verify_id_token(
        browser.http, body["id_token"], issuer=ISSUER, client_id=rp.client.client_id
    )
