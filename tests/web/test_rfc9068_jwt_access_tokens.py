"""RFC 9068 JWT access tokens: per client or by default, for every grant, checked by
authgate like opaque ones (revocation, introspection, /api/me), verifiable by anyone
against the published JWKS."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from authgate.domain import User
from authgate.protocol.registration import Registered
from authgate.services import Services
from tests.conftest import Clock, Factory
from tests.web.flow import Browser
from tests.web.jwt_support import is_jwt, verify_with_jwks
from tests.web.oidc_support import space_with_member
from tests.web.token_support import client_auth, password_tokens

ISSUER = "http://testserver"
CB = "https://app.example.com/callback"


@pytest.fixture
async def jwt_client(make: Factory, alice: User) -> Registered:
    return await make.client(
        grant_types=["client_credentials", "password", "refresh_token"],
        scopes=["read", "write"],
        access_token_format="jwt",
    )


async def _client_token(http: httpx.AsyncClient, reg: Registered, url: str = "/oauth/token") -> Any:
    r = await http.post(
        url, data={"grant_type": "client_credentials", "scope": "read"}, auth=client_auth(reg)
    )
    assert r.status_code == 200, r.text
    return r.json()


async def _me(http: httpx.AsyncClient, token: str) -> httpx.Response:
    return await http.get("/api/me", headers={"Authorization": f"Bearer {token}"})


async def _introspect(http: httpx.AsyncClient, caller: Registered, token: str) -> Any:
    r = await http.post("/oauth/introspect", data={"token": token}, auth=client_auth(caller))
    assert r.status_code == 200, r.text
    return r.json()


# --- §2: the token and its claims, for each grant --------------------------------------------


async def test_client_credentials_gives_a_jwt_with_the_rfc9068_claims(
    http: httpx.AsyncClient, jwt_client: Registered, clock: Clock
) -> None:
    body = await _client_token(http, jwt_client)
    token = body["access_token"]
    assert is_jwt(token) and body["token_type"] == "Bearer" and body["expires_in"] == 3600
    header, claims = await verify_with_jwks(http, token)
    assert header["typ"] == "at+jwt" and header["alg"] == "RS256"  # §2.1
    now = int(clock())
    client_id = jwt_client.client.client_id
    assert claims == {
        "iss": ISSUER,
        "sub": client_id,  # §2.2: the client itself, with no resource owner
        "aud": ISSUER,
        "client_id": client_id,
        "iat": now,
        "exp": now + 3600,
        "jti": claims["jti"],
        "scope": "read",
    }
    assert claims["jti"].isdigit()
    assert (await _me(http, token)).json()["type"] == "client"


async def test_password_and_refresh_give_jwts_for_the_user(
    http: httpx.AsyncClient, jwt_client: Registered, alice: User, clock: Clock
) -> None:
    tokens = await password_tokens(http, jwt_client, scope="read write")
    _, claims = await verify_with_jwks(http, tokens["access_token"])
    assert claims["sub"] == alice.subject and claims["scope"] == "read write"
    assert claims["auth_time"] == int(clock())  # §2.2.1: the user just signed in
    assert "." in tokens["refresh_token"] and not is_jwt(tokens["refresh_token"])  # opaque
    me = (await _me(http, tokens["access_token"])).json()
    assert me["type"] == "user" and me["email"] == alice.email
    clock.advance(30)
    r = await http.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "scope": "read",
        },
        auth=client_auth(jwt_client),
    )
    assert r.status_code == 200, r.text
    _, refreshed = await verify_with_jwks(http, r.json()["access_token"])
    assert refreshed["sub"] == alice.subject and refreshed["scope"] == "read"
    assert refreshed["auth_time"] == claims["auth_time"]  # the sign-in it continues
    assert refreshed["iat"] == claims["iat"] + 30 and refreshed["jti"] != claims["jti"]
    assert (await _me(http, r.json()["access_token"])).status_code == 200


async def test_the_authorization_code_grant_gives_a_jwt(
    browser: Browser, make: Factory, alice: User, clock: Clock
) -> None:
    reg = await make.client(
        grant_types=["authorization_code"],
        redirect_uris=[CB],
        scopes=["read"],
        access_token_format="jwt",
    )
    code = await browser.code_for(
        response_type="code", client_id=reg.client.client_id, redirect_uri=CB, scope="read"
    )
    r = await browser.http.post(
        "/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": CB},
        auth=client_auth(reg),
    )
    assert r.status_code == 200, r.text
    _, claims = await verify_with_jwks(browser.http, r.json()["access_token"])
    assert claims["sub"] == alice.subject and claims["client_id"] == reg.client.client_id
    assert isinstance(claims["auth_time"], int) and claims["auth_time"] <= claims["iat"]
    assert not is_jwt(r.json()["refresh_token"])


async def test_concurrent_issues_get_distinct_working_tokens(
    http: httpx.AsyncClient, jwt_client: Registered
) -> None:
    bodies = await asyncio.gather(*(_client_token(http, jwt_client) for _ in range(8)))
    jtis = {(await verify_with_jwks(http, b["access_token"]))[1]["jti"] for b in bodies}
    assert len(jtis) == 8
    for b in bodies:
        assert (await _me(http, b["access_token"])).status_code == 200


async def test_a_space_token_names_its_issuer_and_space(
    http: httpx.AsyncClient, jwt_client: Registered, alice: User, services: Services
) -> None:
    await space_with_member(services, alice.id)
    tokens = await password_tokens(http, jwt_client, "/spaces/acme/oauth/token", scope="read")
    _, claims = await verify_with_jwks(http, tokens["access_token"])
    assert claims["iss"] == claims["aud"] == ISSUER + "/spaces/acme"
    assert claims["space"] == "acme"
    api = await Factory(services).client(name="API", resource_server=True)
    r = await http.post(
        "/spaces/acme/oauth/introspect",
        data={"token": tokens["access_token"]},
        auth=client_auth(api),
    )
    assert r.json()["active"] is True and r.json()["space"] == "acme"
    assert r.json()["aud"] == claims["aud"]


async def test_userinfo_takes_a_jwt(
    http: httpx.AsyncClient, jwt_client: Registered, alice: User
) -> None:
    tokens = await password_tokens(http, jwt_client, scope="openid email")
    r = await http.get(
        "/oauth/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["sub"] == alice.subject


@pytest.mark.parametrize("settings_overrides", [{"access_token_audience": "https://api.example"}])
async def test_the_audience_setting(http: httpx.AsyncClient, jwt_client: Registered) -> None:
    _, claims = await verify_with_jwks(
        http, (await _client_token(http, jwt_client))["access_token"]
    )
    assert claims["aud"] == "https://api.example"


@pytest.mark.parametrize("settings_overrides", [{"access_token_audience": "https://api.example"}])
async def test_introspection_names_the_audience_of_both_formats_rfc7662_2_2(
    http: httpx.AsyncClient, jwt_client: Registered, make: Factory
) -> None:
    """An access token's ``aud`` is the API it is for, the same in its JWT and in its
    introspection, opaque or not; a refresh token's is the authorization server."""
    opaque = await make.client(
        name="Opaque", grant_types=["password", "refresh_token"], scopes=["read"]
    )
    for reg in (jwt_client, opaque):
        tokens = await password_tokens(http, reg, scope="read")
        assert (await _introspect(http, reg, tokens["access_token"]))["aud"] == (
            "https://api.example"
        )
        assert (await _introspect(http, reg, tokens["refresh_token"]))["aud"] == ISSUER


