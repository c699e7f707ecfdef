"""``/clients``: create, list, show, update (If-Match), rotate the secret, list and revoke
tokens, delete (If-Match)."""

from __future__ import annotations

import httpx

from authgate.services import Services
from tests.web.admin_api.conftest import API

TOKEN = "/oauth/token"


async def token(http: httpx.AsyncClient, client_id: str, secret: str) -> httpx.Response:
    return await http.post(
        TOKEN, data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )


async def test_create_show_update_delete(
    http: httpx.AsyncClient, admin: dict[str, str], services: Services
) -> None:
    made = await http.post(
        f"{API}/clients",
        headers=admin,
        json={"name": "Billing", "grant_types": ["client_credentials"], "scopes": ["read"]},
    )
    assert made.status_code == 201, made.text
    body = made.json()
    client_id, secret = body["client_id"], body["client_secret"]
    assert body["type"] == "confidential" and body["scopes"] == ["read"]
    assert made.headers["Location"] == f"{API}/clients/{client_id}"
    assert (await token(http, client_id, secret)).status_code == 200

    shown = await http.get(f"{API}/clients/{client_id}", headers=admin)
    assert shown.status_code == 200 and "client_secret" not in shown.json()
    etag = shown.headers["ETag"]
    assert etag == made.headers["ETag"]

    # An update needs If-Match: without it 428, with another revision 412.
    change = {"name": "Billing v2"}
    missing = await http.patch(f"{API}/clients/{client_id}", headers=admin, json=change)
    assert missing.status_code == 428 and missing.json()["error"] == "precondition_required"
    stale = etag.replace('.1"', '.9"')
    wrong = await http.patch(
        f"{API}/clients/{client_id}", headers={**admin, "If-Match": stale}, json=change
    )
    assert wrong.status_code == 412 and wrong.json()["error"] == "precondition_failed"
    updated = await http.patch(
        f"{API}/clients/{client_id}", headers={**admin, "If-Match": etag}, json=change
    )
    assert updated.status_code == 200 and updated.json()["name"] == "Billing v2"
    assert updated.headers["ETag"] != etag
    again = await http.patch(
        f"{API}/clients/{client_id}", headers={**admin, "If-Match": etag}, json={"name": "x"}
    )
    assert again.status_code == 412

    gone = await http.delete(f"{API}/clients/{client_id}", headers=admin)
    assert gone.status_code == 428
    gone = await http.delete(
        f"{API}/clients/{client_id}", headers={**admin, "If-Match": updated.headers["ETag"]}
    )
    assert gone.status_code == 204
    assert (await http.get(f"{API}/clients/{client_id}", headers=admin)).status_code == 404
    assert (await token(http, client_id, secret)).status_code == 401


async def test_registration_rules_are_the_registry_s(
    http: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    answer = await http.post(
        f"{API}/clients", headers=admin, json={"name": "Web", "grant_types": ["authorization_code"]}
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"
    assert answer.json()["field"] == "redirect_uris"
    unknown = await http.post(
        f"{API}/clients", headers=admin, json={"name": "X", "grant_types": ["magic"]}
    )
    assert unknown.status_code == 400 and unknown.json()["field"] == "grant_types"


async def test_rotate_secret_ends_the_old_one(
    http: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    made = (
        await http.post(
            f"{API}/clients",
            headers=admin,
            json={"name": "A", "grant_types": ["client_credentials"]},
        )
    ).json()
    rotated = await http.post(f"{API}/clients/{made['client_id']}/secret", headers=admin)
    assert rotated.status_code == 200
    new = rotated.json()["client_secret"]
    assert new != made["client_secret"]
    assert (await token(http, made["client_id"], made["client_secret"])).status_code == 401
    assert (await token(http, made["client_id"], new)).status_code == 200
    public = (
        await http.post(
            f"{API}/clients",
            headers=admin,
            json={
                "name": "SPA",
                "public": True,
                "redirect_uris": ["https://spa.example/cb"],
            },
        )
    ).json()
    assert public["client_secret"] is None
    refused = await http.post(f"{API}/clients/{public['client_id']}/secret", headers=admin)
    assert refused.status_code == 400


async def test_list_pages_and_tokens_revoke_all(
    http: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    made = []
    for n in range(3):
        answer = await http.post(
            f"{API}/clients",
            headers=admin,
            json={"name": f"App {n}", "grant_types": ["client_credentials"]},
        )
        made.append(answer.json())
    first = await http.get(f"{API}/clients", headers=admin, params={"limit": 2})
    page = first.json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    assert first.headers["Link"].startswith(f"<http://testserver{API}/clients?limit=2&cursor=")
    assert first.headers["Link"].endswith('>; rel="next"')
    # Lists are reads too: an ETag (a digest of the page), and never cached.
    assert first.headers["ETag"].startswith('"') and first.headers["Cache-Control"] == "no-store"
    rest = await http.get(
        f"{API}/clients", headers=admin, params={"limit": 2, "cursor": page["next_cursor"]}
    )
    names = [c["name"] for c in page["items"] + rest.json()["items"]]
    assert names[1:] == ["App 0", "App 1", "App 2"]  # the admin client is the first
    assert rest.json()["next_cursor"] is None and "Link" not in rest.headers

    app = made[0]
    for _ in range(3):
        assert (await token(http, app["client_id"], app["client_secret"])).status_code == 200
    tokens = await http.get(f"{API}/clients/{app['client_id']}/tokens", headers=admin)
    assert len(tokens.json()["items"]) == 3
    assert {"id", "scope", "grant_type", "issued_at"} <= set(tokens.json()["items"][0])
    assert not any("secret" in key for key in tokens.json()["items"][0])
    paged = await http.get(
        f"{API}/clients/{app['client_id']}/tokens", headers=admin, params={"limit": 2}
    )
    assert len(paged.json()["items"]) == 2 and paged.json()["next_cursor"]
    revoked = await http.delete(f"{API}/clients/{app['client_id']}/tokens", headers=admin)
    assert revoked.status_code == 200 and revoked.json() == {"revoked": 3}
    empty = await http.get(f"{API}/clients/{app['client_id']}/tokens", headers=admin)
    assert empty.json()["items"] == []


async def test_unknown_client_is_404(http: httpx.AsyncClient, admin: dict[str, str]) -> None:
    for method, path in [
        ("GET", "/clients/nope"),
        ("POST", "/clients/nope/secret"),
        ("GET", "/clients/nope/tokens"),
        ("DELETE", "/clients/nope/tokens"),
    ]:
        answer = await http.request(method, API + path, headers=admin)
        assert answer.status_code == 404, (method, path)
        assert answer.json()["error"] == "not_found"
