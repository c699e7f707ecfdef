"""``/users``: create, search and page, show, update (If-Match), the admin role, disable
and enable, set a password, delete (If-Match), and what a user holds: sessions, grants."""

from __future__ import annotations

import httpx

from authgate.crypto.tokens import digest
from authgate.services import Services
from tests.conftest import Factory
from tests.web.admin_api.conftest import API


async def create(http: httpx.AsyncClient, admin: dict[str, str], email: str) -> httpx.Response:
    return await http.post(
        f"{API}/users", headers=admin, json={"email": email, "password": "long enough"}
    )


async def test_create_show_update_with_if_match(
    http: httpx.AsyncClient, admin: dict[str, str], services: Services
) -> None:
    made = await create(http, admin, "Ann@Example.com")
    assert made.status_code == 201
    user = made.json()
    assert user["email"] == "ann@example.com" and user["is_admin"] is False
    assert "password" not in str(user).lower()
    taken = await create(http, admin, "ann@example.com")
    assert taken.status_code == 409 and taken.json()["error"] == "conflict"

    shown = await http.get(f"{API}/users/{user['id']}", headers=admin)
    etag = shown.headers["ETag"]
    assert etag == f'"user.{user["id"]}.1"'
    no_match = await http.patch(f"{API}/users/{user['id']}", headers=admin, json={"name": "A"})
    assert no_match.status_code == 428
    updated = await http.patch(
        f"{API}/users/{user['id']}",
        headers={**admin, "If-Match": etag},
        json={"name": "Ann", "is_admin": True, "email_verified": True},
    )
    assert updated.status_code == 200, updated.text
    assert (updated.json()["name"], updated.json()["is_admin"]) == ("Ann", True)
    assert updated.headers["ETag"] == f'"user.{user["id"]}.2"'
    stale = await http.patch(
        f"{API}/users/{user['id']}", headers={**admin, "If-Match": etag}, json={"name": "B"}
    )
    assert stale.status_code == 412
    # Another user's ETag is not this one's; "*" is any revision.
    other = (await create(http, admin, "bob@example.com")).json()
    foreign = await http.patch(
        f"{API}/users/{user['id']}",
        headers={**admin, "If-Match": f'"user.{other["id"]}.1"'},
        json={"name": "C"},
    )
    assert foreign.status_code == 412
    star = await http.patch(
        f"{API}/users/{user['id']}", headers={**admin, "If-Match": "*"}, json={"name": "D"}
    )
    assert star.status_code == 200 and star.json()["name"] == "D"
    taken = await http.patch(
        f"{API}/users/{user['id']}",
        headers={**admin, "If-Match": "*"},
        json={"email": "bob@example.com"},
    )
    assert taken.status_code == 409
    stored = await services.users.by_id(user["id"])
    assert stored is not None and stored.is_admin and stored.name == "D"


async def test_search_and_pages(http: httpx.AsyncClient, admin: dict[str, str]) -> None:
    for name in ("ann", "bob", "cat_x", "dan", "eve"):
        await create(http, admin, f"{name}@example.com")
    first = await http.get(f"{API}/users", headers=admin, params={"limit": 2})
    page = first.json()
    assert [u["email"] for u in page["items"]] == ["ann@example.com", "bob@example.com"]
    seen = [u["email"] for u in page["items"]]
    cursor = page["next_cursor"]
    while cursor:
        answer = await http.get(
            f"{API}/users", headers=admin, params={"limit": 2, "cursor": cursor}
        )
        seen += [u["email"] for u in answer.json()["items"]]
        cursor = answer.json()["next_cursor"]
    assert len(seen) == 5 and len(set(seen)) == 5
    found = await http.get(f"{API}/users", headers=admin, params={"search": "T_X"})
    assert [u["email"] for u in found.json()["items"]] == ["cat_x@example.com"]
    assert (await http.get(f"{API}/users", headers=admin, params={"search": "a_n"})).json()[
        "items"
    ] == []


