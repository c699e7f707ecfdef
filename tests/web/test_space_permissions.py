"""Seed 001: a token's effective scope is decided at request time. A token bound to a space
(issued by its issuer, or exchanged for it) is worth the scope granted, intersected with
what its user may do there now: revoked scopes and, for non-admins, the admin scopes are
gone on the next request, and a member removed from the space loses the token."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest

from authgate.domain import Membership, Space, SpaceId, User, UserId
from authgate.protocol.registration import Registered
from authgate.services import Services
from authgate.storage.sql.spaces import SqlSpaceStore
from tests.conftest import Factory
from tests.web.oidc_support import change_member, space_with_member
from tests.web.token_support import client_auth, password_tokens

ACME = "/spaces/acme"


@pytest.fixture
async def app_client(make: Factory, alice: User) -> Registered:
    return await make.client(
        grant_types=["password", "client_credentials"], scopes=["read", "write", "admin"]
    )


@pytest.fixture
async def acme(services: Services, alice: User) -> Space:
    """The space ``acme`` with alice as an admin."""
    space = await space_with_member(services, alice.id)
    await change(services, space, alice, role="admin")
    return space


async def change(services: Services, space: Space, user: User, **changes: Any) -> Membership:
    """What ``authgate space update-member`` does, through this server's store."""
    return await change_member(services.spaces, space.id, user.id, **changes)


async def me(http: httpx.AsyncClient, token: str) -> httpx.Response:
    return await http.get("/api/me", headers={"Authorization": f"Bearer {token}"})


async def scope_of(http: httpx.AsyncClient, token: str) -> str:
    r = await me(http, token)
    assert r.status_code == 200, r.text
    scope: str = r.json()["scope"]
    return scope


async def introspect(http: httpx.AsyncClient, reg: Registered, token: str, url: str = ACME) -> Any:
    r = await http.post(url + "/oauth/introspect", data={"token": token}, auth=client_auth(reg))
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_revoked_admin_scope_is_gone_on_the_next_request_seed_001(
    http: httpx.AsyncClient, services: Services, app_client: Registered, acme: Space, alice: User
) -> None:
    token = (await password_tokens(http, app_client, ACME + "/oauth/token"))["access_token"]
    assert await scope_of(http, token) == "admin read write"
    await change(services, acme, alice, revoked_scopes=frozenset({"admin"}))
    assert await scope_of(http, token) == "read write"  # the same token, no new one
    assert (await introspect(http, app_client, token))["scope"] == "read write"
    await change(services, acme, alice, revoked_scopes=frozenset())
    assert await scope_of(http, token) == "admin read write"


async def test_admin_scopes_are_for_admins_only(
    http: httpx.AsyncClient, services: Services, app_client: Registered, acme: Space, alice: User
) -> None:
    token = (await password_tokens(http, app_client, ACME + "/oauth/token"))["access_token"]
    await change(services, acme, alice, role="member")
    assert await scope_of(http, token) == "read write"
    await change(services, acme, alice, role="admin")
    assert await scope_of(http, token) == "admin read write"


async def test_a_scope_needed_by_the_endpoint_can_be_revoked_too(
    http: httpx.AsyncClient, services: Services, app_client: Registered, acme: Space, alice: User
) -> None:
    token = (await password_tokens(http, app_client, ACME + "/oauth/token"))["access_token"]
    await change(services, acme, alice, revoked_scopes=frozenset({"read"}))
    r = await me(http, token)
    assert r.status_code == 403
    assert r.json()["error"] == "insufficient_scope"


async def test_a_removed_member_loses_the_space_bound_token(
    http: httpx.AsyncClient, services: Services, app_client: Registered, acme: Space, alice: User
) -> None:
    tokens = await password_tokens(http, app_client, ACME + "/oauth/token")
    assert await services.spaces.remove_member(acme.id, alice.id)
    r = await me(http, tokens["access_token"])
    assert r.status_code == 401
    assert r.json() == {
        "error": "invalid_token",
        "error_description": "The access token's user is no longer a member of its space",
    }
    assert 'error="invalid_token"' in r.headers["www-authenticate"]
    assert await introspect(http, app_client, tokens["access_token"]) == {"active": False}
    r = await http.post(
        ACME + "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=client_auth(app_client),
    )
    assert r.json()["error"] == "invalid_grant"


async def test_tokens_not_bound_to_a_space_keep_their_scope(
    http: httpx.AsyncClient, services: Services, app_client: Registered, acme: Space, alice: User
) -> None:
    """A user's token of the root issuer is bound to no space: what it may do in one is the
    resource's question (``Permissions.scopes_in``), not the token check's."""
    token = (await password_tokens(http, app_client))["access_token"]
    await change(services, acme, alice, role="member", revoked_scopes=frozenset({"write"}))
    assert await scope_of(http, token) == "admin read write"
    await services.spaces.remove_member(acme.id, alice.id)
    assert await scope_of(http, token) == "admin read write"


async def test_a_clients_own_token_of_a_space_is_not_about_membership(
    http: httpx.AsyncClient, app_client: Registered, acme: Space
) -> None:
    r = await http.post(
        ACME + "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "read admin"},
        auth=client_auth(app_client),
    )
    assert r.status_code == 200, r.text
    assert await scope_of(http, r.json()["access_token"]) == "admin read"


