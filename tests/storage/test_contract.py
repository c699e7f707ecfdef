"""The storage contract: every backend (SQLite, PostgreSQL) behaves the same."""

from __future__ import annotations

import pytest

from authgate.crypto.tokens import digest
from authgate.domain import ClientPk, NewAccessToken, NewClient, NewRefreshToken, TokenId, UserId
from authgate.services import Services
from authgate.storage.base import EmailTaken

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
