"""RFC 7592 management of dynamically registered clients at their
``registration_client_uri``: read (§2.1), update (§2.2), delete (§2.3), with the
registration access token as a bearer token, which reaches its own client only."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from authgate.audit.events import AuditQuery
from authgate.services import Services
from tests.web.dcr_support import CB, bearer, initial_token, manage_path, registered

pytestmark = [
    pytest.mark.usefixtures("app"),
    pytest.mark.parametrize("settings_overrides", [{"dynamic_registration": "initial_token"}]),
]


@pytest.fixture
async def info(http: httpx.AsyncClient, services: Services) -> Any:
    return await registered(
        http,
        await initial_token(services),
        client_name="Photo Book",
        grant_types=["authorization_code", "client_credentials", "refresh_token"],
        scope="read write",
        client_uri="https://app.example.com",
    )


def auth(info: dict[str, Any]) -> dict[str, str]:
    return bearer(info["registration_access_token"])


def resend(info: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """What a client sends to update: what it was told, with its changes (§2.2)."""
    body = dict(info)
    for name in ("registration_access_token", "registration_client_uri", "client_secret"):
        body.pop(name, None)
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


async def _client_credentials(http: httpx.AsyncClient, info: dict[str, Any]) -> httpx.Response:
    return await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(info["client_id"], info["client_secret"]),
    )


class TestRead:
    async def test_read_answers_the_registration_rfc7592_2_1(
        self, http: httpx.AsyncClient, info: dict[str, Any]
    ) -> None:
        r = await http.get(manage_path(info), headers=auth(info))
        assert r.status_code == 200, r.text
        assert r.headers["cache-control"] == "no-store"
        read = r.json()
        assert "client_secret" not in read  # only its digest is kept
        assert read == {k: v for k, v in info.items() if k != "client_secret"}

    @pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic YTpi", "Bearer "])
    async def test_a_missing_or_wrong_token_is_401_rfc7592_2_1(
        self, http: httpx.AsyncClient, info: dict[str, Any], header: str | None
    ) -> None:
        headers = {} if header is None else {"Authorization": header}
        for method in ("GET", "PUT", "DELETE"):
            r = await http.request(
                method, manage_path(info), headers=headers, json=resend(info, client_name="X")
            )
            assert r.status_code == 401, (method, r.text)
            assert r.json()["error"] == "invalid_token"
            assert r.headers["www-authenticate"].startswith("Bearer")
        assert (await http.get(manage_path(info), headers=auth(info))).json()["client_name"] == (
            "Photo Book"
        )

    async def test_one_clients_token_never_reaches_another(
        self, http: httpx.AsyncClient, services: Services, info: dict[str, Any]
    ) -> None:
        other = await registered(http, await initial_token(services), client_name="Other")
        for method in ("GET", "PUT", "DELETE"):
            r = await http.request(
                method, manage_path(other), headers=auth(info), json=resend(other)
            )
            assert r.status_code == 401, method
        assert (await http.get(manage_path(other), headers=auth(other))).status_code == 200
        assert (await services.registry.get(other["client_id"])).name == "Other"

    async def test_clients_not_registered_here_are_not_managed_here(
        self, http: httpx.AsyncClient, services: Services, info: dict[str, Any]
    ) -> None:
        portal = await services.registry.register("Portal App", grant_types=["client_credentials"])
        path = "/oauth/register/" + portal.client.client_id
        assert (await http.get(path, headers=auth(info))).status_code == 401
        assert (await http.get("/oauth/register/nope", headers=auth(info))).status_code == 401
        assert (await http.get("/oauth/register/%00", headers=auth(info))).status_code == 401


class TestUpdate:
    async def test_update_replaces_the_metadata_and_rotates_the_token_rfc7592_2_2(
        self, http: httpx.AsyncClient, services: Services, info: dict[str, Any]
    ) -> None:
        body = resend(info, client_name="Photo Album", scope="read", client_uri=None)
        body["redirect_uris"] = [CB, "https://app.example.com/other"]
        r = await http.put(manage_path(info), headers=auth(info), json=body)
        assert r.status_code == 200, r.text
        assert r.headers["cache-control"] == "no-store"
        updated = r.json()
        assert updated["client_name"] == "Photo Album"
        assert updated["scope"] == "read"
        assert updated["redirect_uris"] == [CB, "https://app.example.com/other"]
        assert "client_uri" not in updated  # omitted: cleared (§2.2)
        assert "client_secret" not in updated
        new = updated["registration_access_token"]
        assert new != info["registration_access_token"]
        assert (await http.get(manage_path(info), headers=auth(info))).status_code == 401
        assert (await http.get(manage_path(info), headers=bearer(new))).json() == updated
        client = await services.registry.get(info["client_id"])
        assert client.name == "Photo Album" and client.homepage_url is None
        assert (await _client_credentials(http, info)).status_code == 200  # same secret

    async def test_the_same_rules_as_registration(
        self, http: httpx.AsyncClient, services: Services, info: dict[str, Any]
    ) -> None:
        bad_uri = resend(info, redirect_uris=["javascript:alert(1)"])
        r = await http.put(manage_path(info), headers=auth(info), json=bad_uri)
        assert r.status_code == 400 and r.json()["error"] == "invalid_redirect_uri"
        bad_scope = resend(info, scope="read nonsense")
        r = await http.put(manage_path(info), headers=auth(info), json=bad_scope)
        assert r.status_code == 400 and r.json()["error"] == "invalid_client_metadata"
        # a refused update changes nothing, and the token stays the client's
        read = await http.get(manage_path(info), headers=auth(info))
        assert read.status_code == 200
        assert read.json()["scope"] == "read write"

    @pytest.mark.parametrize(
        ("changes", "says"),
        [
            ({"client_id": "someone-else"}, "client_id"),
            ({"client_id": None}, "client_id"),
            ({"client_secret": "not the secret"}, "client_secret"),
            ({"token_endpoint_auth_method": "none"}, "public"),
        ],
    )
    async def test_client_id_must_match_and_a_secret_must_be_its_own_rfc7592_2_2(
        self, http: httpx.AsyncClient, info: dict[str, Any], changes: dict[str, Any], says: str
    ) -> None:
        r = await http.put(manage_path(info), headers=auth(info), json=resend(info, **changes))
        assert r.status_code == 400, r.text
        assert r.json()["error"] == "invalid_client_metadata"
        assert says in r.json()["error_description"]
        assert (await http.get(manage_path(info), headers=auth(info))).status_code == 200

    async def test_its_own_secret_may_be_repeated(
        self, http: httpx.AsyncClient, info: dict[str, Any]
    ) -> None:
        body = resend(info, client_secret=info["client_secret"])
        body["token_endpoint_auth_method"] = "client_secret_post"
        r = await http.put(manage_path(info), headers=auth(info), json=body)
        assert r.status_code == 200, r.text
        assert r.json()["token_endpoint_auth_method"] == "client_secret_post"

    async def test_two_updates_with_one_token_one_wins(
        self, http: httpx.AsyncClient, info: dict[str, Any]
    ) -> None:
        answers = await asyncio.gather(
            *(
                http.put(
                    manage_path(info), headers=auth(info), json=resend(info, client_name=f"N{n}")
                )
                for n in range(10)
            )
        )
        assert sorted(r.status_code for r in answers) == [200] + [401] * 9

    async def test_hostile_bodies_are_400(
        self, http: httpx.AsyncClient, info: dict[str, Any]
    ) -> None:
        for body in (b"[]", b"{", b'{"client_id": 1}', b'{"redirect_uris": 5}'):
            r = await http.put(
                manage_path(info),
                content=body,
                headers={**auth(info), "Content-Type": "application/json"},
            )
            assert r.status_code == 400, body
        assert (await http.get(manage_path(info), headers=auth(info))).status_code == 200


class TestDelete:
    async def test_delete_is_204_and_the_clients_tokens_die_rfc7592_2_3(
        self, http: httpx.AsyncClient, services: Services, info: dict[str, Any]
    ) -> None:
        token = (await _client_credentials(http, info)).json()["access_token"]
        assert (await http.get("/api/spaces", headers=bearer(token))).status_code == 200
        r = await http.delete(manage_path(info), headers=auth(info))
        assert r.status_code == 204 and r.content == b""
        assert (await http.get("/api/spaces", headers=bearer(token))).status_code == 401
        assert (await _client_credentials(http, info)).status_code == 401
        # §2.1: a client that is no more is a 401, its registration token dead
        assert (await http.get(manage_path(info), headers=auth(info))).status_code == 401
        assert (await http.delete(manage_path(info), headers=auth(info))).status_code == 401
        assert await services.clients.by_client_id(info["client_id"]) is None


async def test_update_and_delete_are_audited_as_the_client(
    http: httpx.AsyncClient, services: Services, info: dict[str, Any]
) -> None:
    r = await http.put(manage_path(info), headers=auth(info), json=resend(info, client_name="New"))
    assert r.status_code == 200
    new = r.json()["registration_access_token"]
    assert (await http.delete(manage_path(info), headers=bearer(new))).status_code == 204
    await services.audit.flush()
    events = (await services.audit.page(AuditQuery(event="client"))).events
    assert [e.event for e in events] == ["client.deleted", "client.updated", "client.created"]
    for e in events[:2]:
        assert (e.actor.type, e.actor.name, e.actor.address) == (
            "client",
            info["client_id"],
            "127.0.0.1",
        )
        assert e.target == info["client_id"]
    assert events[1].details == {"name": "New"}
    text = str([e.to_dict() for e in events])
    assert info["registration_access_token"] not in text and new not in text
