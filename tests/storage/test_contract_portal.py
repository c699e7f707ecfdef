"""The storage contract of the developer portal and the account pages, on every backend."""

from __future__ import annotations

import dataclasses

import pytest

from authgate.crypto.tokens import digest
from authgate.domain import (
    ClientPk,
    NewAccessToken,
    NewAuthorizationCode,
    NewClient,
    NewRefreshToken,
    SpaceId,
    UserId,
)
from authgate.services import Services
from authgate.storage.base import EmailTaken, RegistrationTaken
from authgate.storage.sql.stores import SqlSessionStore

NOW = 1_800_000_000
DAY = 86400


def new_client(client_id: str = "c1", owner: UserId | None = None, **extra: object) -> NewClient:
    values: dict[str, object] = {
        "client_id": client_id,
        "name": "App",
        "secret_digest": digest("s"),
        "is_public": False,
        "redirect_uris": ("https://app.example/cb",),
        "grant_types": frozenset({"authorization_code"}),
        "scopes": frozenset({"read"}),
        "token_lifetime": None,
        "refresh_policy": "rotate",
        "owner_id": owner,
        "created_at": NOW,
        **extra,
    }
    return NewClient(**values)  # type: ignore[arg-type]


def access(
    client: ClientPk,
    user: UserId | None,
    issued: int = NOW,
    *,
    grant: str = "authorization_code",
    expires: int | None = None,
    space: SpaceId | None = None,
    scope: str = "read",
) -> NewAccessToken:
    return NewAccessToken(
        secret_digest=digest("a"),
        client_pk=client,
        user_id=user,
        scope=scope,
        issued_at=issued,
        expires_at=expires,
        family_id=None,
        grant_type=grant,
        space_id=space,
    )


def refresh(client: ClientPk, user: UserId, issued: int = NOW) -> NewRefreshToken:
    return NewRefreshToken(
        secret_digest=digest("r"),
        client_pk=client,
        user_id=user,
        scope="read write",
        issued_at=issued,
        expires_at=None,
    )


async def test_a_users_profile_and_email_change(services: Services) -> None:
    ann = await services.users.create("ann@example.com", "Ann", "h", NOW)
    await services.users.create("bob@example.com", "Bob", "h", NOW)
    assert (ann.picture, ann.phone_number) == (None, None)
    changed = await services.users.update_profile(
        ann.id, name="Ann B.", picture="https://img.example/a.png", phone_number="+49 30 1"
    )
    assert changed is not None
    assert (changed.name, changed.picture, changed.phone_number) == (
        "Ann B.",
        "https://img.example/a.png",
        "+49 30 1",
    )
    assert await services.users.by_id(ann.id) == changed
    moved = await services.users.set_email(ann.id, "Ann.New@Example.com")
    assert moved is not None and moved.email == "ann.new@example.com"
    assert not moved.email_verified
    assert await services.users.by_email("ann@example.com") is None
    with pytest.raises(EmailTaken):
        await services.users.set_email(ann.id, "BOB@example.com")
    assert await services.users.set_email(ann.id, "ann.new@example.com") is not None  # own
    assert (
        await services.users.update_profile(
            UserId(10**9), name="x", picture=None, phone_number=None
        )
        is None
    )


