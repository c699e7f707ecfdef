"""The storage contract of dynamic registration, on every backend: initial access tokens
whose uses are reserved atomically, and registrations replaced by compare-and-set and gone
with their client."""

from __future__ import annotations

import asyncio

from authgate.crypto.tokens import digest
from authgate.domain import NewClient
from authgate.storage.registrations import ClientRegistration
from authgate.storage.sql.clients import SqlClientStore
from authgate.storage.sql.driver import Database, open_database
from authgate.storage.sql.registrations import SqlClientRegistrationStore, SqlInitialTokenStore

NOW = 1_800_000_000


async def test_uses_are_counted_to_their_limit_and_given_back(db: Database) -> None:
    store = SqlInitialTokenStore(db)
    token = await store.create(digest("s"), NOW, NOW + 60, 2, "root@host")
    assert (await store.get(token.id)) == token
    assert token.uses == 0 and token.created_by == "root@host"
    assert await store.reserve(token.id, NOW)
    assert await store.reserve(token.id, NOW)
    assert not await store.reserve(token.id, NOW)
    await store.release(token.id)
    assert await store.reserve(token.id, NOW)
    for _ in range(5):
        await store.release(token.id)
    stored = await store.get(token.id)
    assert stored is not None and stored.uses == 0  # never below zero


async def test_expiry_and_no_limit(db: Database) -> None:
    store = SqlInitialTokenStore(db)
    token = await store.create(digest("s"), NOW, NOW + 60, None, None)
    for _ in range(20):
        assert await store.reserve(token.id, NOW + 59)
    assert not await store.reserve(token.id, NOW + 60)
    forever = await store.create(digest("t"), NOW, None, None, None)
    assert await store.reserve(forever.id, NOW + 10**9)
    assert not await store.reserve(10**12, NOW)
    assert await store.get(10**12) is None


async def test_concurrent_reservations_of_the_last_use_one_wins(
    db: Database, database_url: str
) -> None:
    """On PostgreSQL through four connections (four workers); SQLite has one per process
    (another process's write waits for its lock, which one event loop cannot show)."""
    store = SqlInitialTokenStore(db)
    token = await store.create(digest("s"), NOW, None, 1, None)
    sqlite = database_url.startswith("sqlite:")
    others = [] if sqlite else [await open_database(database_url) for _ in range(3)]
    try:
        stores = [store, *(SqlInitialTokenStore(o) for o in others)]
        won = await asyncio.gather(
            *(stores[n % len(stores)].reserve(token.id, NOW) for n in range(40))
        )
    finally:
        for other in others:
            await other.close()
    assert sum(won) == 1


async def test_registrations_compare_and_set_and_go_with_their_client(db: Database) -> None:
    clients = SqlClientStore(db)
    client = await clients.create(
        NewClient(
            client_id="c1",
            name="App",
            secret_digest=digest("s"),
            is_public=False,
            redirect_uris=("https://app.example/cb",),
            grant_types=frozenset({"authorization_code"}),
            scopes=frozenset({"read"}),
            token_lifetime=None,
            refresh_policy="rotate",
            owner_id=None,
            created_at=NOW,
        )
    )
    store = SqlClientRegistrationStore(db)
    registration = ClientRegistration(
        client.pk, digest("one"), "client_secret_basic", ("code", "code id_token"), NOW, None
    )
    await store.add(registration)
    assert await store.get(client.pk) == registration
    assert await store.replace(client.pk, digest("one"), digest("two"), "client_secret_post", ())
    assert not await store.replace(client.pk, digest("one"), digest("three"), "none", ())
    stored = await store.get(client.pk)
    assert stored is not None
    assert (stored.token_digest, stored.auth_method, stored.response_types) == (
        digest("two"),
        "client_secret_post",
        (),
    )
    assert await clients.delete("c1")
    assert await store.get(client.pk) is None
