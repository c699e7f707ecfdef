"""The demo platform API on the resource kit (seed 001's shape): public data without a
token, scopes per endpoint, and rights per space decided at request time."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest

from authgate.domain import Membership, Role, Space, SpaceId, User
from authgate.protocol.registration import Registered
from authgate.resource.bearer import NEEDS_USER
from tests.conftest import Factory
from tests.web.oidc_support import space_with_member
from tests.web.token_support import client_auth, password_tokens

SCOPES = {"read": "Read", "write": "Write", "admin": "Administer your spaces"}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"scopes": SCOPES, "token_cache_seconds": 0}


@pytest.fixture
async def app_client(make: Factory, alice: User) -> Registered:
    return await make.client(grant_types=["password"], scopes=list(SCOPES))


async def set_member(make: Factory, space: Space, user: User, role: Role, **extra: Any) -> None:
    current = await make.services.spaces.membership(space.id, user.id)
    if current is None:
        current = Membership(SpaceId(space.id), user.id, role, None, None, None, 0)
    await make.services.spaces.add_member(dataclasses.replace(current, role=role, **extra))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def token_for(http: httpx.AsyncClient, reg: Registered, scope: str, url: str = "") -> str:
    tokens = await password_tokens(http, reg, url + "/oauth/token", scope=scope)
    token: str = tokens["access_token"]
    return token


async def test_public_space_data_needs_no_token(http: httpx.AsyncClient, make: Factory) -> None:
    await space_with_member(make.services, None, slug="acme")
    r = await http.get("/api/spaces/acme")
    assert r.status_code == 200
    assert r.json() == {"slug": "acme", "name": "Acme"}
    assert (await http.get("/api/spaces/nope")).status_code == 404


async def test_a_bad_token_on_public_data_is_still_401(
    http: httpx.AsyncClient, make: Factory
) -> None:
    await space_with_member(make.services, None, slug="acme")
    r = await http.get("/api/spaces/acme", headers=bearer("1." + "A" * 43))
    assert r.status_code == 401


async def test_a_user_token_reaches_every_space_of_the_user_seed_002(
    http: httpx.AsyncClient, make: Factory, alice: User, app_client: Registered
) -> None:
    await space_with_member(make.services, alice.id, slug="acme")
    other = await space_with_member(make.services, None, slug="globex")
    await set_member(make, other, alice, "admin")
    await space_with_member(make.services, None, slug="initech")  # not alice's
    token = await token_for(http, app_client, "read admin")
    r = await http.get("/api/spaces", headers=bearer(token))
    assert r.status_code == 200, r.text
    assert r.json() == {
        "spaces": [
            {"slug": "acme", "name": "Acme", "role": "member", "scope": "read"},
            {"slug": "globex", "name": "Globex", "role": "admin", "scope": "admin read"},
        ]
    }
    r = await http.get("/api/spaces/initech", headers=bearer(token))
    assert r.json() == {"slug": "initech", "name": "Initech"}


async def test_members_are_listed_for_admins_only(
    http: httpx.AsyncClient, make: Factory, alice: User, app_client: Registered
) -> None:
    space = await space_with_member(make.services, alice.id, slug="acme")
    token = await token_for(http, app_client, "read admin")
    r = await http.get("/api/spaces/acme/members", headers=bearer(token))
    assert r.status_code == 403
    assert 'error="insufficient_scope"' in r.headers["www-authenticate"]
    await set_member(make, space, alice, "admin")
    r = await http.get("/api/spaces/acme/members", headers=bearer(token))
    assert r.status_code == 200, r.text
    assert r.json()["members"] == [
        {"sub": alice.subject, "email": alice.email, "name": "Alice at Acme", "role": "admin"}
    ]


async def test_the_admin_scope_is_needed_even_for_admins(
    http: httpx.AsyncClient, make: Factory, alice: User, app_client: Registered
) -> None:
    space = await space_with_member(make.services, alice.id, slug="acme")
    await set_member(make, space, alice, "admin")
    token = await token_for(http, app_client, "read")
    r = await http.get("/api/spaces/acme/members", headers=bearer(token))
    assert r.status_code == 403
    assert 'scope="admin"' in r.headers["www-authenticate"]


async def test_revoked_admin_rights_end_on_the_next_request_seed_001(
    http: httpx.AsyncClient, make: Factory, alice: User, app_client: Registered
) -> None:
    """No new token: the same token loses the access when the permission is revoked,
    and gets it back when it is restored."""
    space = await space_with_member(make.services, alice.id, slug="acme")
    await set_member(make, space, alice, "admin")
    token = await token_for(http, app_client, "read admin")
    assert (await http.get("/api/spaces/acme/members", headers=bearer(token))).status_code == 200
    await set_member(make, space, alice, "admin", revoked_scopes=frozenset({"admin"}))
    r = await http.get("/api/spaces/acme/members", headers=bearer(token))
    assert r.status_code == 403
    assert (await http.get("/api/spaces/acme", headers=bearer(token))).json()["scope"] == "read"
    await set_member(make, space, alice, "admin", revoked_scopes=frozenset())
    assert (await http.get("/api/spaces/acme/members", headers=bearer(token))).status_code == 200


async def test_a_removed_member_loses_the_space_at_once(
    http: httpx.AsyncClient, make: Factory, alice: User, app_client: Registered
) -> None:
    space = await space_with_member(make.services, alice.id, slug="acme")
    token = await token_for(http, app_client, "read")
    r = await http.get("/api/spaces", headers=bearer(token))
    assert [s["slug"] for s in r.json()["spaces"]] == ["acme"]
    await make.services.spaces.remove_member(space.id, alice.id)
    assert (await http.get("/api/spaces", headers=bearer(token))).json() == {"spaces": []}


async def test_a_space_bound_token_works_only_in_its_space(
    http: httpx.AsyncClient, make: Factory, alice: User, app_client: Registered
) -> None:
    """A token from the space's own issuer is bound to that space."""
    acme = await space_with_member(make.services, alice.id, slug="acme")
    await set_member(make, acme, alice, "admin")
    other = await space_with_member(make.services, None, slug="globex")
    await set_member(make, other, alice, "admin")
    token = await token_for(http, app_client, "read admin", url="/spaces/acme")
    r = await http.get("/api/spaces", headers=bearer(token))
    assert [s["slug"] for s in r.json()["spaces"]] == ["acme"]
    r = await http.get("/api/spaces/globex/members", headers=bearer(token))
    assert r.status_code == 401
    assert "another space" in r.headers["www-authenticate"]
    r = await http.get("/api/me", headers=bearer(token))
    assert r.json()["space"] == "acme"
    assert (await http.get("/api/spaces/acme/members", headers=bearer(token))).status_code == 200
    # The checker narrows a bound token to its space's rights: not an admin there, no admin.
    await set_member(make, acme, alice, "member")
    r = await http.get("/api/me", headers=bearer(token))
    assert r.json()["scope"] == "read"


