"""RFC 7009 token revocation at ``POST /oauth/revoke``."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from authgate.protocol.registration import Registered
from authgate.services import Services
from tests.conftest import Factory
from tests.web.oidc_support import space_with_member
from tests.web.token_support import client_auth, password_tokens

REVOKE = "/oauth/revoke"


@pytest.fixture
async def app_client(make: Factory) -> Registered:
    await make.user()
    return await make.client(grant_types=["password", "refresh_token"])


async def _works(http: httpx.AsyncClient, access_token: str) -> bool:
    r = await http.get("/api/me", headers={"Authorization": f"Bearer {access_token}"})
    return r.status_code == 200


async def _refreshes(http: httpx.AsyncClient, reg: Registered, refresh_token: str) -> bool:
    r = await http.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=client_auth(reg),
    )
    return r.status_code == 200


@pytest.mark.parametrize("hint", [None, "access_token", "refresh_token", "something_else"])
async def test_an_access_token_is_revoked_whatever_the_hint_says_rfc7009_2_1(
    http: httpx.AsyncClient, app_client: Registered, hint: str | None
) -> None:
    tokens = await password_tokens(http, app_client)
    data = {"token": tokens["access_token"]}
    if hint:
        data["token_type_hint"] = hint
    r = await http.post(REVOKE, data=data, auth=client_auth(app_client))
    assert r.status_code == 200 and r.content == b""
    assert r.headers["cache-control"] == "no-store"
    assert not await _works(http, tokens["access_token"])
    assert await _refreshes(http, app_client, tokens["refresh_token"])  # only the access token


async def test_revoking_a_refresh_token_revokes_its_grant_rfc7009_2_1(
    http: httpx.AsyncClient, app_client: Registered
) -> None:
    tokens = await password_tokens(http, app_client)
    r = await http.post(
        REVOKE,
        data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
        auth=client_auth(app_client),
    )
    assert r.status_code == 200
    assert not await _refreshes(http, app_client, tokens["refresh_token"])
    assert not await _works(http, tokens["access_token"])


@pytest.mark.parametrize(
    "token", ["1.unknown", "x" * 300, "99999.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]
)
async def test_unknown_tokens_get_200_rfc7009_2_2(
    http: httpx.AsyncClient, app_client: Registered, token: str
) -> None:
    r = await http.post(REVOKE, data={"token": token}, auth=client_auth(app_client))
    assert r.status_code == 200


async def test_a_client_cannot_revoke_another_clients_token(
    http: httpx.AsyncClient, app_client: Registered, make: Factory
) -> None:
    tokens = await password_tokens(http, app_client)
    other = await make.client(grant_types=["client_credentials"])
    for token in (tokens["access_token"], tokens["refresh_token"]):
        r = await http.post(REVOKE, data={"token": token}, auth=client_auth(other))
        assert r.status_code == 200  # the same answer as for an unknown token
    assert await _works(http, tokens["access_token"])
    assert await _refreshes(http, app_client, tokens["refresh_token"])


async def test_a_public_client_revokes_with_its_client_id(
    http: httpx.AsyncClient, make: Factory
) -> None:
    await make.user()
    reg = await make.client(grant_types=["password"], public=True)
    r = await http.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "client_id": reg.client.client_id,
            "username": "alice@example.com",
            "password": "correct horse",
        },
    )
    token = r.json()["access_token"]
    r = await http.post(REVOKE, data={"token": token, "client_id": reg.client.client_id})
    assert r.status_code == 200
    assert not await _works(http, token)


async def test_a_token_of_another_issuer_is_left_alone(
    http: httpx.AsyncClient, app_client: Registered, services: Services
) -> None:
    user = await services.users.by_email("alice@example.com")
    assert user is not None
    await space_with_member(services, user.id)
    tokens = await password_tokens(http, app_client, "/spaces/acme/oauth/token")
    r = await http.post(
        REVOKE, data={"token": tokens["refresh_token"]}, auth=client_auth(app_client)
    )
    assert r.status_code == 200
    r = await http.post(
        "/spaces/acme/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=client_auth(app_client),
    )
    assert r.status_code == 200
    r = await http.post(
        "/spaces/acme" + REVOKE,
        data={"token": r.json()["refresh_token"]},
        auth=client_auth(app_client),
    )
    assert r.status_code == 200


class TestBadRequests:
    async def test_client_authentication_is_required(
        self, http: httpx.AsyncClient, app_client: Registered
    ) -> None:
        tokens = await password_tokens(http, app_client)
        r = await http.post(REVOKE, data={"token": tokens["access_token"]})
        assert r.status_code == 401 and r.json()["error"] == "invalid_client"
        r = await http.post(
            REVOKE,
            data={"token": tokens["access_token"]},
            auth=(app_client.client.client_id, "wrong"),
        )
        assert r.status_code == 401 and "www-authenticate" in r.headers
        assert await _works(http, tokens["access_token"])

    async def test_the_token_parameter_is_required(
        self, http: httpx.AsyncClient, app_client: Registered
    ) -> None:
        r = await http.post(
            REVOKE, data={"token_type_hint": "access_token"}, auth=client_auth(app_client)
        )
        assert r.status_code == 400 and r.json()["error"] == "invalid_request"

    @pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
    async def test_only_post(self, http: httpx.AsyncClient, method: str) -> None:
        r = await http.request(method, REVOKE)
        assert r.status_code == 400 and r.json()["error"] == "invalid_request"

    async def test_parameters_in_the_url_or_twice_are_refused(
        self, http: httpx.AsyncClient, app_client: Registered
    ) -> None:
        r = await http.post(
            REVOKE + "?token=1.x", data={"token": "1.x"}, auth=client_auth(app_client)
        )
        assert r.status_code == 400
        r = await http.post(
            REVOKE,
            content=b"token=1.a&token=1.b",
            auth=client_auth(app_client),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert r.status_code == 400 and "more than once" in r.json()["error_description"]


async def test_a_refresh_racing_its_revocation_leaves_no_live_token(
    http: httpx.AsyncClient, app_client: Registered
) -> None:
    """Whatever order they run in, once both answered, nothing of the grant works."""
    for _ in range(5):
        tokens = await password_tokens(http, app_client)
        refresh, revoke = await asyncio.gather(
            http.post(
                "/oauth/token",
                data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                auth=client_auth(app_client),
            ),
            http.post(
                REVOKE, data={"token": tokens["refresh_token"]}, auth=client_auth(app_client)
            ),
        )
        assert revoke.status_code == 200
        if refresh.status_code == 200:
            assert not await _works(http, refresh.json()["access_token"])
            assert not await _refreshes(http, app_client, refresh.json()["refresh_token"])


async def test_discovery_names_the_revocation_endpoint(http: httpx.AsyncClient) -> None:
    doc = (await http.get("/.well-known/openid-configuration")).json()
    assert doc["revocation_endpoint"] == "http://testserver/oauth/revoke"
    assert "client_secret_basic" in doc["revocation_endpoint_auth_methods_supported"]
