"""The storage contract: every backend (SQLite, PostgreSQL) behaves the same."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from authgate.crypto.tokens import digest
from authgate.domain import (
    TOKEN_EXCHANGE,
    ClientPk,
    Membership,
    NewAccessToken,
    NewClient,
    NewRefreshToken,
    SpaceId,
    TokenId,
    UserId,
)
from authgate.services import Services
from authgate.storage.base import ClientIdTaken, EmailTaken
from authgate.storage.sql.spaces import SqlSpaceStore

NOW = 1_800_000_000


def _client(client_id: str = "c1") -> NewClient:
    return NewClient(
        client_id=client_id,
        name="App",
        secret_digest=digest("s"),
        is_public=False,
        redirect_uris=("https://app.example/cb", "http://127.0.0.1/cb"),
        grant_types=frozenset({"authorization_code", "refresh_token"}),
        scopes=frozenset({"read", "write"}),
        token_lifetime=None,
        refresh_policy="rotate",
        owner_id=None,
        created_at=NOW,
    )


def _access(
    client_pk: ClientPk, user_id: UserId | None, family: TokenId | None = None
) -> NewAccessToken:
    return NewAccessToken(
        secret_digest=digest("a"),
        client_pk=client_pk,
        user_id=user_id,
        scope="read",
        issued_at=NOW,
        expires_at=NOW + 60,
        family_id=family,
        grant_type="password",
    )


def _refresh(client_pk: ClientPk, user_id: UserId | None) -> NewRefreshToken:
    return NewRefreshToken(
        secret_digest=digest("r"),
        client_pk=client_pk,
        user_id=user_id,
        scope="read write",
        issued_at=NOW,
        expires_at=None,
    )


async def test_users_are_unique_by_case_insensitive_email(services: Services) -> None:
    user = await services.users.create("Ann@Example.com", "Ann", "hash", NOW)
    assert user.email == "ann@example.com"
    assert await services.users.by_email("ANN@example.com") == user
    assert await services.users.by_id(user.id) == user
    with pytest.raises(EmailTaken):
        await services.users.create("ann@example.COM", "Other", "hash", NOW)


async def test_set_password_replaces_the_hash(services: Services) -> None:
    user = await services.users.create("pat@example.com", "Pat", "old-hash", NOW)
    await services.users.by_id(user.id)  # cached
    await services.users.set_password(user.id, "new-hash")
    by_email = await services.users.by_email("pat@example.com")
    by_id = await services.users.by_id(user.id)
    assert by_email is not None and by_email.password_hash == "new-hash"
    assert by_id is not None and by_id.password_hash == "new-hash"


async def test_client_round_trip_update_and_delete(services: Services) -> None:
    created = await services.clients.create(_client())
    assert created.redirect_uris == ("https://app.example/cb", "http://127.0.0.1/cb")
    assert created.grant_types == {"authorization_code", "refresh_token"}
    assert created.secret_digest == digest("s")
    assert await services.clients.by_client_id("c1") == created
    assert await services.clients.by_pk(created.pk) == created
    updated = await services.clients.update("c1", scopes=frozenset({"read"}), token_lifetime=0)
    assert updated is not None
    assert updated.scopes == {"read"}
    assert updated.token_lifetime == 0
    assert await services.clients.update("missing", name="x") is None
    assert [c.client_id for c in await services.clients.all()] == ["c1"]
    assert await services.clients.delete("c1")
    assert not await services.clients.delete("c1")
    assert await services.clients.by_client_id("c1") is None


async def test_a_taken_client_id_is_refused_and_nothing_is_stored(services: Services) -> None:
    """The registry draws a new id on :class:`ClientIdTaken` (integer ids can collide)."""
    first = await services.clients.create(_client("123456789"))
    with pytest.raises(ClientIdTaken):
        await services.clients.create(dataclasses.replace(_client("123456789"), name="Other"))
    assert await services.clients.all() == [first]
    assert (await services.clients.create(_client("987654321"))).pk != first.pk


@pytest.mark.parametrize("key", ["a\x00b", "\x00", "\udcff", "caf\udce9", "\ud800x"])
async def test_look_ups_by_a_key_no_row_can_hold_find_nothing(services: Services, key: str) -> None:
    """NUL (PostgreSQL's text refuses it even in a query) and lone surrogates (no driver
    encodes them): every string-keyed look-up answers "none", alike on every backend."""
    await services.users.create("ann@example.com", "Ann", "hash", NOW)
    await services.clients.create(_client())
    await services.spaces.create("acme", "Acme", ("login.acme.example",), NOW)
    assert await services.users.by_email(key) is None
    assert await services.users.by_email(key + "@example.com") is None
    assert await services.clients.by_client_id(key) is None
    assert await services.clients.update(key, name="x") is None
    assert not await services.clients.delete(key)
    assert await services.spaces.by_slug(key) is None
    assert await services.spaces.by_domain(key) is None
    assert await services.spaces.by_domain("login.acme.example" + key) is None


async def test_token_ids_increase_and_rows_round_trip(services: Services) -> None:
    client = await services.clients.create(_client())
    first, none = await services.tokens.issue(_access(client.pk, None))
    second, refresh_id = await services.tokens.issue(
        _access(client.pk, None), _refresh(client.pk, None)
    )
    assert none is None and refresh_id is not None
    assert second > first
    row = await services.tokens.access(second)
    assert row is not None
    assert (row.scope, row.expires_at, row.family_id, row.revoked_at) == (
        "read",
        NOW + 60,
        None,
        None,
    )
    refresh = await services.tokens.refresh(refresh_id)
    assert refresh is not None
    assert refresh.family_id == second  # the family is named by its first access token
    assert refresh.scope == "read write"


async def test_rotate_claims_once_and_revoke_family(services: Services) -> None:
    client = await services.clients.create(_client())
    access_id, refresh_id = await services.tokens.issue(
        _access(client.pk, None), _refresh(client.pk, None)
    )
    assert refresh_id is not None
    old = await services.tokens.refresh(refresh_id)
    assert old is not None
    ids = await services.tokens.rotate(
        old, NOW + 1, _access(client.pk, None, access_id), _refresh(client.pk, None)
    )
    assert ids is not None
    assert (
        await services.tokens.rotate(old, NOW + 2, _access(client.pk, None, access_id), None)
        is None
    )
    new_access, new_refresh = ids
    assert new_refresh is not None
    assert (await services.tokens.refresh(new_refresh)).family_id == access_id  # type: ignore[union-attr]
    assert await services.tokens.revoke_family(access_id, NOW + 3) == 4  # 2 access + 2 refresh
    for token_id in (access_id, new_access):
        assert (await services.tokens.access(token_id)).revoked_at == NOW + 3  # type: ignore[union-attr]


async def test_deleting_a_client_deletes_its_tokens(services: Services) -> None:
    client = await services.clients.create(_client())
    access_id, _ = await services.tokens.issue(_access(client.pk, None))
    await services.clients.delete("c1")
    assert await services.tokens.access(access_id) is None


async def test_revoke_access(services: Services) -> None:
    client = await services.clients.create(_client())
    access_id, _ = await services.tokens.issue(_access(client.pk, None))
    assert await services.tokens.revoke_access(access_id, NOW)
    assert not await services.tokens.revoke_access(access_id, NOW)


async def test_derive_joins_the_family_only_while_the_subject_lives(services: Services) -> None:
    """RFC 8693 exchanges: the derived token names the subject's family and stores the
    47-character grant type URN (PostgreSQL's column fits it)."""
    client = await services.clients.create(_client())
    user = await services.users.create("ann@example.com", "Ann", "hash", NOW)
    subject, _ = await services.tokens.issue(
        _access(client.pk, user.id), _refresh(client.pk, user.id)
    )
    exchanged = dataclasses.replace(
        _access(client.pk, user.id, subject), grant_type=TOKEN_EXCHANGE, space_id=None
    )
    derived = await services.tokens.derive(subject, exchanged)
    assert derived is not None
    row = await services.tokens.access(derived)
    assert row is not None
    assert (row.grant_type, row.family_id, row.root_id) == (TOKEN_EXCHANGE, subject, subject)
    assert await services.tokens.revoke_family(subject, NOW + 1) == 3  # 2 access + refresh
    assert (await services.tokens.access(derived)).revoked_at == NOW + 1  # type: ignore[union-attr]
    assert await services.tokens.derive(subject, exchanged) is None
    other, _ = await services.tokens.issue(_access(client.pk, user.id))
    assert await services.tokens.revoke_access(other, NOW)
    assert await services.tokens.derive(other, exchanged) is None
    assert await services.tokens.derive(TokenId(10**9), exchanged) is None


async def test_derive_racing_revoke_family_leaves_nothing_alive(services: Services) -> None:
    """On PostgreSQL these run at once on several connections: whatever order they take,
    no derived token outlives the revoked family."""
    client = await services.clients.create(_client())
    user = await services.users.create("ann@example.com", "Ann", "hash", NOW)
    for _ in range(5):
        subject, _ = await services.tokens.issue(
            _access(client.pk, user.id), _refresh(client.pk, user.id)
        )
        new = _access(client.pk, user.id, subject)
        results = await asyncio.gather(
            *(services.tokens.derive(subject, new) for _ in range(4)),
            services.tokens.revoke_family(subject, NOW),
            *(services.tokens.derive(subject, new) for _ in range(4)),
        )
        derived = [r for r in results[:4] + results[5:] if r is not None]
        for token_id in derived:
            row = await services.tokens.access(token_id)
            assert row is not None and row.revoked_at is not None, token_id


async def test_memberships_round_trip_with_revoked_scopes(services: Services) -> None:
    store = services.spaces
    space = await store.create("acme", "Acme", (), NOW)
    user = await services.users.create("ann@example.com", "Ann", "hash", NOW)
    member = Membership(
        space_id=space.id,
        user_id=user.id,
        role="admin",
        name=None,
        picture=None,
        phone_number=None,
        created_at=NOW,
        revoked_scopes=frozenset({"admin", "write"}),
    )
    assert await store.add_member(member) == member
    assert await store.membership(space.id, user.id) == member
    changed = dataclasses.replace(member, role="member", revoked_scopes=frozenset())
    assert await store.add_member(changed) == changed
    assert await store.members(space.id) == [changed]
    assert await store.remove_member(space.id, user.id)
    assert not await store.remove_member(space.id, user.id)
    assert await store.membership(space.id, user.id) is None


async def test_spaces_of_lists_a_users_spaces_with_memberships(services: Services) -> None:
    """Seed 002: a user's token reaches every space the user was invited to."""
    ann = await services.users.create("ann@example.com", "Ann", "hash", NOW)
    bob = await services.users.create("bob@example.com", "Bob", "hash", NOW)
    await services.spaces.create("beta", "Beta", ("b.example", "a.example"), NOW)
    acme = await services.spaces.create("acme", "Acme", (), NOW)
    await services.spaces.create("gamma", "Gamma", ("g.example",), NOW)
    beta = await services.spaces.by_slug("beta")
    assert beta is not None

    def member(space_id: SpaceId, user_id: UserId, **extra: object) -> Membership:
        values: dict[str, object] = {
            "role": "member",
            "name": None,
            "picture": None,
            "phone_number": None,
            "created_at": NOW,
            **extra,
        }
        return Membership(space_id=space_id, user_id=user_id, **values)  # type: ignore[arg-type]

    in_beta = await services.spaces.add_member(
        member(beta.id, ann.id, role="admin", name="Ann B.", revoked_scopes=frozenset({"admin"}))
    )
    in_acme = await services.spaces.add_member(member(acme.id, ann.id))
    await services.spaces.add_member(member(acme.id, bob.id))
    assert await services.spaces.spaces_of(ann.id) == [(acme, in_acme), (beta, in_beta)]
    assert beta.domains == ("a.example", "b.example")
    assert [s.slug for s, _ in await services.spaces.spaces_of(bob.id)] == ["acme"]
    assert await services.spaces.spaces_of(UserId(10**9)) == []


async def test_cached_memberships_follow_local_changes_and_forget(
    services: Services, other_process: SqlSpaceStore
) -> None:
    """The server's space store caches memberships (token_cache_seconds); its own changes
    clear the cache, another process's are seen after ``forget``."""
    space = await services.spaces.create("acme", "Acme", (), NOW)
    user = await services.users.create("ann@example.com", "Ann", "hash", NOW)
    new = Membership(space.id, user.id, "member", None, None, None, NOW)
    assert await services.spaces.membership(space.id, user.id) is None
    await services.spaces.add_member(new)
    assert await services.spaces.membership(space.id, user.id) == new
    await other_process.remove_member(space.id, user.id)
    if services.settings.token_cache_seconds:
        assert await services.spaces.membership(space.id, user.id) == new  # still cached
    services.spaces.forget()
    assert await services.spaces.membership(space.id, user.id) is None
