"""``/spaces`` and their members, ``/keys``, ``/audit``."""

from __future__ import annotations

import httpx

from authgate.audit.events import AuditQuery
from authgate.services import Services
from tests.conftest import Factory
from tests.web.admin_api.conftest import API, Tokens


async def test_spaces_and_members(
    http: httpx.AsyncClient, admin: dict[str, str], services: Services, make: Factory
) -> None:
    made = await http.post(
        f"{API}/spaces",
        headers=admin,
        json={"slug": "acme", "name": "Acme", "domains": ["login.acme.test"]},
    )
    assert made.status_code == 201, made.text
    assert made.json()["issuer"].endswith("acme") and made.json()["domains"] == ["login.acme.test"]
    taken = await http.post(f"{API}/spaces", headers=admin, json={"slug": "acme", "name": "B"})
    assert taken.status_code == 409
    bad = await http.post(f"{API}/spaces", headers=admin, json={"slug": "Not A Label", "name": "B"})
    assert bad.status_code == 400 and "DNS label" in bad.json()["error_description"]
    listed = await http.get(f"{API}/spaces", headers=admin)
    assert [s["slug"] for s in listed.json()["items"]] == ["acme"]
    shown = await http.get(f"{API}/spaces/acme", headers=admin)
    assert shown.status_code == 200 and shown.headers["ETag"]
    assert (await http.get(f"{API}/spaces/nope", headers=admin)).status_code == 404

    user = await make.user()
    path = f"{API}/spaces/acme/members/{user.id}"
    added = await http.put(path, headers=admin, json={"role": "admin", "name": "Ann at Acme"})
    assert added.status_code == 201 and added.json()["role"] == "admin"
    # Changing an existing membership needs its ETag.
    assert (await http.put(path, headers=admin, json={"name": "x"})).status_code == 428
    etag = added.headers["ETag"]
    changed = await http.put(
        path, headers={**admin, "If-Match": etag}, json={"phone_number": "+49 30 1"}
    )
    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["phone_number"]) == ("Ann at Acme", "+49 30 1")
    stale = await http.patch(path, headers={**admin, "If-Match": etag}, json={"role": "member"})
    assert stale.status_code == 412
    etag = changed.headers["ETag"]
    patched = await http.patch(
        path, headers={**admin, "If-Match": etag}, json={"revoke_scopes": ["write"]}
    )
    assert patched.status_code == 200 and patched.json()["revoked_scopes"] == ["write"]
    unknown = await http.patch(
        path,
        headers={**admin, "If-Match": patched.headers["ETag"]},
        json={"revoke_scopes": ["nope"]},
    )
    assert unknown.status_code == 400
    members = await http.get(f"{API}/spaces/acme/members", headers=admin)
    assert [m["user_id"] for m in members.json()["items"]] == [user.id]
    assert (await http.delete(path, headers=admin)).status_code == 428
    removed = await http.delete(path, headers={**admin, "If-Match": patched.headers["ETag"]})
    assert removed.status_code == 204
    assert (await http.get(path, headers=admin)).status_code == 404
    acme = await services.spaces.by_slug("acme")
    assert acme is not None and await services.spaces.membership(acme.id, user.id) is None


