"""``peek_*``: a cached store's answer without a coroutine, exactly what its async look-up
would answer, and nothing while the cache does not hold it."""

from __future__ import annotations

from authgate.crypto.tokens import digest
from authgate.domain import ClientPk, NewAccessToken, TokenId, UserId
from authgate.services import Services
from authgate.storage.base import NOT_HELD
from authgate.storage.cache import CachedClientStore, CachedTokenStore, CachedUserStore
from authgate.storage.sql.clients import SqlClientStore
from authgate.storage.sql.driver import Database
from authgate.storage.sql.stores import SqlTokenStore
from authgate.storage.sql.users import SqlUserStore
from tests.conftest import Factory


def _cached(services: Services) -> tuple[CachedTokenStore, CachedUserStore]:
    assert isinstance(services.tokens, CachedTokenStore)
    assert isinstance(services.users, CachedUserStore)
    return services.tokens, services.users


async def _token(services: Services, make: Factory) -> tuple[TokenId, UserId, str]:
    user = await make.user()
    registered = await make.client()
    client = registered.client
    token_id, _ = await services.tokens.issue(
        NewAccessToken(
            secret_digest=digest("a"),
            client_pk=client.pk,
            user_id=user.id,
            scope="read",
            issued_at=services.minter.now(),
            expires_at=services.minter.now() + 60,
            family_id=None,
            grant_type="client_credentials",
        )
    )
    return token_id, user.id, client.client_id


async def test_peeks_hold_nothing_until_a_look_up_then_its_answer(
    services: Services, make: Factory, db: Database
) -> None:
    token_id, user_id, client_id = await _token(services, make)
    tokens, users = _cached(services)
    clients = CachedClientStore(SqlClientStore(db), ttl=60)  # the tests' settings cache no clients
    tokens.forget()
    users.forget()
    assert services.tokens.peek_access(token_id) == NOT_HELD
    assert services.users.peek_by_id(user_id) == NOT_HELD
    assert clients.peek_by_client_id(client_id) == NOT_HELD

    row = await services.tokens.access(token_id)
    user = await services.users.by_id(user_id)
    client = await clients.by_client_id(client_id)
    assert row is not None and user is not None and client is not None
    assert clients.peek_by_pk(client.pk) == NOT_HELD
    owner = await clients.by_pk(client.pk)
    assert services.tokens.peek_access(token_id) == (True, row)
    assert services.users.peek_by_id(user_id) == (True, user)
    assert clients.peek_by_client_id(client_id) == (True, client)
    assert clients.peek_by_pk(client.pk) == (True, owner)


async def test_an_unknown_id_is_held_as_none_once_looked_up(
    services: Services, db: Database
) -> None:
    assert await services.tokens.access(TokenId(987_654_321)) is None
    assert services.tokens.peek_access(TokenId(987_654_321)) == (True, None)
    clients = CachedClientStore(SqlClientStore(db), ttl=60)
    assert await clients.by_client_id("no-such-client") is None
    assert clients.peek_by_client_id("no-such-client") == (True, None)


async def test_a_change_through_the_store_empties_what_peeks_see(
    services: Services, make: Factory
) -> None:
    token_id, _, _ = await _token(services, make)
    await services.tokens.access(token_id)
    assert services.tokens.peek_access(token_id)[0]
    await services.tokens.revoke_access(token_id, services.minter.now())
    assert services.tokens.peek_access(token_id) == NOT_HELD
    row = await services.tokens.access(token_id)
    assert row is not None and row.revoked_at is not None


async def test_a_peek_counts_its_hit_but_leaves_a_miss_to_the_look_up(
    services: Services, make: Factory
) -> None:
    """The metrics' hit ratio stays true: a miss peeked and then looked up is one miss."""
    _, user_id, _ = await _token(services, make)
    _, users = _cached(services)
    users.forget()
    cache = users.caches["users"]
    hits, misses = cache.hits, cache.misses
    assert services.users.peek_by_id(user_id) == NOT_HELD
    assert (cache.hits, cache.misses) == (hits, misses)
    await services.users.by_id(user_id)
    assert (cache.hits, cache.misses) == (hits, misses + 1)
    assert services.users.peek_by_id(user_id)[0]
    assert (cache.hits, cache.misses) == (hits + 1, misses + 1)


def test_the_sql_stores_hold_nothing_in_memory(db: Database) -> None:
    assert SqlTokenStore(db).peek_access(TokenId(1)) == NOT_HELD
    assert SqlUserStore(db).peek_by_id(UserId(1)) == NOT_HELD
    assert SqlClientStore(db).peek_by_client_id("c1") == NOT_HELD
    assert SqlClientStore(db).peek_by_pk(ClientPk(1)) == NOT_HELD