async def test_disable_enable_password_delete(
    http: httpx.AsyncClient, admin: dict[str, str], services: Services, make: Factory
) -> None:
    user = (await create(http, admin, "ann@example.com")).json()
    disabled = await http.post(f"{API}/users/{user['id']}/disable", headers=admin)
    assert disabled.status_code == 200
    assert disabled.json()["user"]["active"] is False
    assert set(disabled.json()["revoked"]) == {
        "sessions",
        "access_tokens",
        "refresh_tokens",
        "codes",
    }
    enabled = await http.post(f"{API}/users/{user['id']}/enable", headers=admin)
    assert enabled.json()["active"] is True
    short = await http.put(
        f"{API}/users/{user['id']}/password", headers=admin, json={"password": "x"}
    )
    assert short.status_code == 400
    done = await http.put(
        f"{API}/users/{user['id']}/password", headers=admin, json={"password": "a new long one"}
    )
    assert done.status_code == 204
    # A user who owns clients is deleted only when told what becomes of them.
    await make.client(owner_email="ann@example.com")
    etag = (await http.get(f"{API}/users/{user['id']}", headers=admin)).headers["ETag"]
    refused = await http.delete(f"{API}/users/{user['id']}", headers={**admin, "If-Match": etag})
    assert refused.status_code == 409
    assert (await http.delete(f"{API}/users/{user['id']}", headers=admin)).status_code == 428
    deleted = await http.delete(
        f"{API}/users/{user['id']}",
        headers={**admin, "If-Match": etag},
        params={"owned_clients": "delete"},
    )
    assert deleted.status_code == 204
    assert (await http.get(f"{API}/users/{user['id']}", headers=admin)).status_code == 404
    assert [c for c in await services.clients.all() if c.name == "Test App"] == []


async def test_sessions_list_and_revoke(
    http: httpx.AsyncClient, admin: dict[str, str], services: Services, make: Factory
) -> None:
    user = await make.user()
    now = services.minter.now()
    store = services.sessions._sessions  # the session store the sign-in page writes to
    first = await store.create(digest("s1"), user.id, now, now + 3600)
    await store.create(digest("s2"), user.id, now, now + 3600)
    listed = await http.get(f"{API}/users/{user.id}/sessions", headers=admin)
    assert [s["id"] for s in listed.json()["items"]] == [first, first + 1]
    one = await http.delete(f"{API}/users/{user.id}/sessions/{first}", headers=admin)
    assert one.status_code == 200
    assert (
        await http.delete(f"{API}/users/{user.id}/sessions/{first}", headers=admin)
    ).status_code == 404
    rest = await http.delete(f"{API}/users/{user.id}/sessions", headers=admin)
    assert rest.json() == {"revoked": 1}
    assert (await http.get(f"{API}/users/{user.id}/sessions", headers=admin)).json()["items"] == []


async def test_grants_and_consents_list_and_revoke(
    http: httpx.AsyncClient, admin: dict[str, str], services: Services, make: Factory
) -> None:
    user = await make.user()
    registered = await make.client(grant_types=["client_credentials"])
    app, app_secret = registered.client, registered.client_secret or ""
    other = (await make.client(name="Other", grant_types=["client_credentials"])).client
    consents = services.authorize._consents
    now = services.minter.now()
    await consents.grant(user.id, app.pk, frozenset({"read"}), now)
    await consents.grant(user.id, other.pk, frozenset({"write"}), now)
    issued = await services.minter.issue(
        app, user.id, "read", "authorization_code", with_refresh=False
    )
    grants = await http.get(f"{API}/users/{user.id}/grants", headers=admin)
    assert {g["client_id"] for g in grants.json()["items"]} == {app.client_id, other.client_id}
    listed = await http.get(f"{API}/consents", headers=admin, params={"limit": 1})
    assert len(listed.json()["items"]) == 1 and listed.json()["next_cursor"]
    rest = await http.get(
        f"{API}/consents", headers=admin, params={"cursor": listed.json()["next_cursor"]}
    )
    assert len(rest.json()["items"]) == 1 and rest.json()["next_cursor"] is None
    of_app = await http.get(f"{API}/consents", headers=admin, params={"client_id": app.client_id})
    assert [c["scopes"] for c in of_app.json()["items"]] == [["read"]]

    revoked = await http.delete(f"{API}/consents/{user.id}/{app.client_id}", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked"] >= 1
    check = await http.post(
        "/oauth/introspect",
        data={"token": issued.access_token},
        auth=(app.client_id, app_secret),
    )
    assert check.json() == {"active": False}
    left = await http.get(f"{API}/users/{user.id}/grants", headers=admin)
    assert [g["client_id"] for g in left.json()["items"]] == [other.client_id]
    all_gone = await http.delete(f"{API}/users/{user.id}/grants", headers=admin)
    assert all_gone.status_code == 200
    assert (await http.get(f"{API}/consents", headers=admin)).json()["items"] == []
    missing = await http.delete(f"{API}/users/{user.id}/grants/nope", headers=admin)
    assert missing.status_code == 404
