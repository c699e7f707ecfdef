"""RFC 6749 §4.4 client credentials, §2.3 client authentication and §5 responses."""

from __future__ import annotations

import base64

import httpx

from tests.conftest import Factory

TOKEN = "/oauth/token"


async def test_basic_auth_issues_bearer_token_without_refresh(
    http: httpx.AsyncClient, make: Factory
) -> None:
    reg = await make.client(scopes=["read"])
    assert reg.client_secret
    r = await http.post(
        TOKEN,
        data={"grant_type": "client_credentials"},
        auth=(reg.client.client_id, reg.client_secret),
    )
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "read"
    assert "refresh_token" not in body  # §4.4.3
    assert r.headers["cache-control"] == "no-store"  # §5.1
    assert r.headers["pragma"] == "no-cache"
    me = await http.get("/api/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json() == {
        "type": "client",
        "client_id": reg.client.client_id,
        "name": "Test App",
        "scope": "read",
    }


async def test_client_secret_post(http: httpx.AsyncClient, make: Factory) -> None:
    reg = await make.client()
    r = await http.post(
        TOKEN,
        data={
            "grant_type": "client_credentials",
            "client_id": reg.client.client_id,
            "client_secret": reg.client_secret,
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == "read write"


async def test_basic_credentials_are_form_decoded_rfc6749_2_3_1(
    http: httpx.AsyncClient, make: Factory
) -> None:
    reg = await make.client()
    raw = f"{reg.client.client_id}:{reg.client_secret}".replace("-", "%2D")
    header = "Basic " + base64.b64encode(raw.encode()).decode()
    r = await http.post(
        TOKEN, data={"grant_type": "client_credentials"}, headers={"Authorization": header}
    )
    assert r.status_code == 200, r.text


async def test_wrong_secret_is_401_invalid_client_with_basic_challenge_rfc6749_5_2(
    http: httpx.AsyncClient, make: Factory
) -> None:
    reg = await make.client()
    r = await http.post(
        TOKEN, data={"grant_type": "client_credentials"}, auth=(reg.client.client_id, "nope")
    )
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"
    assert r.headers["www-authenticate"].startswith("Basic")
    assert r.headers["cache-control"] == "no-store"


async def test_unknown_client_post_is_401_invalid_client(http: httpx.AsyncClient) -> None:
    r = await http.post(
        TOKEN, data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"}
    )
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"


async def test_confidential_client_without_secret_is_invalid_client(
    http: httpx.AsyncClient, make: Factory
) -> None:
    reg = await make.client()
    r = await http.post(
        TOKEN, data={"grant_type": "client_credentials", "client_id": reg.client.client_id}
    )
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"


async def test_two_authentication_methods_are_rejected_rfc6749_2_3(
    http: httpx.AsyncClient, make: Factory
) -> None:
    reg = await make.client()
    assert reg.client_secret
    r = await http.post(
        TOKEN,
        data={"grant_type": "client_credentials", "client_secret": reg.client_secret},
        auth=(reg.client.client_id, reg.client_secret),
    )
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_request"


async def test_grant_not_registered_is_unauthorized_client(
    http: httpx.AsyncClient, make: Factory
) -> None:
    reg = await make.client(grant_types=["password"])
    assert reg.client_secret
    r = await http.post(
        TOKEN,
        data={"grant_type": "client_credentials"},
        auth=(reg.client.client_id, reg.client_secret),
    )
    assert r.status_code == 400
    assert r.json()["error"] == "unauthorized_client"


async def test_unknown_grant_type_is_unsupported_grant_type(http: httpx.AsyncClient) -> None:
    r = await http.post(TOKEN, data={"grant_type": "urn:example:magic"})
    assert r.status_code == 400
    assert r.json()["error"] == "unsupported_grant_type"


async def test_scope_outside_client_scopes_is_invalid_scope(
    http: httpx.AsyncClient, make: Factory
) -> None:
    reg = await make.client(scopes=["read"])
    assert reg.client_secret
    r = await http.post(
        TOKEN,
        data={"grant_type": "client_credentials", "scope": "read write"},
        auth=(reg.client.client_id, reg.client_secret),
    )
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_scope"


async def test_narrower_scope_is_granted(http: httpx.AsyncClient, make: Factory) -> None:
    reg = await make.client()
    assert reg.client_secret
    r = await http.post(
        TOKEN,
        data={"grant_type": "client_credentials", "scope": "write"},
        auth=(reg.client.client_id, reg.client_secret),
    )
    assert r.json()["scope"] == "write"


async def test_non_expiring_client_tokens_omit_expires_in(
    http: httpx.AsyncClient, make: Factory
) -> None:
    reg = await make.client(token_lifetime=0)
    assert reg.client_secret
    r = await http.post(
        TOKEN,
        data={"grant_type": "client_credentials"},
        auth=(reg.client.client_id, reg.client_secret),
    )
    assert r.status_code == 200
    assert "expires_in" not in r.json()


async def test_deleted_client_and_rotated_secret_stop_working(
    http: httpx.AsyncClient, make: Factory
) -> None:
    reg = await make.client()
    assert reg.client_secret
    auth = (reg.client.client_id, reg.client_secret)
    token = (await http.post(TOKEN, data={"grant_type": "client_credentials"}, auth=auth)).json()
    services = make.services
    new_secret = await services.registry.rotate_secret(reg.client.client_id)
    r = await http.post(TOKEN, data={"grant_type": "client_credentials"}, auth=auth)
    assert r.status_code == 401
    r = await http.post(
        TOKEN, data={"grant_type": "client_credentials"}, auth=(reg.client.client_id, new_secret)
    )
    assert r.status_code == 200
    await services.registry.delete(reg.client.client_id)
    r = await http.post(
        TOKEN, data={"grant_type": "client_credentials"}, auth=(reg.client.client_id, new_secret)
    )
    assert r.status_code == 401
    me = await http.get("/api/me", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert me.status_code == 401


async def test_other_methods_get_an_rfc_error_not_a_bare_405(http: httpx.AsyncClient) -> None:
    for method in ("PUT", "DELETE", "PATCH"):
        r = await http.request(method, TOKEN)
        assert r.status_code == 400
        assert r.json()["error"] == "invalid_request"
        assert r.headers["cache-control"] == "no-store"


async def test_client_authentication_failures_are_indistinguishable_rfc6749_5_2(
    http: httpx.AsyncClient, make: Factory
) -> None:
    """Whether a client exists, or is public or confidential, is not told by the answer:
    every failure is the same 401 ``invalid_client`` with the same description."""
    confidential = await make.client()
    public = await make.client(
        name="Public",
        public=True,
        grant_types=["authorization_code"],
        redirect_uris=["https://a.example/cb"],
    )
    assert confidential.client_secret
    cid, pid = confidential.client.client_id, public.client.client_id
    grant = {"grant_type": "client_credentials"}
    attempts: dict[str, tuple[dict[str, str], tuple[str, str] | None]] = {
        "unknown, post": ({"client_id": "nobody", "client_secret": "x"}, None),
        "unknown, no secret": ({"client_id": "nobody"}, None),
        "unknown, basic": ({}, ("nobody", "x")),
        "wrong secret, post": ({"client_id": cid, "client_secret": "x"}, None),
        "wrong secret, basic": ({}, (cid, "x")),
        "confidential without secret": ({"client_id": cid}, None),
        "public with secret, post": ({"client_id": pid, "client_secret": "x"}, None),
        "public with secret, basic": ({}, (pid, "x")),
        "no client_id": ({}, None),
        "basic and another client_id": ({"client_id": pid}, (cid, confidential.client_secret)),
        "client_id with NUL": ({}, ("a\x00b", "x")),
        "huge client_id": ({}, ("x" * 5000, "x")),
    }
    bodies = {}
    for what, (data, auth) in attempts.items():
        r = await http.post(TOKEN, data={**grant, **data}, auth=auth)
        assert r.status_code == 401, (what, r.text)
        assert r.headers["www-authenticate"] == 'Basic realm="token", charset="UTF-8"', what
        bodies[what] = r.json()
    expected = {"error": "invalid_client", "error_description": "client authentication failed"}
    assert bodies == dict.fromkeys(attempts, expected)


async def test_client_secret_post_failure_carries_the_basic_challenge_rfc9110_15_5_2(
    http: httpx.AsyncClient, make: Factory
) -> None:
    """A 401 MUST carry ``WWW-Authenticate``, also when the client used the form body (the
    README shows this answer)."""
    reg = await make.client()
    r = await http.post(
        TOKEN,
        data={
            "grant_type": "client_credentials",
            "client_id": reg.client.client_id,
            "client_secret": "not-the-secret",
        },
    )
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == 'Basic realm="token", charset="UTF-8"'
    assert r.json() == {
        "error": "invalid_client",
        "error_description": "client authentication failed",
    }