async def test_a_client_token_sees_no_users_spaces(
    http: httpx.AsyncClient, make: Factory, alice: User
) -> None:
    await space_with_member(make.services, alice.id, slug="acme")
    reg = await make.client(scopes=["read", "admin"])
    assert reg.client_secret
    r = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(reg.client.client_id, reg.client_secret),
    )
    token = r.json()["access_token"]
    assert (await http.get("/api/spaces", headers=bearer(token))).json() == {"spaces": []}
    r = await http.get("/api/spaces/acme/members", headers=bearer(token))
    assert r.status_code == 403


@pytest.mark.parametrize("slug", ["acme", "nope"])
async def test_a_client_token_cannot_write_a_members_profile_seed_004(
    http: httpx.AsyncClient, make: Factory, alice: User, slug: str
) -> None:
    """``PUT …/members/me`` is a user's resource (``requires("write", user=True)``): a
    client acting for itself gets 403 insufficient_scope (RFC 6750 §3.1) before anything
    about the space is looked at, even with the scope."""
    await space_with_member(make.services, alice.id, slug="acme")
    reg = await make.client(scopes=["write"])
    r = await http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=client_auth(reg)
    )
    token = r.json()["access_token"]
    r = await http.put(
        f"/api/spaces/{slug}/members/me", json={"name": "Bot"}, headers=bearer(token)
    )
    assert r.status_code == 403, r.text
    assert r.json() == {"error": "insufficient_scope", "error_description": NEEDS_USER}
    assert 'scope="write"' in r.headers["www-authenticate"]


async def test_me_still_describes_a_client_acting_for_itself(
    http: httpx.AsyncClient, make: Factory
) -> None:
    """``GET /api/me`` is no user's resource: it answers for the client (seed 004's chat
    bots ask who they are too)."""
    reg = await make.client(scopes=["read"])
    r = await http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=client_auth(reg)
    )
    r = await http.get("/api/me", headers=bearer(r.json()["access_token"]))
    assert r.status_code == 200, r.text
    assert r.json()["type"] == "client"


