"""``/initial-tokens``: RFC 7591 §3 initial access tokens made, listed and revoked over the
admin API, and what each does at ``/oauth/register``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from authgate.audit.events import AuditQuery
from authgate.services import Services
from tests.web.admin_api.conftest import API, Tokens
from tests.web.dcr_support import register

ON = {"dynamic_registration": "initial_token"}
PATH = f"{API}/initial-tokens"


@pytest.mark.parametrize("settings_overrides", [ON])
async def test_a_token_made_over_the_api_registers_until_it_is_revoked(
    http: httpx.AsyncClient, admin: dict[str, str], services: Services, settings_overrides: Any
) -> None:
    made = await http.post(PATH, headers=admin, json={"expires_in": 3600, "max_uses": 2})
    assert made.status_code == 201, made.text
    body = made.json()
    token = body.pop("initial_access_token")
    assert made.headers["Location"] == f"{PATH}/{body['id']}"
    assert made.headers["Cache-Control"] == "no-store"
    assert (body["max_uses"], body["uses"], body["created_by"]) == (2, 0, body["created_by"])
    assert body["expires_at"] == body["created_at"] + 3600

    assert (await register(http, token)).status_code == 201
    shown = await http.get(f"{PATH}/{body['id']}", headers=admin)
    assert shown.json()["uses"] == 1 and "initial_access_token" not in shown.json()
    listed = await http.get(PATH, headers=admin)
    assert [t["id"] for t in listed.json()["items"]] == [body["id"]]

    revoked = await http.delete(f"{PATH}/{body['id']}", headers=admin)
    assert revoked.status_code == 204
    refused = await register(http, token)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"
    assert (await http.delete(f"{PATH}/{body['id']}", headers=admin)).status_code == 404
    assert (await http.get(f"{PATH}/{body['id']}", headers=admin)).status_code == 404
    await services.audit.flush()
    events = [
        e.event for e in (await services.audit.page(AuditQuery(event="initial_token"))).events
    ]
    assert events == ["initial_token.revoked", "initial_token.created"]


async def test_tokens_come_a_page_at_a_time(http: httpx.AsyncClient, admin: dict[str, str]) -> None:
    ids = [(await http.post(PATH, headers=admin, json={})).json()["id"] for _ in range(3)]
    first = await http.get(PATH, headers=admin, params={"limit": 2})
    assert [t["id"] for t in first.json()["items"]] == ids[:2]
    cursor = first.json()["next_cursor"]
    rest = await http.get(PATH, headers=admin, params={"limit": 2, "cursor": cursor})
    assert [t["id"] for t in rest.json()["items"]] == ids[2:]
    assert rest.json()["next_cursor"] is None
    never = await http.post(PATH, headers=admin, json={"expires_in": None})
    assert never.status_code == 201 and never.json()["expires_at"] is None


@pytest.mark.parametrize(
    "body",
    [{"expires_in": 0}, {"expires_in": 10**12}, {"max_uses": 0}, {"uses": 1}, {"max_uses": []}],
)
async def test_bad_values_are_400(
    http: httpx.AsyncClient, admin: dict[str, str], body: dict[str, Any]
) -> None:
    r = await http.post(PATH, headers=admin, json=body)
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"


async def test_scopes(http: httpx.AsyncClient, admin: dict[str, str], token_for: Tokens) -> None:
    """Reading needs authgate:clients:read (or more); making and revoking authgate:clients."""
    made = (await http.post(PATH, headers=admin, json={})).json()
    reader = await token_for("authgate:clients:read")
    users = await token_for("authgate:users")
    assert (await http.get(PATH, headers=reader)).status_code == 200
    assert (await http.get(PATH, headers=users)).status_code == 403
    assert (await http.post(PATH, headers=reader, json={})).status_code == 403
    assert (await http.delete(f"{PATH}/{made['id']}", headers=reader)).status_code == 403
    listed = await http.get(PATH, headers=admin)
    assert [t["id"] for t in listed.json()["items"]] == [made["id"]]
    assert (await http.get(PATH)).status_code == 401
