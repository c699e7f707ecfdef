"""The console's spaces pages over HTTP, on SQLite and PostgreSQL: creating a space (bad
values shown next to their field), adding members, changing a member's role and revoked
scopes at the revision shown (a stale form changes nothing), removing a member after a
confirmation; each in the audit log with the administrator as actor."""

from __future__ import annotations

from authgate.domain import User
from authgate.services import Services
from tests.web.admin_console.console_support import CLI, Console, events
from tests.web.portal_support import field_errors, form_fields


async def test_creating_a_space(console: Console, services: Services) -> None:
    page = await console.done("/admin/spaces", "/admin/spaces", slug="acme", name="Acme Inc")
    assert "The space Acme Inc was created." in page
    assert "/spaces/acme" in page  # its issuer
    assert await services.spaces.by_slug("acme") is not None
    listed = await console.page("/admin/spaces")
    assert 'href="/admin/spaces/acme"' in listed
    (created,) = await events(services, event="space.created")
    assert created.actor.name == "root@example.com"


async def test_bad_space_values_are_shown_next_to_their_field(
    console: Console, services: Services
) -> None:
    r = await console.post("/admin/spaces", "/admin/spaces", slug="Not A Slug", name="X")
    assert r.status_code == 400 and "slug" in field_errors(r.text)
    r = await console.post("/admin/spaces", "/admin/spaces", slug="ok", name="")
    assert r.status_code == 400 and "name" in field_errors(r.text)
    await console.done("/admin/spaces", "/admin/spaces", slug="taken", name="Taken")
    r = await console.post("/admin/spaces", "/admin/spaces", slug="taken", name="Again")
    assert r.status_code == 400 and "already exists" in field_errors(r.text)["slug"]
    assert len(await services.spaces.all()) == 1


async def test_members_are_added_changed_and_removed(
    console: Console, services: Services, bob: User
) -> None:
    await console.done("/admin/spaces", "/admin/spaces", slug="acme", name="Acme")
    space = "/admin/spaces/acme"
    r = await console.post(space, space + "/members", email="nobody@example.com")
    assert r.status_code == 400 and "No user" in field_errors(r.text)["email"]
    page = await console.done(space, space + "/members", email=bob.email, role="member")
    assert "bob@example.com was added." in page
    r = await console.post(space, space + "/members", email=bob.email, role="admin")
    assert r.status_code == 400 and "member already" in r.text
    member = f"{space}/members/{bob.id}"
    page = await console.done(space, member, role="admin", revoked_scopes="write")
    assert "bob@example.com was saved." in page
    acme = await services.spaces.by_slug("acme")
    assert acme is not None
    held = await services.spaces.membership(acme.id, bob.id)
    assert held is not None and held.role == "admin" and held.revoked_scopes == {"write"}
    r = await console.post(space, member, role="admin", revoked_scopes="no-such-scope")
    assert r.status_code == 400 and "unknown scope" in r.text
    page = await console.done(space, member, role="member", revoked_scopes="")
    held = await services.spaces.membership(acme.id, bob.id)
    assert held is not None and held.role == "member" and not held.revoked_scopes
    assert "Remove bob@example.com from Acme?" in await console.page(member + "/remove")
    page = await console.done(member + "/remove", member + "/remove")
    assert "bob@example.com was removed." in page
    assert await services.spaces.membership(acme.id, bob.id) is None
    names = [e.event for e in await events(services, actor="root@example.com", target=bob.email)]
    assert names.count("space.member_updated") == 2
    assert "space.member_added" in names and "space.member_removed" in names


