"""The storage contract of the admin services, on every backend: revisions (the admin
API's ETags) and what only an operator lists (a client's tokens, a user's sessions, every
consent)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import pytest

from authgate.audit.events import Actor
from authgate.crypto.tokens import digest
from authgate.domain import Membership, NewAccessToken, NewRefreshToken, TokenId
from authgate.protocol.rules import RegistrationError
from authgate.services import Services
from authgate.storage.base import KeysChanged, RevisionMismatch
from authgate.storage.sql.admin import SqlAdminStore
from authgate.storage.sql.driver import Database, open_database
from authgate.storage.sql.stores import SqlSessionStore
from tests.conftest import Factory

NOW = 1_800_000_000


async def test_every_change_adds_one_to_the_revision(services: Services, make: Factory) -> None:
    users = services.users
    user = await make.user()
    assert user.revision == 1
    updated = await users.update(user.id, name="Ann", revision=1)
    assert updated is not None and updated.revision == 2
    await users.set_password(user.id, "hash")
    await users.disable(user.id, NOW)
    await users.enable(user.id)
    changed = await users.by_id(user.id)
    assert changed is not None and changed.revision == 5
    with pytest.raises(RevisionMismatch):
        await users.update(user.id, name="late", revision=2)
    with pytest.raises(RevisionMismatch):
        await users.delete(user.id, revision=4)
    assert await users.update(user.id + 1000, name="x", revision=1) is None  # type: ignore[operator]
    assert await users.delete(user.id, revision=5)

    client = (await make.client()).client
    clients = services.clients
    renamed = await clients.update(client.client_id, revision=client.revision, name="B")
    assert renamed is not None and renamed.revision == client.revision + 1
    assert await clients.replace_secret(client.client_id, client.secret_digest, digest("n"))
    with pytest.raises(RevisionMismatch):
        await clients.delete(client.client_id, renamed.revision)
    assert await clients.delete(client.client_id, renamed.revision + 1)


async def test_member_revisions(services: Services, make: Factory) -> None:
    user = await make.user()
    space = await services.spaces.create("acme", "Acme", (), NOW)
    member = await services.spaces.add_member(
        Membership(space.id, user.id, "member", None, None, None, NOW)
    )
    assert member.revision == 1
    with pytest.raises(RevisionMismatch):
        await services.spaces.add_member(dataclasses.replace(member, role="admin"), 7)
    admin = await services.spaces.add_member(dataclasses.replace(member, role="admin"), 1)
    assert (admin.role, admin.revision) == ("admin", 2)
    again = await services.spaces.add_member(dataclasses.replace(admin, name="A"))
    assert again.revision == 3
    with pytest.raises(RevisionMismatch):
        await services.spaces.remove_member(space.id, user.id, 2)
    assert await services.spaces.remove_member(space.id, user.id, 3)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """The database as another process sees it (the app's own is behind its caches)."""
    opened = await open_database(database_url)
    try:
        yield opened
    finally:
        await opened.close()


async def test_client_tokens_sessions_and_consents(
    services: Services, make: Factory, db: Database
) -> None:
    store = SqlAdminStore(db)
    user = await make.user()
    client = (await make.client()).client
    ids = []
    for n in range(3):
        access = NewAccessToken(
            digest(f"a{n}"), client.pk, user.id, "read", NOW, NOW + 3600, None, "password"
        )
        refresh = NewRefreshToken(digest(f"r{n}"), client.pk, user.id, "read", NOW, None)
        ids.append((await services.tokens.issue(access, refresh))[0])
    expired = NewAccessToken(digest("x"), client.pk, None, "read", NOW - 10, NOW - 1, None, "cc")
    await services.tokens.issue(expired)
    live = await store.client_tokens(client.pk, NOW, after=None, limit=10)
    assert [t.id for t in live] == ids
    page = await store.client_tokens(client.pk, NOW, after=ids[0], limit=1)
    assert [t.id for t in page] == [ids[1]]
    assert await store.revoke_client_tokens(client.pk, NOW) == 7  # 4 access, 3 refresh
    assert await store.client_tokens(client.pk, NOW, after=None, limit=10) == []

    sessions = SqlSessionStore(db)
    first = await sessions.create(digest("s"), user.id, NOW, NOW + 60)
    await sessions.create(digest("t"), user.id, NOW - 120, NOW - 60)  # expired
    assert [s.id for s in await store.sessions_of(user.id, NOW)] == [first]
    assert await store.revoke_session(user.id, first, NOW)
    assert not await store.revoke_session(user.id, first, NOW)
    assert not await store.revoke_session(user.id, TokenId(first + 99), NOW)

    consents = services.authorize._consents
    other = await make.user("bob@example.com")
    space = await services.spaces.create("acme", "Acme", (), NOW)
    await consents.grant(user.id, client.pk, frozenset({"read"}), NOW)
    await consents.grant(user.id, client.pk, frozenset({"write"}), NOW, space.id)
    await consents.grant(other.id, client.pk, frozenset({"read"}), NOW)
    every = await store.consents()
    assert [(c.user_id, c.space_id) for c in every] == [
        (user.id, None),
        (user.id, space.id),
        (other.id, None),
    ]
    after = (every[0].user_id, every[0].client_pk, 0)
    assert [c.space_id for c in await store.consents(after=after, limit=1)] == [space.id]
    assert len(await store.consents(user_id=other.id)) == 1
    assert len(await store.consents(client_pk=client.pk)) == 3


async def test_reserved_scopes_need_a_privileged_caller(services: Services) -> None:
    registry = services.registry
    cc = {"grant_types": ["client_credentials"], "scopes": ["authgate:admin"]}
    with pytest.raises(RegistrationError, match="unknown scope"):
        await registry.register("Sneaky", **cc)  # type: ignore[arg-type]
    made = await registry.register("Admin", privileged=True, **cc)  # type: ignore[arg-type]
    with pytest.raises(RegistrationError, match="client_credentials grant only"):
        await registry.update(
            made.client.client_id,
            grant_types=["authorization_code"],
            redirect_uris=["https://a.example/cb"],
        )
    with pytest.raises(RegistrationError, match="unknown scope"):
        await registry.update(made.client.client_id, scopes=["authgate:admin", "read"])
    renamed = await registry.update(made.client.client_id, name="Admin 2", actor=Actor.system())
    assert renamed.scopes == frozenset({"authgate:admin"})


async def test_clients_come_a_page_at_a_time(services: Services, make: Factory) -> None:
    made = [(await make.client(name=f"App {n}")).client for n in range(5)]
    first = await services.clients.page(limit=2)
    assert [c.pk for c in first] == [c.pk for c in made[:2]]
    rest = await services.clients.page(after=first[-1].pk, limit=10)
    assert [c.pk for c in rest] == [c.pk for c in made[2:]]
    assert await services.clients.page(after=made[-1].pk) == []


async def test_of_rotations_made_after_seeing_one_key_one_happens(services: Services) -> None:
    """KeyStore.add with ``newest``: four rotations at once, each made after seeing the
    same newest key (the console's confirmation page): exactly one key is added."""
    await services.keys.ensure()
    before = await services.keys.keys()
    seen = max(before, key=lambda k: (k.created_at, k.id)).kid
    actor = Actor("user", "ops@example.com", "127.0.0.1")
    results = await asyncio.gather(
        *(services.keys.rotate_by(actor, newest=seen) for _ in range(4)), return_exceptions=True
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, KeysChanged) for r in results if isinstance(r, BaseException))
    assert len(await services.keys.keys()) == len(before) + 1
