"""The resource kit, through the example notes service (examples/notes_api.py): a FastAPI
app that runs apart from authgate and checks tokens by RFC 7662 introspection."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from examples.notes_api import create_app
from starlette.applications import Starlette

from authgate.resource import IntrospectionVerifier, JwtVerifier
from authgate.resource.bearer import NEEDS_USER
from tests.conftest import Factory
from tests.web.token_support import client_auth, password_tokens

ISSUER = "http://testserver"


class CountingTransport(httpx.AsyncBaseTransport):
    """authgate's ASGI app, counting the introspection calls that reach it."""

    def __init__(self, app: Starlette) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self.calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        return await self._inner.handle_async_request(request)


class DownTransport(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)


async def notes_client(
    make: Factory, transport: httpx.AsyncBaseTransport, cache_seconds: float = 0
) -> httpx.AsyncClient:
    rs = await make.client(name="Notes API", resource_server=True)
    verifier = IntrospectionVerifier(
        ISSUER + "/oauth/introspect",
        *client_auth(rs),
        cache_seconds=cache_seconds,
        http=httpx.AsyncClient(transport=transport, base_url=ISSUER),
    )
    notes = create_app(verifier, ISSUER)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=notes), base_url="http://notes")


@pytest.fixture
async def counting(app: Starlette) -> CountingTransport:
    return CountingTransport(app)


@pytest.fixture
async def notes(make: Factory, counting: CountingTransport) -> AsyncIterator[httpx.AsyncClient]:
    async with await notes_client(make, counting) as client:
        yield client


async def user_token(http: httpx.AsyncClient, make: Factory, scope: str) -> str:
    await make.user()
    reg = await make.client(grant_types=["password"], scopes=["read", "write"])
    token: str = (await password_tokens(http, reg, scope=scope))["access_token"]
    return token


async def test_public_endpoint_needs_no_token(notes: httpx.AsyncClient) -> None:
    assert (await notes.get("/health")).json() == {"ok": True}


async def test_no_token_gets_the_rfc6750_challenge(notes: httpx.AsyncClient) -> None:
    r = await notes.get("/notes")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == 'Bearer realm="notes"'
    assert r.json()["error"] == "unauthorized"


async def test_a_users_token_reads_and_writes_their_notes(
    http: httpx.AsyncClient, make: Factory, notes: httpx.AsyncClient
) -> None:
    token = await user_token(http, make, "read write")
    auth = {"Authorization": f"Bearer {token}"}
    r = await notes.post("/notes", data={"text": "buy milk"}, headers=auth)
    assert r.status_code == 201, r.text
    r = await notes.get("/notes", headers=auth)
    assert r.status_code == 200
    body = r.json()
    user = await make.services.users.by_email("alice@example.com")
    assert user is not None
    assert body == {"owner": user.subject, "notes": ["buy milk"]}


async def test_missing_scope_is_403_insufficient_scope_rfc6750_3_1(
    http: httpx.AsyncClient, make: Factory, notes: httpx.AsyncClient
) -> None:
    token = await user_token(http, make, "read")
    r = await notes.post("/notes", data={"text": "x"}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403
    challenge = r.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge and 'scope="write"' in challenge


async def test_a_users_resource_refuses_a_client_credentials_token_seed_004(
    http: httpx.AsyncClient, make: Factory, notes: httpx.AsyncClient
) -> None:
    """``bearer.for_users()``: JetBrains Space's "Resources that require user
    authorization cannot be accessed using the Client Credentials flow", as RFC 6750 §3.1's
    403 insufficient_scope, through introspection (no ``username``: no user)."""
    user = {"Authorization": f"Bearer {await user_token(http, make, 'read')}"}
    r = await notes.get("/me", headers=user)
    assert r.status_code == 200, r.text
    assert r.json()["username"] == "alice@example.com"
    bot = await make.client(scopes=["read"])
    r = await http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=client_auth(bot)
    )
    own = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert (await notes.get("/notes", headers=own)).status_code == 200
    r = await notes.get("/me", headers=own)
    assert r.status_code == 403
    assert r.json() == {"error": "insufficient_scope", "error_description": NEEDS_USER}
    assert 'error="insufficient_scope"' in r.headers["www-authenticate"]


