"""The console's users pages over HTTP, on SQLite and PostgreSQL: search and paging,
creating a user (a password made is shown once and signs them in), editing them (the admin
role too) at the revision shown, disabling and enabling, setting a password, ending
sessions and grants, deleting after a typed confirmation; each action is in the audit log
with the administrator as its actor, and a stale form changes nothing."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from authgate.domain import User
from authgate.services import Services
from tests.conftest import Factory
from tests.web.admin_console.console_support import CLI, Console, events
from tests.web.flow import Browser
from tests.web.portal_support import CB, field_errors, form_fields, input_value


async def stored(services: Services, user: User) -> User | None:
    return await services.users.by_id(user.id)


# ---------------------------------------------------------------------------- list


async def test_the_list_searches_and_pages(console: Console, make: Factory) -> None:
    for n in range(55):
        await make.user(f"user{n:02d}@example.com")
    first = await console.page("/admin/users")
    assert first.count('class="row-link"') == 50
    assert "root@example.com" in first
    nxt = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert nxt.startswith("/admin/users?after=")
    second = await console.page(nxt.replace("&amp;", "&"))
    assert second.count('class="row-link"') == 6
    assert 'rel="next"' not in second and "First page" in second
    found = await console.page("/admin/users?q=USER1")
    assert found.count('class="row-link"') == 10
    assert "user15@example.com" in found and "user20@example.com" not in found
    none = await console.page("/admin/users?q=nobody-like-this")
    assert "No user matches" in none


# ---------------------------------------------------------------------------- create


async def test_creating_a_user_with_a_made_password_shows_it_once(
    console: Console, services: Services, http: httpx.AsyncClient
) -> None:
    page = await console.done(
        "/admin/users/new",
        "/admin/users",
        email="Carol@Example.com",
        name="Carol",
        password="",
        is_admin="1",
    )
    assert "carol@example.com was created." in page
    password = input_value(page, "shown-password")
    assert password and len(password) >= 12
    carol = await services.users.by_email("carol@example.com")
    assert carol is not None and carol.is_admin and carol.name == "Carol"
    again = await console.page(f"/admin/users/{carol.id}")
    assert input_value(again, "shown-password") is None
    other = httpx.AsyncClient(transport=http._transport, base_url="http://testserver")
    async with other:
        r = await Browser(other).login(email="carol@example.com", password=password)
        assert r.status_code == 303
    created = await events(services, event="user.created")
    assert created[0].actor.name == "root@example.com" and created[0].actor.type == "user"
    assert created[0].target == "carol@example.com"
    assert password not in str([e.to_dict() for e in await events(services)])


async def test_bad_input_shows_the_form_again_with_messages(
    console: Console, services: Services, bob: User
) -> None:
    r = await console.post(
        "/admin/users/new", "/admin/users", email="not-an-address", name="X", password="short"
    )
    assert r.status_code == 400
    errors = field_errors(r.text)
    assert set(errors) == {"email", "password"}
    assert input_value(r.text, "email") == "not-an-address"
    r = await console.post("/admin/users/new", "/admin/users", email="bob@example.com", name="B")
    assert r.status_code == 400
    assert "already exists" in field_errors(r.text)["email"]


# ---------------------------------------------------------------------------- edit


async def test_editing_a_user_and_the_admin_role(
    console: Console, services: Services, bob: User
) -> None:
    page = await console.done(
        f"/admin/users/{bob.id}/edit",
        f"/admin/users/{bob.id}",
        email="robert@example.com",
        name="Robert",
        email_verified="1",
        is_admin="1",
    )
    assert "Saved." in page
    now = await stored(services, bob)
    assert now is not None and now.email == "robert@example.com" and now.is_admin
    assert now.email_verified and now.revision > bob.revision
    (updated,) = await events(services, event="user.updated", target="robert@example.com")
    assert updated.actor.name == "root@example.com"
    assert updated.details["is_admin"] is True
    assert updated.details["new_email"] == "robert@example.com"


async def test_a_stale_edit_changes_nothing_and_says_so(
    console: Console, services: Services, bob: User
) -> None:
    path = f"/admin/users/{bob.id}"
    form = form_fields(await console.page(path + "/edit"), path)
    # Another administrator saves first.
    await services.user_admin.update(bob, actor=CLI, name="Bobby")
    r = await console.http.post(path, data={**form, "email": bob.email, "name": "Mine"})
    assert r.status_code == 409
    assert "changed meanwhile" in r.text
    assert input_value(r.text, "name") == "Bobby"  # the form shows what is stored now
    now = await stored(services, bob)
    assert now is not None and now.name == "Bobby"
    # A form without a revision is stale too.
    r = await console.http.post(
        path, data={"csrf_token": form["csrf_token"], "email": bob.email, "name": "Mine"}
    )
    assert r.status_code == 409


async def test_an_admin_cannot_take_their_own_role(
    console: Console, services: Services, admin: User
) -> None:
    r = await console.post(
        f"/admin/users/{admin.id}/edit", f"/admin/users/{admin.id}", email=admin.email, name="R"
    )
    assert r.status_code == 400
    assert "yourself" in field_errors(r.text)["is_admin"]
    assert (await stored(services, admin)).is_admin  # type: ignore[union-attr]


# ---------------------------------------------------------------------------- actions


async def test_disabling_asks_first_then_ends_everything_and_enabling_lets_them_in(
    console: Console, services: Services, bob: User, http: httpx.AsyncClient
) -> None:
    other = httpx.AsyncClient(transport=http._transport, base_url="http://testserver")
    async with other:
        assert (await Browser(other).login(email=bob.email)).status_code == 303
        confirm = await console.page(f"/admin/users/{bob.id}/disable")
        assert "Disable bob@example.com?" in confirm
        page = await console.done(
            f"/admin/users/{bob.id}/disable", f"/admin/users/{bob.id}/disable"
        )
        assert "is disabled; 1 sessions" in page
        assert not (await stored(services, bob)).is_active  # type: ignore[union-attr]
        r = await other.get("/account")
        assert r.status_code == 303  # signed out
        page = await console.done(f"/admin/users/{bob.id}", f"/admin/users/{bob.id}/enable")
        assert "may sign in again" in page
        assert (await Browser(other).login(email=bob.email)).status_code == 303
    names = [e.event for e in await events(services, target=bob.email)]
    assert "user.disabled" in names and "user.enabled" in names


async def test_an_admin_cannot_disable_or_delete_themselves(
    console: Console, services: Services, admin: User
) -> None:
    path = f"/admin/users/{admin.id}"
    page = await console.page(path)
    assert "another administrator can disable or delete it" in page
    form = form_fields(await console.page("/admin/users"), "/logout")
    token = form_fields(await console.page(path), path + "/password")["csrf_token"]
    r = await console.http.post(path + "/disable", data={"csrf_token": token})
    assert r.status_code == 303
    assert (await stored(services, admin)).is_active  # type: ignore[union-attr]
    r = await console.http.post(
        path + "/delete", data={"csrf_token": token, "confirm": admin.email, "revision": "1"}
    )
    assert r.status_code == 303
    assert await stored(services, admin) is not None
    assert form


async def test_setting_a_password_typed_or_made(
    console: Console, services: Services, bob: User, http: httpx.AsyncClient
) -> None:
    path = f"/admin/users/{bob.id}"
    page = await console.done(path, path + "/password", new_password="a new password")
    assert "has a new password" in page and input_value(page, "shown-password") is None
    page = await console.done(path, path + "/password", new_password="")
    made = input_value(page, "shown-password")
    assert made
    r = await console.post(path, path + "/password", new_password="short")
    assert r.status_code == 400 and "new_password" in field_errors(r.text)
    other = httpx.AsyncClient(transport=http._transport, base_url="http://testserver")
    async with other:
        assert (await Browser(other).login(email=bob.email, password=made)).status_code == 303
    assert len(await events(services, event="user.password_set")) == 2


async def test_sessions_and_grants_are_listed_and_ended(
    console: Console, services: Services, bob: User, http: httpx.AsyncClient, make: Factory
) -> None:
    reg = await make.client(
        name="Notes", grant_types=["authorization_code"], redirect_uris=[CB], scopes=["read"]
    )
    tasks = await make.client(
        name="Tasks", grant_types=["authorization_code"], redirect_uris=[CB], scopes=["read"]
    )
    other = httpx.AsyncClient(transport=http._transport, base_url="http://testserver")
    async with other:
        assert (await Browser(other).login(email=bob.email)).status_code == 303
        bobs = Browser(other)
        assert (await bobs.login(email=bob.email)).status_code == 303
        for app in (reg, tasks):
            code = await bobs.code_for(
                response_type="code",
                client_id=app.client.client_id,
                redirect_uri=CB,
                scope="read",
                state="s",
            )
            assert code
    sessions = await services.user_access.sessions(bob)
    assert len(sessions) == 2
    path = f"/admin/users/{bob.id}"
    page = await console.page(path)
    assert page.count(f"{path}/sessions/") == 3  # each, and all
    page = await console.done(path, f"{path}/sessions/{sessions[0].id}/revoke")
    assert "signed out" in page
    assert len(await services.user_access.sessions(bob)) == 1
    page = await console.done(path, f"{path}/sessions/revoke")
    assert "1 sessions were ended" in page
    assert not await services.user_access.sessions(bob)
    page = await console.page(path)
    assert "Notes" in page and "<code>read</code>" in page
    page = await console.done(path, f"{path}/grants/{reg.client.client_id}/revoke")
    assert "Notes can no longer use" in page
    assert len(await services.user_access.grants(bob)) == 1  # Tasks
    page = await console.done(path, f"{path}/grants/revoke")
    assert "No app can use bob@example.com's account any more" in page.replace("&#39;", "'")
    assert not await services.user_access.grants(bob)
    names = [e.event for e in await events(services, actor="root@example.com")]
    assert names.count("user.sessions_revoked") == 2 and "consent.revoked" in names


async def test_deleting_needs_the_typed_address_and_the_current_revision(
    console: Console, services: Services, bob: User
) -> None:
    path = f"/admin/users/{bob.id}/delete"
    r = await console.post(path, path, confirm="bob")
    assert r.status_code == 400 and "exactly" in r.text
    form = form_fields(await console.page(path), path)
    await services.user_admin.update(bob, actor=CLI, name="Changed")
    r = await console.http.post(path, data={**form, "confirm": bob.email})
    assert r.status_code == 400 and "changed meanwhile" in r.text
    assert await stored(services, bob) is not None
    page = await console.done(path, path, confirm="BOB@example.com")
    assert "bob@example.com was deleted." in page
    assert await stored(services, bob) is None
    # the same form again: the user is gone, nothing to do
    r = await console.http.post(path, data={**form, "confirm": bob.email})
    assert r.status_code == 303 and r.headers["location"] == "/admin/users"
    (deleted,) = await events(services, event="user.deleted")
    assert deleted.actor.name == "root@example.com"


@pytest.mark.parametrize("choice", ["keep", "delete"])
async def test_deleting_a_user_who_owns_clients_says_what_becomes_of_them(
    console: Console, services: Services, bob: User, choice: str
) -> None:
    reg = await services.registry.register(
        "Bob's App", redirect_uris=["https://b.example/cb"], owner_email=bob.email
    )
    path = f"/admin/users/{bob.id}/delete"
    page = await console.page(path)
    assert "They own 1 client: Bob&#39;s App" in page
    await console.done(path, path, confirm=bob.email, owned_clients=choice)
    client = await services.clients.by_client_id(reg.client.client_id)
    assert (client is None) == (choice == "delete")


async def test_two_admins_saving_at_once_one_wins_the_other_is_told(
    console: Console, services: Services, bob: User
) -> None:
    path = f"/admin/users/{bob.id}"
    form = form_fields(await console.page(path + "/edit"), path)
    answers = await asyncio.gather(
        *(
            console.http.post(path, data={**form, "email": bob.email, "name": name})
            for name in ("First", "Second")
        )
    )
    assert sorted(r.status_code for r in answers) == [303, 409]
    won = "First" if answers[0].status_code == 303 else "Second"
    now = await stored(services, bob)
    assert now is not None and now.name == won
    assert len(await events(services, event="user.updated", target=bob.email)) == 1