async def test_owned_clients_registrations_and_compare_and_set(services: Services) -> None:
    ann = await services.users.create("ann@example.com", "Ann", "h", NOW)
    about = {
        "description": "Does things",
        "homepage_url": "https://app.example/",
        "logo_url": "https://cdn.example/l.png",
        "privacy_url": "https://app.example/privacy",
    }
    first = await services.clients.create(
        new_client("c1", ann.id, registration_digest=digest("form-1"), **about)
    )
    assert (first.description, first.homepage_url, first.logo_url, first.privacy_url) == (
        "Does things",
        "https://app.example/",
        "https://cdn.example/l.png",
        "https://app.example/privacy",
    )
    await services.clients.create(new_client("c2"))
    second = await services.clients.create(new_client("c3", ann.id))
    assert [c.client_id for c in await services.clients.owned_by(ann.id)] == ["c1", "c3"]
    assert await services.clients.by_registration(digest("form-1")) == first
    assert await services.clients.by_registration(digest("other")) is None
    with pytest.raises(RegistrationTaken):
        await services.clients.create(
            new_client("c4", ann.id, registration_digest=digest("form-1"))
        )
    assert len(await services.clients.all()) == 3

    assert await services.clients.replace_secret("c1", digest("s"), digest("s2"))
    assert not await services.clients.replace_secret("c1", digest("s"), digest("s3"))
    assert (await services.clients.by_client_id("c1")).secret_digest == digest("s2")  # type: ignore[union-attr]
    assert not await services.clients.replace_secret("c1", None, digest("s3"))
    assert not await services.clients.replace_secret("a\x00b", digest("s2"), digest("s3"))

    assert await services.clients.replace_test_token("c3", None, "sealed-1")
    assert not await services.clients.replace_test_token("c3", None, "sealed-2")
    assert await services.clients.replace_test_token("c3", "sealed-1", "sealed-2")
    assert (await services.clients.by_client_id("c3")).test_token_sealed == "sealed-2"  # type: ignore[union-attr]
    cleared = await services.clients.update("c1", description=None, logo_url=None)
    assert cleared is not None and (cleared.description, cleared.logo_url) == (None, None)
    assert second.owner_id == ann.id


async def test_revoke_other_sessions(services: Services) -> None:
    from authgate.storage.sql.driver import open_database

    ann = await services.users.create("ann@example.com", "Ann", "h", NOW)
    bob = await services.users.create("bob@example.com", "Bob", "h", NOW)
    db = await open_database(services.settings.database_url)
    try:
        store = SqlSessionStore(db)
        keep = await store.create(digest("1"), ann.id, NOW, NOW + 60)
        other = await store.create(digest("2"), ann.id, NOW, NOW + 60)
        bobs = await store.create(digest("3"), bob.id, NOW, NOW + 60)
        assert await store.revoke_others(ann.id, keep, NOW) == 1
        assert await store.get(keep) is not None
        assert await store.get(other) is None
        assert await store.get(bobs) is not None
        assert await store.revoke_others(bob.id, None, NOW) == 1
    finally:
        await db.close()


async def test_a_users_grants_and_revoking_one_app(services: Services) -> None:
    ann = await services.users.create("ann@example.com", "Ann", "h", NOW)
    bob = await services.users.create("bob@example.com", "Bob", "h", NOW)
    web = await services.clients.create(new_client("web"))
    bot = await services.clients.create(new_client("bot"))
    gone = await services.clients.create(new_client("gone"))
    acme = await services.spaces.create("acme", "Acme", (), NOW)
    consents = services.authorize._consents  # type: ignore[attr-defined]
    await consents.grant(ann.id, web.pk, frozenset({"read"}), NOW - 5 * DAY)
    await consents.grant(ann.id, web.pk, frozenset({"write"}), NOW - 4 * DAY, acme.id)
    tokens = services.tokens
    web_access, web_refresh = await tokens.issue(
        access(web.pk, ann.id, NOW - DAY), refresh(web.pk, ann.id, NOW - DAY)
    )
    await tokens.issue(access(web.pk, ann.id, NOW - 2 * DAY, space=acme.id, scope="write"))
    # the password grant: live tokens without a consent
    bot_access, _ = await tokens.issue(access(bot.pk, ann.id, NOW - 3 * DAY, scope="admin"))
    # expired, test and other users' tokens are no grant of Ann's
    await tokens.issue(access(gone.pk, ann.id, NOW - 9 * DAY, expires=NOW - 8 * DAY))
    await tokens.issue(access(gone.pk, ann.id, NOW, grant="test"))
    await tokens.issue(access(web.pk, bob.id, NOW))
    code = NewAuthorizationCode(
        digest("c"), web.pk, ann.id, None, "read", None, None, None, NOW, NOW + 600
    )
    code_id = await services.authorize._codes.add(code)  # type: ignore[attr-defined]

    found = await services.user_grants.of_user(ann.id, NOW)
    by_key = {(g.client_pk, g.space_id): g for g in found}
    assert set(by_key) == {(web.pk, None), (web.pk, acme.id), (bot.pk, None)}
    root = by_key[(web.pk, None)]
    assert root.scopes == {"read", "write"}  # the refresh token's scope counts too
    assert (root.authorized_at, root.last_used) == (NOW - 5 * DAY, NOW - DAY)
    in_acme = by_key[(web.pk, acme.id)]
    assert (in_acme.scopes, in_acme.authorized_at, in_acme.last_used) == (
        {"write"},
        NOW - 4 * DAY,
        NOW - 2 * DAY,
    )
    assert by_key[(bot.pk, None)].authorized_at == NOW - 3 * DAY
    assert [g.client_pk for g in found] == [web.pk, web.pk, bot.pk]  # oldest first

    assert await services.user_grants.revoke(ann.id, web.pk, NOW) == 3
    assert {g.client_pk for g in await services.user_grants.of_user(ann.id, NOW)} == {bot.pk}
    assert (await tokens.access(web_access)).revoked_at == NOW  # type: ignore[union-attr]
    assert web_refresh is not None
    assert (await tokens.refresh(web_refresh)).revoked_at == NOW  # type: ignore[union-attr]
    assert (await services.authorize._codes.get(code_id)).used_at == NOW  # type: ignore[attr-defined,union-attr]
    assert await consents.scopes(ann.id, web.pk) == frozenset()
    assert [g.client_pk for g in await services.user_grants.of_user(bob.id, NOW)] == [web.pk]
    assert (await tokens.access(bot_access)).revoked_at is None  # type: ignore[union-attr]


