"""RFC 6749 §4.3 resource owner password credentials (seed 000's "app flow")."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Factory

TOKEN = "/oauth/token"


async def _password_client(make: Factory, **options: Any) -> tuple[str, str]:
    reg = await make.client(grant_types=["password"], **options)
    assert reg.client_secret
    return reg.client.client_id, reg.client_secret


async def test_password_grant_issues_user_token_with_refresh(
    http: httpx.AsyncClient, make: Factory
) -> None:
    user = await make.user()
    auth = await _password_client(make)
    r = await http.post(
        TOKEN,
        data={
            "grant_type": "password",
            "username": "Alice@Example.com",
            "password": "correct horse",
            "scope": "read",
        },
        auth=auth,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["scope"] == "read"
    assert body["refresh_token"]
    me = await http.get("/api/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json() == {
        "type": "user",
        "id": user.id,
        "email": "alice@example.com",
        "name": "Alice",
        "scope": "read",
    }


async def test_seed000_cobot_app_flow_with_post_credentials_and_never_expiring_token(
    http: httpx.AsyncClient, make: Factory
) -> None:
    await make.user()
    client_id, secret = await _password_client(make, token_lifetime=0, refresh_policy="none")
    r = await http.post(
        TOKEN,
        data={
            "scope": "read write",
            "grant_type": "password",
            "username": "alice@example.com",
            "password": "correct horse",
            "client_id": client_id,
            "client_secret": secret,
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer"
    assert "expires_in" not in body
    assert "refresh_token" not in body


async def test_password_grant_is_off_unless_client_allows_it(
    http: httpx.AsyncClient, make: Factory
) -> None:
    await make.user()
    reg = await make.client(grant_types=["client_credentials"])
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
    assert r.status_code == 400
    assert r.json()["error"] == "unauthorized_client"


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice@example.com", "wrong"), ("nobody@example.com", "correct horse")],
    ids=["wrong-password", "unknown-user"],
)
async def test_unknown_user_and_wrong_password_get_one_error(
    http: httpx.AsyncClient, make: Factory, username: str, password: str
) -> None:
    await make.user()
    auth = await _password_client(make)
    r = await http.post(
        TOKEN,
        data={"grant_type": "password", "username": username, "password": password},
        auth=auth,
    )
    assert r.status_code == 400
    assert r.json() == {
        "error": "invalid_grant",
        "error_description": "the e-mail address or password is not correct",
    }


@pytest.mark.parametrize("missing", ["username", "password"])
async def test_missing_credentials_are_invalid_request(
    http: httpx.AsyncClient, make: Factory, missing: str
) -> None:
    auth = await _password_client(make)
    data = {"grant_type": "password", "username": "a@example.com", "password": "pw"}
    del data[missing]
    r = await http.post(TOKEN, data=data, auth=auth)
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_request"
    assert missing in r.json()["error_description"]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"password_max_failures": 3, "password_failure_window": 60}


async def test_repeated_failures_for_one_account_are_throttled(
    http: httpx.AsyncClient, make: Factory
) -> None:
    await make.user()
    auth = await _password_client(make)
    wrong = {"grant_type": "password", "username": "alice@example.com", "password": "wrong"}
    for _ in range(3):
        assert (await http.post(TOKEN, data=wrong, auth=auth)).json()["error"] == "invalid_grant"
    right = {**wrong, "password": "correct horse"}
    r = await http.post(TOKEN, data=right, auth=auth)
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_grant"
    assert "too many failed attempts" in r.json()["error_description"]
    assert 0 < int(r.headers["retry-after"]) <= 60
    # Another account is not affected.
    await make.user("bob@example.com")
    r = await http.post(TOKEN, data={**right, "username": "bob@example.com"}, auth=auth)
    assert r.status_code == 200