class TestTheWriteEndpoint:
    """Seed 001: "When you POST or PUT data to the API we expect either form-encoded data
    or JSON"; RFC 6750 §2.2: the token may come in the form body."""

    async def test_json_body(
        self, http: httpx.AsyncClient, make: Factory, alice: User, app_client: Registered
    ) -> None:
        await space_with_member(make.services, alice.id, slug="acme")
        token = await token_for(http, app_client, "write")
        r = await http.put(
            "/api/spaces/acme/members/me",
            json={"name": "Alice A.", "phone_number": "+1 555 0100"},
            headers=bearer(token),
        )
        assert r.status_code == 200, r.text
        assert r.json() == {
            "space": "acme",
            "name": "Alice A.",
            "picture": "https://img.example.com/alice.png",
            "phone_number": "+1 555 0100",
        }

    async def test_form_body_with_the_token_in_it(
        self, http: httpx.AsyncClient, make: Factory, alice: User, app_client: Registered
    ) -> None:
        space = await space_with_member(make.services, alice.id, slug="acme")
        token = await token_for(http, app_client, "write")
        r = await http.put(
            "/api/spaces/acme/members/me", data={"access_token": token, "picture": ""}
        )
        assert r.status_code == 200, r.text
        member = await make.services.spaces.membership(space.id, alice.id)
        assert member is not None and member.picture is None and member.name == "Alice at Acme"

    @pytest.mark.parametrize(
        "body",
        [
            {"phone_number": "call me"},
            {"role": "admin"},
            {},
            {"name": 5},
            {"picture": "javascript:alert(1)"},
            {"name": "x" * 201},
        ],
    )
    async def test_bad_bodies_are_400(
        self,
        http: httpx.AsyncClient,
        make: Factory,
        alice: User,
        app_client: Registered,
        body: dict[str, Any],
    ) -> None:
        await space_with_member(make.services, alice.id, slug="acme")
        token = await token_for(http, app_client, "write")
        r = await http.put("/api/spaces/acme/members/me", json=body, headers=bearer(token))
        assert r.status_code == 400, r.text
        assert r.json()["error"] == "invalid_request"

    @pytest.mark.parametrize(
        ("content", "content_type"),
        [(b"{not json", "application/json"), (b"[1]", "application/json"), (b"x", "text/plain")],
    )
    async def test_unreadable_bodies_are_400(
        self,
        http: httpx.AsyncClient,
        make: Factory,
        alice: User,
        app_client: Registered,
        content: bytes,
        content_type: str,
    ) -> None:
        await space_with_member(make.services, alice.id, slug="acme")
        token = await token_for(http, app_client, "write")
        r = await http.put(
            "/api/spaces/acme/members/me",
            content=content,
            headers={**bearer(token), "Content-Type": content_type},
        )
        assert r.status_code == 400

    async def test_the_write_scope_is_needed(
        self, http: httpx.AsyncClient, make: Factory, alice: User, app_client: Registered
    ) -> None:
        await space_with_member(make.services, alice.id, slug="acme")
        token = await token_for(http, app_client, "read")
        r = await http.put("/api/spaces/acme/members/me", json={"name": "x"}, headers=bearer(token))
        assert r.status_code == 403


async def test_the_openapi_document_is_generated_from_the_routes(http: httpx.AsyncClient) -> None:
    r = await http.get("/openapi.json")
    assert r.status_code == 200
    document = r.json()
    assert document["openapi"] == "3.1.0"
    paths = document["paths"]
    assert paths["/api/spaces/{slug}/members"]["get"]["security"] == [{"oauth2": ["admin"]}]
    # a user's resource names the scheme without the client-credentials flow
    write = paths["/api/spaces/{slug}/members/me"]["put"]
    assert write["security"] == [{"oauth2_user": ["write"]}]
    assert "acts for no user" in write["responses"]["403"]["description"]
    schemes = document["components"]["securitySchemes"]
    assert list(schemes["oauth2_user"]["flows"]) == ["authorizationCode"]
    assert paths["/api/me"]["get"]["security"] == [{"oauth2": ["read"]}]
    assert paths["/api/ping"]["get"]["security"] == [{}, {"oauth2": []}]
    assert paths["/api/spaces/{slug}"]["get"]["parameters"][0]["name"] == "slug"
    assert "requestBody" in paths["/api/spaces/{slug}/members/me"]["put"]
    flows = document["components"]["securitySchemes"]["oauth2"]["flows"]
    assert flows["authorizationCode"]["authorizationUrl"] == "http://testserver/oauth/authorize"
    assert "admin" in flows["clientCredentials"]["scopes"]


class TestScopesNamedByTheCatalog:
    """``demo_api_scopes``: each endpoint's role needs the catalog's scope named for it
    (the cloudbot profile reads with ``refer`` and writes with ``modify``)."""

    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {
            "scopes": {"refer": "See", "modify": "Change"},
            "admin_scopes": [],
            "demo_api_scopes": {"read": "refer", "write": "modify", "admin": "modify"},
            "token_cache_seconds": 0,
        }

    async def test_each_endpoint_needs_the_scope_named_for_its_role(
        self, http: httpx.AsyncClient, make: Factory, alice: User
    ) -> None:
        await space_with_member(make.services, alice.id, slug="acme")
        reg = await make.client(grant_types=["password"], scopes=["refer", "modify"])
        refer = await token_for(http, reg, "refer")
        r = await http.get("/api/spaces", headers=bearer(refer))
        assert r.status_code == 200, r.text
        assert [s["slug"] for s in r.json()["spaces"]] == ["acme"]
        assert (await http.get("/api/me", headers=bearer(refer))).status_code == 200
        r = await http.put("/api/spaces/acme/members/me", headers=bearer(refer), json={})
        assert r.status_code == 403
        assert 'scope="modify"' in r.headers["www-authenticate"]
        modify = await token_for(http, reg, "modify")
        assert (await http.get("/api/me", headers=bearer(modify))).status_code == 403
        r = await http.put(
            "/api/spaces/acme/members/me", headers=bearer(modify), json={"name": "A"}
        )
        assert r.status_code == 200, r.text


def test_a_demo_api_scope_outside_the_catalog_is_a_settings_error() -> None:
    from authgate.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="'nope' is not in the scope catalog"):
        load_settings(demo_api_scopes={"read": "nope"})