async def test_a_stale_member_form_changes_nothing(
    console: Console, services: Services, bob: User
) -> None:
    await console.done("/admin/spaces", "/admin/spaces", slug="acme", name="Acme")
    space = "/admin/spaces/acme"
    await console.done(space, space + "/members", email=bob.email)
    member = f"{space}/members/{bob.id}"
    form = form_fields(await console.page(space), member)
    remove = form_fields(await console.page(member + "/remove"), member + "/remove")
    acme = await services.space_admin.get("acme")
    await services.space_admin.update_member(acme, bob, actor=CLI, role="admin")
    r = await console.http.post(member, data={**form, "role": "member", "revoked_scopes": "read"})
    assert r.status_code == 409 and "changed meanwhile" in r.text
    r = await console.http.post(member + "/remove", data=remove)
    assert r.status_code == 409
    held = await services.spaces.membership(acme.id, bob.id)
    assert held is not None and held.role == "admin" and not held.revoked_scopes


async def test_a_space_is_renamed_and_its_domains_changed(
    console: Console, services: Services
) -> None:
    await console.done("/admin/spaces", "/admin/spaces", slug="acme", name="Acme")
    await console.done("/admin/spaces", "/admin/spaces", slug="other", name="Other")
    space = "/admin/spaces/acme"
    page = await console.done(
        space, space, space_name="Acme Robotics", domains="login.acme.example\nid.acme.example"
    )
    assert "The space was saved." in page
    acme = await services.space_admin.get("acme")
    assert acme.name == "Acme Robotics"
    assert set(acme.domains) == {"login.acme.example", "id.acme.example"}
    # a domain another space serves, a bad name: the form again, nothing changed
    await console.done(
        "/admin/spaces/other", "/admin/spaces/other", space_name="Other", domains="o.example"
    )
    r = await console.post(space, space, space_name="Acme", domains="o.example")
    assert r.status_code == 400 and "another space serves" in field_errors(r.text)["domains"]
    r = await console.post(space, space, space_name="", domains="")
    assert r.status_code == 400 and "space_name" in field_errors(r.text)
    assert (await services.space_admin.get("acme")).name == "Acme Robotics"
    (updated,) = await events(services, event="space.updated", target="acme")
    assert updated.actor.name == "root@example.com"
    assert updated.details["name"] == "Acme Robotics"


async def test_a_stale_space_form_changes_nothing(console: Console, services: Services) -> None:
    await console.done("/admin/spaces", "/admin/spaces", slug="acme", name="Acme")
    space = "/admin/spaces/acme"
    form = form_fields(await console.page(space), space)
    remove = form_fields(await console.page(space + "/delete"), space + "/delete")
    # the same form in another tab renames it first
    await console.done(space, space, space_name="Theirs", domains="")
    r = await console.http.post(space, data={**form, "space_name": "Mine", "domains": ""})
    assert r.status_code == 409 and "changed meanwhile" in r.text
    r = await console.http.post(space + "/delete", data={**remove, "confirm": "acme"})
    assert r.status_code == 400 and "changed meanwhile" in r.text
    assert (await services.space_admin.get("acme")).name == "Theirs"


async def test_deleting_a_space_needs_its_slug_and_takes_its_members(
    console: Console, services: Services, bob: User
) -> None:
    await console.done("/admin/spaces", "/admin/spaces", slug="acme", name="Acme")
    await console.done("/admin/spaces/acme", "/admin/spaces/acme/members", email=bob.email)
    path = "/admin/spaces/acme/delete"
    assert "Delete the space Acme?" in await console.page(path)
    r = await console.post(path, path, confirm="Acme")
    assert r.status_code == 400 and "exactly" in r.text
    form = form_fields(await console.page(path), path)
    page = await console.done(path, path, confirm="acme")
    assert "The space Acme was deleted." in page
    assert await services.spaces.by_slug("acme") is None
    assert not await services.spaces.spaces_of(bob.id)
    r = await console.http.get("/spaces/acme/.well-known/openid-configuration")
    assert r.status_code in (400, 404)
    r = await console.http.post(path, data={**form, "confirm": "acme"})  # sent twice
    assert r.status_code == 303 and r.headers["location"] == "/admin/spaces"
    (deleted,) = await events(services, event="space.deleted")
    assert deleted.actor.name == "root@example.com" and deleted.target == "acme"