@pytest.mark.parametrize("settings_overrides", [{"signing_key_grace_seconds": 0}])
async def test_a_jwt_whose_key_is_no_longer_published_is_refused_at_once(
    http: httpx.AsyncClient, jwt_client: Registered, services: Services
) -> None:
    """RFC 7517: only published keys verify. A rotation replaces the verifiers at once,
    even within the clock tick of the previous key read."""
    token = (await _client_token(http, jwt_client))["access_token"]
    assert (await _me(http, token)).status_code == 200
    await services.keys.rotate(at_once=True)  # no grace: the old key is gone
    assert (await _me(http, token)).status_code == 401
    assert await _introspect(http, jwt_client, token) == {"active": False}
    assert (
        await _me(http, (await _client_token(http, jwt_client))["access_token"])
    ).status_code == 200


# --- which format: per client, else the setting ------------------------------------------------


async def test_opaque_stays_the_default(http: httpx.AsyncClient, make: Factory) -> None:
    reg = await make.client()
    assert reg.client.access_token_format is None
    token = (await _client_token(http, reg))["access_token"]
    assert not is_jwt(token) and token.count(".") == 1


@pytest.mark.parametrize("settings_overrides", [{"access_token_format": "jwt"}])
async def test_the_setting_is_the_default_and_a_client_may_choose_opaque(
    http: httpx.AsyncClient, make: Factory
) -> None:
    follows = await make.client(name="Follows")
    opaque = await make.client(name="Opaque", access_token_format="opaque")
    assert is_jwt((await _client_token(http, follows))["access_token"])
    assert not is_jwt((await _client_token(http, opaque))["access_token"])


