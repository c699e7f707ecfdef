"""RFC 6750 bearer tokens on the platform API, with seed 000's and 003's documented forms."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from authgate.resource.bearer import (
    NEEDS_USER,
    BearerAuth,
    required_scopes,
    requires_user,
    token_of,
)
from authgate.resource.local import LocalVerifier
from authgate.settings import SettingsError, load_settings
from tests.conftest import Clock, Factory
from tests.web.token_support import password_tokens

TOKEN = "/oauth/token"


async def _client_token(http: httpx.AsyncClient, make: Factory, **options: Any) -> str:
    reg = await make.client(**options)
    assert reg.client_secret
    r = await http.post(
        TOKEN,
        data={"grant_type": "client_credentials"},
        auth=(reg.client.client_id, reg.client_secret),
    )
    token: str = r.json()["access_token"]
    return token


async def test_public_endpoint_needs_no_token(http: httpx.AsyncClient) -> None:
    r = await http.get("/api/ping")
    assert r.status_code == 200
    assert r.json() == {"ok": True}


async def test_no_token_is_401_with_realm_only_rfc6750_3_1(http: httpx.AsyncClient) -> None:
    r = await http.get("/api/me")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == 'Bearer realm="authgate"'


async def test_token_in_form_body_rfc6750_2_2(http: httpx.AsyncClient, make: Factory) -> None:
    """The resource kit reads ``access_token`` from a form-encoded POST body."""
    token = await _client_token(http, make)
    s = make.services
    bearer = BearerAuth(LocalVerifier(s.checker, s.users, s.spaces), realm="api", allow_query=False)

    @bearer.requires("read")
    async def create(request: Request) -> Response:
        form = await request.form()
        local = token_of(request).local
        assert local is not None
        return JSONResponse({"title": form["title"], "client": local.client.name})

    api = Starlette(routes=[Route("/notes", create, methods=["POST"])])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://t") as c:
        r = await c.post("/notes", data={"access_token": token, "title": "hello"})
        assert r.status_code == 200, r.text
        assert r.json() == {"title": "hello", "client": "Test App"}
        r = await c.post("/notes", data={"title": "hello"})
        assert r.status_code == 401


async def test_query_token_is_refused_by_default_rfc6750_2_3(
    http: httpx.AsyncClient, make: Factory
) -> None:
    token = await _client_token(http, make)
    r = await http.get("/api/me", params={"access_token": token})
    assert r.status_code == 400
    assert 'error="invalid_request"' in r.headers["www-authenticate"]


async def test_two_methods_at_once_is_invalid_request_rfc6750_2(
    http: httpx.AsyncClient, make: Factory
) -> None:
    token = await _client_token(http, make)
    r = await http.get(
        "/api/me", params={"access_token": token}, headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 400


async def test_invalid_token_rfc6750_3_1(http: httpx.AsyncClient, make: Factory) -> None:
    token = await _client_token(http, make)
    row, _, _ = token.partition(".")
    r = await http.get("/api/me", headers={"Authorization": f"Bearer {row}.forged"})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == (
        'Bearer realm="authgate", error="invalid_token", '
        'error_description="The access token is invalid"'
    )


async def test_expired_token_rfc6750_3_1(
    http: httpx.AsyncClient, make: Factory, clock: Clock
) -> None:
    token = await _client_token(http, make, token_lifetime=7200)
    clock.advance(7200)
    r = await http.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == (
        'Bearer realm="authgate", error="invalid_token", '
        'error_description="The access token has expired"'
    )
    assert r.json() == {
        "error": "invalid_token",
        "error_description": "The access token has expired",
    }


async def test_missing_scope_is_403_insufficient_scope_rfc6750_3_1(
    http: httpx.AsyncClient, make: Factory
) -> None:
    token = await _client_token(http, make, scopes=["write"])
    r = await http.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403
    challenge = r.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert 'scope="read"' in challenge


async def test_changing_client_scopes_never_adds_scopes_to_old_tokens_seed000(
    http: httpx.AsyncClient, make: Factory
) -> None:
    reg = await make.client(scopes=["write"])
    assert reg.client_secret
    auth = (reg.client.client_id, reg.client_secret)
    old = (await http.post(TOKEN, data={"grant_type": "client_credentials"}, auth=auth)).json()
    await make.services.registry.update(reg.client.client_id, scopes=["read", "write"])
    r = await http.get("/api/me", headers={"Authorization": f"Bearer {old['access_token']}"})
    assert r.status_code == 403
    new = (await http.post(TOKEN, data={"grant_type": "client_credentials"}, auth=auth)).json()
    r = await http.get("/api/me", headers={"Authorization": f"Bearer {new['access_token']}"})
    assert r.status_code == 200
    assert r.json()["scope"] == "read write"


async def test_removing_a_client_scope_removes_it_from_its_tokens(
    http: httpx.AsyncClient, make: Factory
) -> None:
    reg = await make.client(scopes=["read", "write"])
    assert reg.client_secret
    auth = (reg.client.client_id, reg.client_secret)
    token = (await http.post(TOKEN, data={"grant_type": "client_credentials"}, auth=auth)).json()
    await make.services.registry.update(reg.client.client_id, scopes=["write"])
    r = await http.get("/api/me", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert r.status_code == 403


async def test_test_access_token_for_owner_shown_again_seed000(
    http: httpx.AsyncClient, make: Factory
) -> None:
    owner = await make.user()
    reg = await make.client(owner_email="alice@example.com", scopes=["read"])
    assert reg.test_access_token
    client = await make.services.registry.get(reg.client.client_id)
    assert make.services.registry.test_token(client) == reg.test_access_token
    r = await http.get("/api/me", headers={"Authorization": f"Bearer {reg.test_access_token}"})
    assert r.status_code == 200
    assert r.json()["id"] == owner.id
    assert r.json()["scope"] == "read"


class TestQueryParameterAllowed:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"allow_access_token_query": True, "realm": "Doorkeeper"}

    async def test_query_token_when_enabled_seed000(
        self, http: httpx.AsyncClient, make: Factory
    ) -> None:
        token = await _client_token(http, make)
        r = await http.get("/api/me", params={"access_token": token})
        assert r.status_code == 200

    async def test_realm_comes_from_settings(self, http: httpx.AsyncClient) -> None:
        r = await http.get("/api/me")
        assert r.headers["www-authenticate"] == 'Bearer realm="Doorkeeper"'


@pytest.mark.parametrize("alias", ["0{id}.{secret}", "00{id}.{secret}", "{id}.{secret}="])
async def test_only_the_canonical_token_form_is_accepted(
    http: httpx.AsyncClient, make: Factory, alias: str
) -> None:
    """``02.<secret>`` is not token 2: one token, one spelling (no aliases to bypass
    deny-lists or caches keyed by the presented string)."""
    token = await _client_token(http, make, scopes=["read"])
    row_id, _, secret = token.partition(".")
    assert (await http.get("/api/me", headers={"Authorization": f"Bearer {token}"})).is_success
    other = alias.format(id=row_id, secret=secret)
    r = await http.get("/api/me", headers={"Authorization": f"Bearer {other}"})
    assert r.status_code == 401
    assert 'error="invalid_token"' in r.headers["www-authenticate"]


class TestResourcesOfAUser:
    """``requires(…, user=True)``: seed 004, "Resources that require user authorization
    cannot be accessed using the Client Credentials flow". RFC 6750 §3.1: the token is
    valid but lacks a privilege, so ``403 insufficient_scope`` (not ``401 invalid_token``,
    which would only make the client fetch another token of the same kind)."""

    @pytest.fixture
    async def api(self, make: Factory) -> AsyncIterator[httpx.AsyncClient]:
        s = make.services
        verifier = LocalVerifier(s.checker, s.users, s.spaces)
        bearer = BearerAuth(verifier, realm="api", allow_query=False)

        async def who(request: Request) -> Response:
            return JSONResponse({"username": token_of(request).username})

        self.endpoints = {
            "/mine": bearer.requires(user=True)(who),
            "/mine/notes": bearer.requires("read", user=True)(who),
            "/anyone": bearer.requires("read")(who),
        }
        routes = [Route(path, endpoint) for path, endpoint in self.endpoints.items()]
        transport = httpx.ASGITransport(app=Starlette(routes=routes))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client

    async def test_a_client_token_is_403_insufficient_scope_rfc6750_3_1(
        self, http: httpx.AsyncClient, make: Factory, api: httpx.AsyncClient
    ) -> None:
        token = await _client_token(http, make, scopes=["read"])
        auth = {"Authorization": f"Bearer {token}"}
        r = await api.get("/mine", headers=auth)
        assert r.status_code == 403
        assert r.json() == {"error": "insufficient_scope", "error_description": NEEDS_USER}
        assert r.headers["www-authenticate"] == (
            'Bearer realm="api", error="insufficient_scope", '
            f'error_description="{NEEDS_USER}"'  # no scope="": none is needed
        )
        r = await api.get("/mine/notes", headers=auth)
        assert r.status_code == 403
        assert r.headers["www-authenticate"].endswith(
            f'error_description="{NEEDS_USER}", scope="read"'
        )
        assert (await api.get("/anyone", headers=auth)).status_code == 200

    async def test_a_users_token_passes(
        self, http: httpx.AsyncClient, make: Factory, api: httpx.AsyncClient
    ) -> None:
        await make.user()
        reg = await make.client(grant_types=["password"], scopes=["read"])
        token = (await password_tokens(http, reg))["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        for path in ("/mine", "/mine/notes", "/anyone"):
            r = await api.get(path, headers=auth)
            assert r.status_code == 200, r.text
            assert r.json() == {"username": "alice@example.com"}

    async def test_the_guard_is_readable_on_the_endpoint(self, api: httpx.AsyncClient) -> None:
        """For OpenAPI documents (demo_api/openapi.py)."""
        assert [requires_user(e) for e in self.endpoints.values()] == [True, True, False]
        assert required_scopes(self.endpoints["/mine"]) == frozenset()
        assert required_scopes(self.endpoints["/mine/notes"]) == {"read"}


class TestRedboothProfile:
    """Seed 003's answer to an expired token, word for word, from the redbooth profile."""

    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        # client_credentials too, for the quickest token to check (the profile's wording
        # is what is tested, whatever the grant)
        grants = ["authorization_code", "refresh_token", "implicit", "client_credentials"]
        return {"profile": "redbooth", "grant_types": grants}

    async def test_an_expired_token_gets_the_pages_exact_challenge_seed003(
        self, http: httpx.AsyncClient, make: Factory, clock: Clock
    ) -> None:
        token = await _client_token(http, make)
        clock.advance(7200)  # the profile's two-hour tokens
        r = await http.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == (
            'Bearer realm="Doorkeeper", error="invalid_token", '
            'error_description="The access token expired"'
        )
        assert r.json() == {
            "error": "invalid_token",
            "error_description": "The access token expired",
        }

    async def test_other_refusals_keep_the_neutral_wording(
        self, http: httpx.AsyncClient, make: Factory
    ) -> None:
        token = await _client_token(http, make)
        row, _, _ = token.partition(".")
        r = await http.get("/api/me", headers={"Authorization": f"Bearer {row}.forged"})
        assert r.headers["www-authenticate"] == (
            'Bearer realm="Doorkeeper", error="invalid_token", '
            'error_description="The access token is invalid"'
        )