async def test_a_revoked_token_is_refused_at_once_without_a_cache(
    http: httpx.AsyncClient, make: Factory, notes: httpx.AsyncClient
) -> None:
    await make.user()
    reg = await make.client(grant_types=["password"], scopes=["read"])
    token = (await password_tokens(http, reg, scope="read"))["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert (await notes.get("/notes", headers=auth)).status_code == 200
    r = await http.post("/oauth/revoke", data={"token": token}, auth=client_auth(reg))
    assert r.status_code == 200
    r = await notes.get("/notes", headers=auth)
    assert r.status_code == 401
    assert 'error="invalid_token"' in r.headers["www-authenticate"]


async def test_verdicts_are_cached_for_cache_seconds(
    http: httpx.AsyncClient, make: Factory, counting: CountingTransport
) -> None:
    """The trade-off of remote checks: one introspection per token per ``cache_seconds``,
    and a revocation is seen only when the cached verdict ends."""
    token = await user_token(http, make, "read")
    auth = {"Authorization": f"Bearer {token}"}
    async with await notes_client(make, counting, cache_seconds=30) as notes:
        for _ in range(5):
            assert (await notes.get("/notes", headers=auth)).status_code == 200
        assert counting.calls == 1
        for bad in ("not-a-token", "1." + "A" * 43):
            for _ in range(3):
                assert (
                    await notes.get("/notes", headers={"Authorization": f"Bearer {bad}"})
                ).status_code == 401
        assert counting.calls == 3


@pytest.mark.parametrize(
    "token",
    ["x" * 9000, "é", "a.b.c", "\u2028", "1.\x00" + "A" * 42, "eyJhbGciOiJub25lIn0.e30."],
)
async def test_hostile_tokens_are_401_never_500(notes: httpx.AsyncClient, token: str) -> None:
    r = await notes.get("/notes", headers={"Authorization": f"Bearer {token}".encode()})
    assert r.status_code in {400, 401}, r.text


async def test_authgate_unreachable_is_503_not_401(make: Factory) -> None:
    """An API that cannot ask must not call a good token bad, nor fail with a 500."""
    async with await notes_client(make, DownTransport()) as notes:
        r = await notes.get("/notes", headers={"Authorization": "Bearer 1." + "A" * 43})
    assert r.status_code == 503
    assert r.json()["error"] == "temporarily_unavailable"


async def test_the_openapi_document_names_the_oauth2_scopes(notes: httpx.AsyncClient) -> None:
    document = (await notes.get("/openapi.json")).json()
    scheme = document["components"]["securitySchemes"]["oauth2"]
    flows = scheme["flows"]
    assert flows["authorizationCode"]["tokenUrl"] == ISSUER + "/oauth/token"
    assert set(flows["clientCredentials"]["scopes"]) == {"read", "write"}
    assert document["paths"]["/notes"]["post"]["security"] == [{"oauth2": ["write"]}]
    # a user's resource: the second scheme, without the client-credentials flow
    assert document["paths"]["/me"]["get"]["security"] == [{"oauth2_user": ["read"]}]
    user_flows = document["components"]["securitySchemes"]["oauth2_user"]["flows"]
    assert list(user_flows) == ["authorizationCode"]


async def test_jwt_access_tokens_are_checked_with_the_jwks_alone(
    app: Starlette, http: httpx.AsyncClient, make: Factory
) -> None:
    """RFC 9068 tokens from a ``--access-token-format jwt`` client, verified by the notes
    service with authgate's published keys; a revocation is not seen (the trade-off)."""
    await make.user()
    reg = await make.client(grant_types=["password"], scopes=["read"], access_token_format="jwt")
    token = (await password_tokens(http, reg, scope="read"))["access_token"]
    assert token.startswith("eyJ")
    counting = CountingTransport(app)
    verifier = JwtVerifier(
        ISSUER, audience=ISSUER, http=httpx.AsyncClient(transport=counting, base_url=ISSUER)
    )
    notes = create_app(verifier, ISSUER)
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=notes), base_url="http://notes"
    ) as client:
        for _ in range(3):
            r = await client.get("/notes", headers=auth)
            assert r.status_code == 200, r.text
        assert counting.calls == 2  # discovery and the JWKS, once
        user = await make.services.users.by_email("alice@example.com")
        assert user is not None and r.json()["owner"] == user.subject
        await http.post("/oauth/revoke", data={"token": token}, auth=client_auth(reg))
        assert (await client.get("/notes", headers=auth)).status_code == 200
    # authgate's own check sees the revocation at once.
    assert (await http.get("/api/me", headers=auth)).status_code == 401