async def test_revoking_a_users_refresh_tokens(services: Services) -> None:
    ann = await services.users.create("ann@example.com", "Ann", "h", NOW)
    bob = await services.users.create("bob@example.com", "Bob", "h", NOW)
    web = await services.clients.create(new_client("web"))
    _, mine = await services.tokens.issue(access(web.pk, ann.id), refresh(web.pk, ann.id))
    _, theirs = await services.tokens.issue(access(web.pk, bob.id), refresh(web.pk, bob.id))
    assert await services.user_grants.revoke_refresh_tokens(ann.id, NOW) == 1
    assert mine is not None and theirs is not None
    assert (await services.tokens.refresh(mine)).revoked_at == NOW  # type: ignore[union-attr]
    assert (await services.tokens.refresh(theirs)).revoked_at is None  # type: ignore[union-attr]


async def test_usage_per_day_and_last_use(services: Services) -> None:
    ann = await services.users.create("ann@example.com", "Ann", "h", NOW)
    bob = await services.users.create("bob@example.com", "Bob", "h", NOW)
    web = await services.clients.create(new_client("web"))
    idle = await services.clients.create(new_client("idle"))
    start = NOW - 29 * DAY
    for issued, user in [
        (start - 1, ann.id),  # before the window
        (start, ann.id),
        (start + 10, bob.id),
        (NOW, None),  # client credentials
        (NOW + 5, ann.id),
    ]:
        await services.tokens.issue(access(web.pk, user, issued))
    await services.tokens.issue(access(web.pk, ann.id, NOW + 9, grant="test"))
    usage = await services.user_grants.usage(web.pk, start, 30)
    assert (usage.tokens_issued, usage.active_users, usage.last_used) == (4, 2, NOW + 5)
    assert len(usage.per_day) == 30
    assert usage.per_day[0] == 2 and usage.per_day[29] == 2 and sum(usage.per_day) == 4
    none = await services.user_grants.usage(idle.pk, start, 30)
    assert (none.tokens_issued, none.active_users, none.last_used, sum(none.per_day)) == (
        0,
        0,
        None,
        0,
    )
    assert await services.user_grants.last_used([web.pk, idle.pk]) == {web.pk: NOW + 5}
    assert await services.user_grants.last_used([]) == {}
    assert dataclasses.is_dataclass(usage)