async def test_a_clients_own_space_token_cannot_write_a_members_profile(
    http: httpx.AsyncClient, app_client: Registered, acme: Space
) -> None:
    """The space's write scope does not make a client acting for itself a member: 403,
    never a 500 (found by the profile gap study)."""
    r = await http.post(
        ACME + "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "write"},
        auth=client_auth(app_client),
    )
    assert r.status_code == 200, r.text
    r = await http.put(
        "/api/spaces/acme/members/me",
        json={"name": "Bot"},
        headers={"Authorization": f"Bearer {r.json()['access_token']}"},
    )
    assert r.status_code == 403, r.text
    assert r.json()["error"] == "insufficient_scope"
    assert "acting for a user" in r.json()["error_description"]
    assert 'error="insufficient_scope"' in r.headers["www-authenticate"]


class TestAnotherProcessChanges:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"token_cache_seconds": 60}

    async def test_seen_once_the_cache_is_dropped(
        self,
        http: httpx.AsyncClient,
        services: Services,
        app_client: Registered,
        acme: Space,
        alice: User,
        other_process: SqlSpaceStore,
    ) -> None:
        token = (await password_tokens(http, app_client, ACME + "/oauth/token"))["access_token"]
        assert await scope_of(http, token) == "admin read write"
        await change_member(other_process, acme.id, alice.id, revoked_scopes=frozenset({"admin"}))
        assert await scope_of(http, token) == "admin read write"  # within token_cache_seconds
        services.permissions.forget()  # what a cross-worker notice will call
        assert await scope_of(http, token) == "read write"
        await other_process.remove_member(acme.id, alice.id)
        services.permissions.forget()
        assert (await me(http, token)).status_code == 401


class TestWithoutCache:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"token_cache_seconds": 0}

    async def test_seen_on_the_next_request(
        self,
        http: httpx.AsyncClient,
        app_client: Registered,
        acme: Space,
        alice: User,
        other_process: SqlSpaceStore,
    ) -> None:
        token = (await password_tokens(http, app_client, ACME + "/oauth/token"))["access_token"]
        await change_member(other_process, acme.id, alice.id, role="member")
        assert await scope_of(http, token) == "read write"


class TestCustomAdminScopes:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"admin_scopes": ["write", "admin"]}

    async def test_every_admin_scope_is_withheld_from_members(
        self,
        http: httpx.AsyncClient,
        services: Services,
        app_client: Registered,
        acme: Space,
        alice: User,
    ) -> None:
        token = (await password_tokens(http, app_client, ACME + "/oauth/token"))["access_token"]
        await change(services, acme, alice, role="member")
        assert await scope_of(http, token) == "read"


# ---------------------------------------------------------------------- the permissions API


async def test_scopes_in_for_tokens_and_users(
    http: httpx.AsyncClient,
    services: Services,
    app_client: Registered,
    make: Factory,
    acme: Space,
    alice: User,
) -> None:
    """What a resource asks for an unbound token on a space's resources: ``None`` (no
    access) for non-members and tokens bound elsewhere, else the scopes usable there."""
    permissions = services.permissions
    beta = await space_with_member(services, None, slug="beta")
    unbound = await services.checker.check(
        (await password_tokens(http, app_client))["access_token"]
    )
    bound = await services.checker.check(
        (await password_tokens(http, app_client, ACME + "/oauth/token"))["access_token"]
    )
    assert (unbound.space_id, bound.space_id) == (None, acme.id)
    everything = frozenset({"admin", "read", "write"})
    assert await permissions.scopes_in(unbound, acme.id) == everything
    assert await permissions.scopes_in(bound, acme.id) == everything
    assert await permissions.scopes_in(unbound, acme.id, frozenset({"read", "x"})) == {"read"}
    assert await permissions.scopes_in(unbound, beta.id) is None  # not a member
    assert await permissions.scopes_in(bound, beta.id) is None  # bound to acme
    await change(services, acme, alice, role="member", revoked_scopes=everything - {"admin"})
    assert await permissions.scopes_in(unbound, acme.id) == frozenset()  # a member, no scope
    assert await permissions.scopes_in(alice.id, acme.id, everything) == frozenset()
    assert await permissions.scopes_in(UserId(10**9), acme.id, everything) is None
    with pytest.raises(TypeError):
        await permissions.scopes_in(alice.id, acme.id)

    r = await http.post(
        ACME + "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=client_auth(app_client),
    )
    own = await services.checker.check(r.json()["access_token"])
    assert own.user_id is None and own.space_id == acme.id
    assert await permissions.scopes_in(own, acme.id) == {"read", "write", "admin"}
    assert await permissions.scopes_in(own, beta.id) is None
    r = await http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=client_auth(app_client)
    )
    unbound_own = await services.checker.check(r.json()["access_token"])
    assert await permissions.scopes_in(unbound_own, acme.id) is None


async def test_effective_membership_and_spaces_of(
    services: Services, acme: Space, alice: User
) -> None:
    permissions = services.permissions
    assert permissions.admin_scopes == {"admin"}
    member = await permissions.membership(acme.id, alice.id)
    assert member is not None and member.role == "admin"
    assert permissions.usable(member, frozenset({"admin", "read"})) == {"admin", "read"}
    as_member = dataclasses.replace(member, role="member", revoked_scopes=frozenset({"read"}))
    assert permissions.usable(as_member, frozenset({"admin", "read", "write"})) == {"write"}
    assert await permissions.effective(SpaceId(10**9), alice.id, frozenset({"read"})) is None
    assert [(s.slug, m.role) for s, m in await permissions.spaces_of(alice.id)] == [
        ("acme", "admin")
    ]
