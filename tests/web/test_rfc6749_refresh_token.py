"""RFC 6749 §6 refresh, with rotation and reuse detection (RFC 9700 §4.14.2)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.conftest import Clock, Factory

TOKEN = "/oauth/token"


async def _login(
    http: httpx.AsyncClient, make: Factory, **options: Any
) -> tuple[tuple[str, str], dict[str, Any]]:
    await make.user()
    reg = await make.client(grant_types=["password"], **options)
    assert reg.client_secret
    auth = (reg.client.client_id, reg.client_secret)
    r = await http.post(
        TOKEN,
        data={
            "grant_type": "password",
            "username": "alice@example.com",
            "password": "correct horse",
        },
        auth=auth,
    )
    assert r.status_code == 200, r.text
    return auth, r.json()


async def _refresh(
    http: httpx.AsyncClient, auth: tuple[str, str], token: str, **extra: str
) -> httpx.Response:
    return await http.post(
        TOKEN, data={"grant_type": "refresh_token", "refresh_token": token, **extra}, auth=auth
    )


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_refresh_rotates_and_old_refresh_token_dies(
    http: httpx.AsyncClient, make: Factory
) -> None:
    auth, first = await _login(http, make)
    r = await _refresh(http, auth, first["refresh_token"])
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["scope"] == "read write"
    assert r.headers["cache-control"] == "no-store"
    r = await _refresh(http, auth, second["refresh_token"])
    assert r.status_code == 200


async def test_reuse_of_a_refresh_token_revokes_the_family(
    http: httpx.AsyncClient, make: Factory
) -> None:
    auth, first = await _login(http, make)
    second = (await _refresh(http, auth, first["refresh_token"])).json()
    reuse = await _refresh(http, auth, first["refresh_token"])
    assert reuse.status_code == 400
    assert reuse.json()["error"] == "invalid_grant"
    # Everything issued in the family is dead: the rotated refresh token and every access token.
    assert (await _refresh(http, auth, second["refresh_token"])).json()["error"] == "invalid_grant"
    for body in (first, second):
        me = await http.get("/api/me", headers=_bearer(body["access_token"]))
        assert me.status_code == 401
        assert 'error="invalid_token"' in me.headers["www-authenticate"]


async def test_narrower_scope_allowed_wider_is_invalid_scope(
    http: httpx.AsyncClient, make: Factory
) -> None:
    auth, first = await _login(http, make, scopes=["read", "write"])
    narrowed = await _refresh(http, auth, first["refresh_token"], scope="read")
    assert narrowed.status_code == 200
    assert narrowed.json()["scope"] == "read"
    # The new refresh token keeps the original grant (§6: identical scope), so it can widen back.
    back = await _refresh(http, auth, narrowed.json()["refresh_token"], scope="read write")
    assert back.status_code == 200
    assert back.json()["scope"] == "read write"


async def test_scope_beyond_the_original_grant_is_invalid_scope(
    http: httpx.AsyncClient, make: Factory
) -> None:
    await make.user()
    reg = await make.client(grant_types=["password"])
    assert reg.client_secret
    auth = (reg.client.client_id, reg.client_secret)
    r = await http.post(
        TOKEN,
        data={
            "grant_type": "password",
            "username": "alice@example.com",
            "password": "correct horse",
            "scope": "read",
        },
        auth=auth,
    )
    wider = await _refresh(http, auth, r.json()["refresh_token"], scope="read write")
    assert wider.status_code == 400
    assert wider.json()["error"] == "invalid_scope"


async def test_refresh_token_of_another_client_is_invalid_grant(
    http: httpx.AsyncClient, make: Factory
) -> None:
    _, first = await _login(http, make)
    other = await make.client(name="Other", grant_types=["password"])
    assert other.client_secret
    r = await _refresh(http, (other.client.client_id, other.client_secret), first["refresh_token"])
    assert r.status_code == 400
    # The same answer as for a token that does not exist: it must not confirm that it does.
    unknown = await _refresh(http, (other.client.client_id, other.client_secret), "1." + "A" * 43)
    assert r.json() == unknown.json()
    assert r.json() == {
        "error": "invalid_grant",
        "error_description": "the refresh token is invalid, expired or revoked",
    }


async def test_malformed_and_unknown_refresh_tokens(http: httpx.AsyncClient, make: Factory) -> None:
    auth, first = await _login(http, make)
    row, _, secret = first["refresh_token"].partition(".")
    for bad in ("garbage", f"{row}.wrong-secret", f"999999.{secret}", "1." + "x" * 300):
        r = await _refresh(http, auth, bad)
        assert r.status_code == 400, bad
        assert r.json()["error"] == "invalid_grant"
    # Failed guesses did not kill the real token.
    assert (await _refresh(http, auth, first["refresh_token"])).status_code == 200


async def test_expired_refresh_token(http: httpx.AsyncClient, make: Factory, clock: Clock) -> None:
    auth, first = await _login(http, make)
    clock.advance(30 * 24 * 3600 + 1)
    r = await _refresh(http, auth, first["refresh_token"])
    assert r.json() == {"error": "invalid_grant", "error_description": "the refresh token expired"}


async def test_concurrent_refreshes_exactly_one_wins(
    http: httpx.AsyncClient, make: Factory
) -> None:
    auth, first = await _login(http, make)
    results = await asyncio.gather(
        *(_refresh(http, auth, first["refresh_token"]) for _ in range(5))
    )
    assert sorted(r.status_code for r in results) == [200, 400, 400, 400, 400]


async def test_client_without_refresh_grant_gets_no_refresh_token(
    http: httpx.AsyncClient, make: Factory
) -> None:
    await make.user()
    reg = await make.client(grant_types=["password"], refresh_policy="none")
    assert reg.client_secret
    r = await http.post(
        TOKEN,
        data={
            "grant_type": "password",
            "username": "alice@example.com",
            "password": "correct horse",
        },
        auth=(reg.client.client_id, reg.client_secret),
    )
    assert "refresh_token" not in r.json()
