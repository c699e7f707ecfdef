"""Who may call the admin API: a client-credentials token of an admin client, with one of
the operation's scopes. Everything else is refused, and a refusal changes nothing."""

from __future__ import annotations

import httpx
import pytest

from authgate.audit.events import Actor
from authgate.services import Services
from tests.conftest import Factory
from tests.web.admin_api.conftest import API, Tokens


async def test_no_token_is_401_with_a_bearer_challenge(http: httpx.AsyncClient) -> None:
    answer = await http.get(f"{API}/users")
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith('Bearer realm="')
    assert answer.json()["error"] == "unauthorized"
    assert answer.headers["Cache-Control"] == "no-store"


async def test_a_bad_or_revoked_token_is_401_invalid_token(
    http: httpx.AsyncClient, admin: dict[str, str], services: Services
) -> None:
    bad = await http.get(f"{API}/users", headers={"Authorization": "Bearer 12.nope"})
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_token"
    assert 'error="invalid_token"' in bad.headers["WWW-Authenticate"]
    assert (await http.get(f"{API}/users", headers=admin)).status_code == 200
    # Revoking every token of the admin client ends this one at once.
    clients = await services.clients.all()
    await services.client_admin.revoke_tokens(clients[0], actor=Actor.system())
    assert (await http.get(f"{API}/users", headers=admin)).status_code == 401


@pytest.mark.parametrize(
    ("scope", "method", "path"),
    [
        ("authgate:users:read", "POST", "/users"),
        ("authgate:clients", "POST", "/users"),
        ("authgate:users", "POST", "/clients"),
        ("authgate:spaces:read", "POST", "/spaces"),
        ("authgate:audit:read", "GET", "/users"),
        ("authgate:keys:read", "POST", "/keys/rotate"),
        ("authgate:clients:read", "GET", "/keys"),
    ],
)
async def test_a_token_without_the_scope_is_403_and_changes_nothing(
    http: httpx.AsyncClient,
    token_for: Tokens,
    services: Services,
    scope: str,
    method: str,
    path: str,
) -> None:
    headers = await token_for(scope)
    bodies = {
        "/users": {"email": "eve@example.com", "password": "long enough"},
        "/clients": {"name": "Eve", "grant_types": ["client_credentials"]},
        "/spaces": {"slug": "eve", "name": "Eve"},
    }
    clients_before = len(await services.clients.all())
    keys_before = len(await services.keys.keys())
    answer = await http.request(method, API + path, headers=headers, json=bodies.get(path))
    assert answer.status_code == 403
    assert answer.json()["error"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in answer.headers["WWW-Authenticate"]
    assert await services.users.by_email("eve@example.com") is None
    assert len(await services.clients.all()) == clients_before
    assert await services.spaces.by_slug("eve") is None
    assert len(await services.keys.keys()) == keys_before


async def test_read_scopes_read_and_write_scopes_read_too(
    http: httpx.AsyncClient, token_for: Tokens
) -> None:
    for scope in ("authgate:users:read", "authgate:users", "authgate:admin"):
        answer = await http.get(f"{API}/users", headers=await token_for(scope))
        assert answer.status_code == 200, scope


async def test_a_narrow_token_cannot_escalate(
    http: httpx.AsyncClient, token_for: Tokens, services: Services, make: Factory
) -> None:
    clients_token = await token_for("authgate:clients")
    answer = await http.post(
        f"{API}/clients",
        headers=clients_token,
        json={"name": "Root", "grant_types": ["client_credentials"], "scopes": ["authgate:admin"]},
    )
    assert answer.status_code == 403 and answer.json()["error"] == "insufficient_scope"
    assert [c.name for c in await services.clients.all() if c.name == "Root"] == []
    users_token = await token_for("authgate:users")
    user = await make.user()
    made = await http.post(
        f"{API}/users",
        headers=users_token,
        json={"email": "boss@example.com", "password": "long enough", "is_admin": True},
    )
    assert made.status_code == 403
    read = await http.get(f"{API}/users/{user.id}", headers=users_token)
    patched = await http.patch(
        f"{API}/users/{user.id}",
        headers={**users_token, "If-Match": read.headers["ETag"]},
        json={"is_admin": True},
    )
    assert patched.status_code == 403
    after = await services.users.by_id(user.id)
    assert after is not None and not after.is_admin


async def test_only_admin_tokens_give_reserved_scopes(
    http: httpx.AsyncClient, admin: dict[str, str], services: Services
) -> None:
    answer = await http.post(
        f"{API}/clients",
        headers=admin,
        json={
            "name": "Auditor",
            "grant_types": ["client_credentials"],
            "scopes": ["authgate:audit:read"],
        },
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["scopes"] == ["authgate:audit:read"]
    # Even then only for confidential client-credentials clients: no user token holds them.
    refused = await http.post(
        f"{API}/clients",
        headers=admin,
        json={
            "name": "Web",
            "grant_types": ["authorization_code"],
            "redirect_uris": ["https://app.example/cb"],
            "scopes": ["authgate:admin"],
        },
    )
    assert refused.status_code == 400 and refused.json()["field"] == "scopes"


async def test_the_scope_catalog_and_the_portal_never_offer_reserved_scopes(
    services: Services,
) -> None:
    assert not [s for s in services.settings.scope_catalog if s.startswith("authgate:")]
    assert not [s for s in services.registry.default_scopes if s.startswith("authgate:")]
    with pytest.raises(ValueError, match="reserved"):
        type(services.settings)(**{**services.settings.model_dump(), "scopes": {"authgate:x": "x"}})


async def test_a_token_acting_for_a_user_is_refused(
    http: httpx.AsyncClient, services: Services, make: Factory
) -> None:
    user = await make.user()
    registered = await make.client(grant_types=["client_credentials"])
    issued = await services.minter.issue(
        registered.client, user.id, "read", "password", with_refresh=False
    )
    answer = await http.get(
        f"{API}/users", headers={"Authorization": f"Bearer {issued.access_token}"}
    )
    assert answer.status_code == 403 and answer.json()["error"] == "insufficient_scope"


async def test_an_ordinary_client_token_is_403(http: httpx.AsyncClient, make: Factory) -> None:
    registered = await make.client(grant_types=["client_credentials"])
    assert registered.client_secret is not None
    token = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(registered.client.client_id, registered.client_secret),
    )
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert (await http.get(f"{API}/users", headers=headers)).status_code == 403


async def test_not_served_on_a_space_issuer(
    http: httpx.AsyncClient, admin: dict[str, str], services: Services
) -> None:
    await services.spaces.create("acme", "Acme", (), services.minter.now())
    answer = await http.get(f"/spaces/acme{API}/users", headers=admin)
    assert answer.status_code == 404


async def test_admin_actions_are_audited_with_the_client_and_its_address(
    http: httpx.AsyncClient, admin: dict[str, str], services: Services
) -> None:
    made = await http.post(
        f"{API}/users", headers=admin, json={"email": "ann@example.com", "password": "long enough"}
    )
    assert made.status_code == 201
    events = await http.get(f"{API}/audit", headers=admin, params={"event": "user.created"})
    [event] = events.json()["items"]
    admin_id = next(c.client_id for c in await services.clients.all())
    assert (event["actor_type"], event["actor"]) == ("admin", admin_id)
    assert event["address"] == "127.0.0.1" and event["target"] == "ann@example.com"