@pytest.mark.parametrize("settings_overrides", [{"access_token_format": "jwt"}])
async def test_tokens_that_never_expire_stay_opaque(
    http: httpx.AsyncClient, make: Factory, alice: User
) -> None:
    """RFC 9068 §2.2 requires exp: the owner's test token (seed 000) never expires."""
    reg = await make.client(owner_email=alice.email)
    assert reg.test_access_token is not None and not is_jwt(reg.test_access_token)
    assert (await _me(http, reg.test_access_token)).status_code == 200


async def test_a_client_switching_format_keeps_its_old_tokens_working(
    http: httpx.AsyncClient, jwt_client: Registered, services: Services
) -> None:
    old = (await _client_token(http, jwt_client))["access_token"]
    await services.registry.update(jwt_client.client.client_id, access_token_format="opaque")
    new = (await _client_token(http, jwt_client))["access_token"]
    assert is_jwt(old) and not is_jwt(new)
    assert (await _me(http, old)).status_code == 200
    assert (await _me(http, new)).status_code == 200


# --- revocation and introspection --------------------------------------------------------------


async def test_a_revoked_jwt_is_refused_at_once_by_authgate(
    http: httpx.AsyncClient, jwt_client: Registered
) -> None:
    token = (await _client_token(http, jwt_client))["access_token"]
    r = await http.post("/oauth/revoke", data={"token": token}, auth=client_auth(jwt_client))
    assert r.status_code == 200
    r = await _me(http, token)
    assert r.status_code == 401
    assert 'error_description="The access token was revoked"' in r.headers["www-authenticate"]
    assert await _introspect(http, jwt_client, token) == {"active": False}
    # The trade-off (docs/security.md): the signature alone still verifies until exp.
    await verify_with_jwks(http, token)


async def test_revoking_the_refresh_token_revokes_its_jwts(
    http: httpx.AsyncClient, jwt_client: Registered
) -> None:
    tokens = await password_tokens(http, jwt_client, scope="read")
    r = await http.post(
        "/oauth/revoke",
        data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
        auth=client_auth(jwt_client),
    )
    assert r.status_code == 200
    assert (await _me(http, tokens["access_token"])).status_code == 401


async def test_another_client_cannot_revoke_a_jwt(
    http: httpx.AsyncClient, jwt_client: Registered, make: Factory
) -> None:
    token = (await _client_token(http, jwt_client))["access_token"]
    other = await make.client(name="Other")
    r = await http.post("/oauth/revoke", data={"token": token}, auth=client_auth(other))
    assert r.status_code == 200
    assert (await _me(http, token)).status_code == 200


async def test_introspecting_a_jwt(
    http: httpx.AsyncClient, jwt_client: Registered, make: Factory, alice: User
) -> None:
    tokens = await password_tokens(http, jwt_client, scope="read")
    _, claims = await verify_with_jwks(http, tokens["access_token"])
    body = await _introspect(http, jwt_client, tokens["access_token"])
    assert body["active"] is True and body["token_type"] == "Bearer"
    assert body["sub"] == alice.subject and body["username"] == alice.email
    assert (body["iat"], body["exp"], body["scope"]) == (claims["iat"], claims["exp"], "read")
    assert body["client_id"] == claims["client_id"] and body["iss"] == claims["iss"]
    assert body["aud"] == claims["aud"]  # one token, one audience, however it is read
    other = await make.client(name="Other")
    assert await _introspect(http, other, tokens["access_token"]) == {"active": False}