class TestBearerErrorDescriptions:
    """``bearer_error_descriptions`` words each reason a token is refused for (RFC 6750
    §3: error_description), in the challenge and the body alike, on the API and on the
    UserInfo endpoint; reasons it does not name keep the neutral text."""

    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {
            "bearer_error_descriptions": {
                "revoked": "Token withdrawn",
                "invalid": "Unknown token",
            }
        }

    async def test_a_revoked_token_is_described_as_configured(
        self, http: httpx.AsyncClient, make: Factory
    ) -> None:
        reg = await make.client()
        assert reg.client_secret
        auth = (reg.client.client_id, reg.client_secret)
        r = await http.post(TOKEN, data={"grant_type": "client_credentials"}, auth=auth)
        token = r.json()["access_token"]
        r = await http.post("/oauth/revoke", data={"token": token}, auth=auth)
        assert r.status_code == 200
        for path in ("/api/me", "/oauth/userinfo"):
            r = await http.get(path, headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 401, path
            assert r.headers["www-authenticate"] == (
                'Bearer realm="authgate", error="invalid_token", '
                'error_description="Token withdrawn"'
            )
            assert r.json() == {"error": "invalid_token", "error_description": "Token withdrawn"}

    async def test_an_unknown_token_and_an_expired_one(
        self, http: httpx.AsyncClient, make: Factory, clock: Clock
    ) -> None:
        token = await _client_token(http, make)
        row, _, _ = token.partition(".")
        r = await http.get("/api/me", headers={"Authorization": f"Bearer {row}.forged"})
        assert r.json()["error_description"] == "Unknown token"
        clock.advance(3600)
        r = await http.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert r.json()["error_description"] == "The access token has expired"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"gone": "x"}, "Input should be 'invalid', 'expired'"),
        ({"expired": 'The "token" expired'}, "printable ASCII characters other than"),
        ({"expired": "back\\slash"}, "printable ASCII characters other than"),
        ({"expired": "line\nbreak"}, "printable ASCII characters other than"),
        ({"expired": "Le jeton a expir\u00e9"}, "printable ASCII characters other than"),
        ({"expired": ""}, "one or more"),
    ],
)
def test_bearer_error_descriptions_must_be_known_reasons_and_header_safe_rfc6750_3(
    table: dict[str, str], message: str
) -> None:
    """A text that could not go into ``WWW-Authenticate`` as it is is a settings error at
    start, not a header mangled at run time."""
    with pytest.raises(SettingsError) as caught:
        load_settings(bearer_error_descriptions=table)
    assert "bearer_error_descriptions" in str(caught.value)
    assert message in str(caught.value)
