"""RFC 7662 token introspection at ``POST /oauth/introspect``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from authgate.domain import User
from authgate.protocol.registration import Registered
from authgate.services import Services
from tests.conftest import Clock, Factory
from tests.web.oidc_support import space_with_member
from tests.web.token_support import client_auth, password_tokens

INTROSPECT = "/oauth/introspect"


@pytest.fixture
async def app_client(make: Factory, alice: User) -> Registered:
    return await make.client(grant_types=["password", "refresh_token"], scopes=["read", "write"])


@pytest.fixture
async def api(make: Factory) -> Registered:
    return await make.client(name="Platform API", resource_server=True)


async def _introspect(
    http: httpx.AsyncClient, caller: Registered, token: str, url: str = INTROSPECT, **extra: str
) -> Any:
    r = await http.post(url, data={"token": token, **extra}, auth=client_auth(caller))
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    return r.json()


async def test_an_active_access_token_rfc7662_2_2(
    http: httpx.AsyncClient, app_client: Registered, api: Registered, alice: User, clock: Clock
) -> None:
    tokens = await password_tokens(http, app_client, scope="read")
    body = await _introspect(http, api, tokens["access_token"])
    assert body == {
        "active": True,
        "scope": "read",
        "client_id": app_client.client.client_id,
        "token_type": "Bearer",
        "iat": int(clock.now),
        "exp": int(clock.now) + 3600,
        "iss": "http://testserver",
        "aud": "http://testserver",  # the API's (access_token_audience), as in a JWT
        "sub": alice.subject,
        "username": "alice@example.com",
    }


async def test_a_refresh_token_with_its_hint(
    http: httpx.AsyncClient, app_client: Registered, api: Registered
) -> None:
    tokens = await password_tokens(http, app_client, scope="read")
    body = await _introspect(http, api, tokens["refresh_token"], token_type_hint="refresh_token")
    assert body["active"] is True and body["token_type"] == "refresh_token"
    assert body["scope"] == "read"


async def test_a_client_sees_its_own_tokens_only_rfc7662_4(
    http: httpx.AsyncClient, app_client: Registered, make: Factory
) -> None:
    tokens = await password_tokens(http, app_client, scope="read")
    assert (await _introspect(http, app_client, tokens["access_token"]))["active"] is True
    other = await make.client(grant_types=["client_credentials"])
    assert await _introspect(http, other, tokens["access_token"]) == {"active": False}
    assert await _introspect(http, other, tokens["refresh_token"]) == {"active": False}


async def test_dead_and_unknown_tokens_are_inactive_and_say_nothing_else(
    http: httpx.AsyncClient, app_client: Registered, api: Registered, clock: Clock
) -> None:
    tokens = await password_tokens(http, app_client, scope="read")
    for token in ("1.unknown", "x" * 500, "7.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"):
        assert await _introspect(http, api, token) == {"active": False}
    await http.post(
        "/oauth/revoke", data={"token": tokens["access_token"]}, auth=client_auth(app_client)
    )
    assert await _introspect(http, api, tokens["access_token"]) == {"active": False}
    refreshed = await http.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=client_auth(app_client),
    )
    assert refreshed.status_code == 200
    assert await _introspect(http, api, tokens["refresh_token"]) == {"active": False}  # used
    clock.advance(3601)
    assert await _introspect(http, api, refreshed.json()["access_token"]) == {"active": False}


async def test_a_client_credentials_token_names_its_client(
    http: httpx.AsyncClient, api: Registered, make: Factory
) -> None:
    job = await make.client(grant_types=["client_credentials"])
    r = await http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=client_auth(job)
    )
    body = await _introspect(http, api, r.json()["access_token"])
    assert body["active"] is True and body["sub"] == job.client.client_id
    assert "username" not in body


async def test_space_tokens_are_active_only_at_their_issuer(
    http: httpx.AsyncClient,
    app_client: Registered,
    api: Registered,
    alice: User,
    services: Services,
) -> None:
    await space_with_member(services, alice.id)
    tokens = await password_tokens(http, app_client, "/spaces/acme/oauth/token", scope="read")
    assert await _introspect(http, api, tokens["access_token"]) == {"active": False}
    body = await _introspect(http, api, tokens["access_token"], "/spaces/acme" + INTROSPECT)
    assert body["active"] is True and body["space"] == "acme"
    assert body["iss"] == "http://testserver/spaces/acme"


class TestBadRequests:
    async def test_the_caller_must_authenticate(
        self, http: httpx.AsyncClient, app_client: Registered
    ) -> None:
        tokens = await password_tokens(http, app_client, scope="read")
        r = await http.post(INTROSPECT, data={"token": tokens["access_token"]})
        assert r.status_code == 401 and r.json()["error"] == "invalid_client"

    async def test_the_token_is_required(self, http: httpx.AsyncClient, api: Registered) -> None:
        r = await http.post(
            INTROSPECT, data={"token_type_hint": "access_token"}, auth=client_auth(api)
        )
        assert r.status_code == 400 and r.json()["error"] == "invalid_request"

    async def test_only_post_with_a_form(self, http: httpx.AsyncClient, api: Registered) -> None:
        assert (await http.get(INTROSPECT)).status_code == 400
        r = await http.post(INTROSPECT, json={"token": "1.x"}, auth=client_auth(api))
        assert r.status_code == 400


async def test_a_public_client_cannot_be_a_resource_server(make: Factory) -> None:
    from authgate.protocol.registration import RegistrationError

    with pytest.raises(RegistrationError):
        await make.client(
            grant_types=["authorization_code"],
            redirect_uris=["https://a.example/cb"],
            public=True,
            resource_server=True,
        )


async def test_discovery_names_the_introspection_endpoint(http: httpx.AsyncClient) -> None:
    doc = (await http.get("/.well-known/openid-configuration")).json()
    assert doc["introspection_endpoint"] == "http://testserver/oauth/introspect"