async def test_an_expired_jwt_is_refused(
    http: httpx.AsyncClient, jwt_client: Registered, clock: Clock
) -> None:
    token = (await _client_token(http, jwt_client))["access_token"]
    clock.advance(3600)
    r = await _me(http, token)
    assert r.status_code == 401
    assert 'error_description="The access token has expired"' in r.headers["www-authenticate"]
    assert await _introspect(http, jwt_client, token) == {"active": False}


async def test_a_deleted_clients_jwts_stop_working(
    http: httpx.AsyncClient, jwt_client: Registered, services: Services
) -> None:
    token = (await _client_token(http, jwt_client))["access_token"]
    await services.registry.delete(jwt_client.client.client_id)
    assert (await _me(http, token)).status_code == 401


# --- signing keys: rotation and retirement -----------------------------------------------------


@pytest.mark.parametrize(
    "settings_overrides",
    [{"signing_key_grace_seconds": 600, "signing_key_refresh_seconds": 5}],
)
async def test_a_retired_key_verifies_while_published_and_not_after(
    http: httpx.AsyncClient, jwt_client: Registered, services: Services, clock: Clock
) -> None:
    token = (await _client_token(http, jwt_client))["access_token"]
    old_kid = (await verify_with_jwks(http, token))[0]["kid"]
    new = await services.keys.rotate(at_once=True)
    fresh = (await _client_token(http, jwt_client))["access_token"]
    assert (await verify_with_jwks(http, fresh))[0]["kid"] == new.kid != old_kid
    clock.advance(300)  # retired, still published within the grace
    assert old_kid in {k["kid"] for k in (await http.get("/.well-known/jwks.json")).json()["keys"]}
    assert (await _me(http, token)).status_code == 200
    clock.advance(301 + services.keys.refresh)  # the grace is over; the token is not expired
    assert old_kid not in {
        k["kid"] for k in (await http.get("/.well-known/jwks.json")).json()["keys"]
    }
    r = await _me(http, token)
    assert r.status_code == 401 and 'error="invalid_token"' in r.headers["www-authenticate"]
    assert (await _me(http, fresh)).status_code == 200


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
async def test_other_key_algorithms_sign_access_tokens(
    http: httpx.AsyncClient, jwt_client: Registered, services: Services, alg: Any
) -> None:
    await services.keys.rotate(alg, at_once=True)
    token = (await _client_token(http, jwt_client))["access_token"]
    header, _ = await verify_with_jwks(http, token)
    assert header["alg"] == alg and header["typ"] == "at+jwt"
    assert (await _me(http, token)).status_code == 200


@pytest.mark.parametrize("settings_overrides", [{"base_domain": "example.test"}])
@pytest.mark.parametrize("issuer", ["http://acme.example.test", "http://login.acme.test"])
async def test_jwts_of_host_issuers_check_and_foreign_hosts_do_not(
    http: httpx.AsyncClient,
    jwt_client: Registered,
    alice: User,
    services: Services,
    issuer: str,
) -> None:
    """A subdomain's or a custom domain's ``iss`` is one of ours; a signed token naming
    a space that does not exist is not."""
    await space_with_member(services, alice.id, domains=("login.acme.test",))
    tokens = await password_tokens(http, jwt_client, issuer + "/oauth/token", scope="read")
    _, claims = await verify_with_jwks(http, tokens["access_token"])
    assert claims["iss"] == claims["aud"] == issuer and claims["space"] == "acme"
    assert (await _me(http, tokens["access_token"])).status_code == 200
    forged = (await services.keys.signer()).sign(
        {**claims, "iss": "http://nowhere.example.test"}, typ="at+jwt"
    )
    assert (await _me(http, forged)).status_code == 401