async def test_a_space_is_renamed_given_domains_and_deleted_with_if_match(
    http: httpx.AsyncClient, admin: dict[str, str], services: Services, make: Factory
) -> None:
    """RFC 9110 §13.1.1 on a resource without a revision column: the ETag is a digest of
    the space as read, and the write runs only while the name and domains are those."""
    made = await http.post(f"{API}/spaces", headers=admin, json={"slug": "acme", "name": "Acme"})
    path = f"{API}/spaces/acme"
    assert (await http.patch(path, headers=admin, json={"name": "Acme Inc"})).status_code == 428
    etag = made.headers["ETag"]
    renamed = await http.patch(
        path,
        headers={**admin, "If-Match": etag},
        json={"name": "Acme Inc", "domains": ["login.acme.test"]},
    )
    assert renamed.status_code == 200, renamed.text
    assert (renamed.json()["name"], renamed.json()["domains"]) == ("Acme Inc", ["login.acme.test"])
    assert renamed.headers["ETag"] != etag
    stale = await http.patch(path, headers={**admin, "If-Match": etag}, json={"name": "Late"})
    assert stale.status_code == 412
    bad = await http.patch(path, headers={**admin, "If-Match": "*"}, json={"name": ""})
    assert bad.status_code == 400
    assert (await services.spaces.by_slug("acme")).name == "Acme Inc"  # type: ignore[union-attr]
    other = await http.post(f"{API}/spaces", headers=admin, json={"slug": "beta", "name": "B"})
    taken = await http.patch(
        f"{API}/spaces/beta",
        headers={**admin, "If-Match": other.headers["ETag"]},
        json={"domains": ["login.acme.test"]},
    )
    assert taken.status_code == 409

    user = await make.user()
    put = await http.put(f"{path}/members/{user.id}", headers=admin, json={"role": "member"})
    assert put.status_code == 201
    assert (await http.delete(path, headers=admin)).status_code == 428
    assert (await http.delete(path, headers={**admin, "If-Match": etag})).status_code == 412
    gone = await http.delete(path, headers={**admin, "If-Match": renamed.headers["ETag"]})
    assert gone.status_code == 204
    assert (await http.get(path, headers=admin)).status_code == 404
    assert await services.spaces.by_slug("acme") is None
    await services.audit.flush()
    events = {e.event for e in (await services.audit.page(AuditQuery(target="acme"))).events}
    assert {"space.updated", "space.deleted"} <= events


async def test_a_narrower_token_cannot_change_a_space(
    http: httpx.AsyncClient, admin: dict[str, str], token_for: Tokens
) -> None:
    made = await http.post(f"{API}/spaces", headers=admin, json={"slug": "acme", "name": "Acme"})
    reader = await token_for("authgate:spaces:read")
    conditional = {**reader, "If-Match": made.headers["ETag"]}
    r = await http.patch(f"{API}/spaces/acme", headers=conditional, json={"name": "X"})
    assert r.status_code == 403
    assert (await http.delete(f"{API}/spaces/acme", headers=conditional)).status_code == 403
    assert (await http.get(f"{API}/spaces/acme", headers=admin)).json()["name"] == "Acme"


async def test_keys_list_and_rotate(
    http: httpx.AsyncClient, admin: dict[str, str], services: Services
) -> None:
    listed = await http.get(f"{API}/keys", headers=admin)
    assert listed.status_code == 200 and listed.headers["ETag"]
    [active] = listed.json()["items"]
    assert active["state"] == "active" and "private" not in str(active)
    rotated = await http.post(f"{API}/keys/rotate", headers=admin, json={"alg": "ES256"})
    assert rotated.status_code == 201, rotated.text
    body = rotated.json()
    assert (
        body["alg"] == "ES256" and body["state"] == "next" and body["replaces"] == [active["kid"]]
    )
    again = await http.get(f"{API}/keys", headers=admin)
    assert again.headers["ETag"] != listed.headers["ETag"]
    assert [k["kid"] for k in again.json()["items"]] == [active["kid"], body["kid"]]
    bad = await http.post(f"{API}/keys/rotate", headers=admin, json={"alg": "none"})
    assert bad.status_code == 400


async def test_audit_filters_since_and_pages(
    http: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    for n in range(3):
        await http.post(
            f"{API}/users",
            headers=admin,
            json={"email": f"u{n}@example.com", "password": "long enough"},
        )
    all_events = await http.get(f"{API}/audit", headers=admin, params={"event": "user"})
    assert [e["target"] for e in all_events.json()["items"]] == [
        "u2@example.com",
        "u1@example.com",
        "u0@example.com",
    ]
    first = await http.get(f"{API}/audit", headers=admin, params={"event": "user", "limit": 2})
    assert len(first.json()["items"]) == 2 and first.json()["next_cursor"]
    rest = await http.get(
        f"{API}/audit",
        headers=admin,
        params={"event": "user", "limit": 2, "cursor": first.json()["next_cursor"]},
    )
    assert [e["target"] for e in rest.json()["items"]] == ["u0@example.com"]
    at = all_events.json()["items"][0]["at"]
    later = await http.get(f"{API}/audit", headers=admin, params={"since": at + 1})
    assert later.json()["items"] == []
    by_target = await http.get(f"{API}/audit", headers=admin, params={"target": "u1@example.com"})
    assert [e["event"] for e in by_target.json()["items"]] == ["user.created"]
