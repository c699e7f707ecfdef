"""Who may use the admin console (``/admin``), over HTTP on SQLite and PostgreSQL: signed-out
people are sent to sign in and back, a signed-in user without the admin role gets a 403
page and changes nothing, a space's issuer has no console, and every form needs the
console's own CSRF token."""

from __future__ import annotations

import httpx
import pytest

from authgate.domain import User
from authgate.services import Services
from tests.web.admin_console.console_support import Console, events
from tests.web.flow import Browser, query_of
from tests.web.portal_support import form_fields

PAGES = (
    "/admin",
    "/admin/users",
    "/admin/users/new",
    "/admin/clients",
    "/admin/spaces",
    "/admin/keys",
    "/admin/audit",
)


async def test_signed_out_people_are_sent_to_sign_in_and_back(http: httpx.AsyncClient) -> None:
    for path in (*PAGES, "/admin/users/1", "/admin/clients/abc/edit"):
        r = await http.get(path)
        assert r.status_code == 303, path
        assert r.headers["location"].startswith("/login?")
        assert query_of(r.headers["location"])["next"] == path
    r = await http.post("/admin/users", data={"email": "x@example.com"})
    assert r.status_code == 303 and r.headers["location"].startswith("/login?")


async def test_signing_in_continues_to_the_console(http: httpx.AsyncClient, admin: User) -> None:
    r = await Browser(http).login(email=admin.email, next_path="/admin/users")
    assert r.status_code == 303 and r.headers["location"] == "/admin/users"


async def test_a_user_without_the_admin_role_gets_403_and_changes_nothing(
    http: httpx.AsyncClient, services: Services, alice: User, bob: User
) -> None:
    await Browser(http).login()
    for path in (*PAGES, f"/admin/users/{bob.id}", f"/admin/users/{bob.id}/delete"):
        r = await http.get(path)
        assert r.status_code == 403, path
        assert "Administrators only" in r.text
        assert "authgate user update --email alice@example.com --admin" in r.text
    r = await http.post(f"/admin/users/{bob.id}/disable", data={})
    assert r.status_code == 403
    r = await http.post(f"/admin/users/{alice.id}", data={"email": alice.email, "is_admin": "1"})
    assert r.status_code == 403
    assert (await services.users.by_id(bob.id)).is_active  # type: ignore[union-attr]
    assert not (await services.users.by_id(alice.id)).is_admin  # type: ignore[union-attr]
    for path in ("/account", "/"):
        page = await http.get(path)
        assert 'href="/admin"' not in page.text


async def test_admins_see_the_console_in_the_nav(console: Console) -> None:
    page = await console.page("/account")
    assert '<a href="/admin">Admin console</a>' in page
    assert 'href="/admin">Admin console</a>' in await console.page("/")
    page = await console.page("/admin")
    assert '<a href="/admin" aria-current="page">Admin console</a>' in page
    for label in ("Users", "Clients", "Spaces", "Signing keys", "Audit log"):
        assert f">{label}</a>" in page


async def test_a_spaces_issuer_has_no_console(console: Console, services: Services) -> None:
    await services.spaces.create("acme", "Acme", (), services.minter.now())
    for path in ("/spaces/acme/admin", "/spaces/acme/admin/users"):
        r = await console.http.get(path)
        assert r.status_code == 404
        assert "This page does not exist" in r.text


async def test_a_form_without_the_consoles_csrf_token_changes_nothing(
    console: Console, services: Services, bob: User
) -> None:
    path = f"/admin/users/{bob.id}/disable"
    form = form_fields(await console.page(path), path)
    for token in ("", "x" * 40, None):
        data = {**form, "csrf_token": token} if token is not None else {"x": "1"}
        r = await console.http.post(path, data=data)
        assert r.status_code == 403, token
        assert "Please try again" in r.text
    # The portal's token is made for another purpose: it does not pass here either.
    portal = form_fields(await console.page("/developer/apps/new"), "/developer/apps")
    r = await console.http.post(path, data={"csrf_token": portal["csrf_token"]})
    assert r.status_code == 403
    assert (await services.users.by_id(bob.id)).is_active  # type: ignore[union-attr]
    assert not await events(services, event="user.disabled")


@pytest.mark.parametrize(
    "path",
    [
        "/admin/users?after=-1&q=%00%ff",
        "/admin/users?after=99999999999999999999999999&q=" + "a" * 5000,
        "/admin/users?after=1e9",
        "/admin/users/0",
        "/admin/users/-1",
        "/admin/users/99999999999999999999999",
        "/admin/users/%00",
        "/admin/clients/%00%ff",
        "/admin/clients/" + "x" * 3000,
        "/admin/clients?after=abc",
        "/admin/spaces/NOT_A_SLUG",
        "/admin/spaces/" + "a" * 100,
        "/admin/spaces/acme/members/abc/remove",
        "/admin/audit?before=-5&since=yesterday&event=%00&actor=%ff%fe",
        "/admin/audit?before=9223372036854775808&since=9999-99-99",
        "/admin/audit?event=" + "e" * 500 + "&target=" + "t" * 2000,
    ],
)
async def test_hostile_query_and_path_values_never_cause_a_500(console: Console, path: str) -> None:
    r = await console.http.get(path)
    assert r.status_code in (200, 400, 404), (path, r.status_code)


async def test_hostile_posts_never_cause_a_500(console: Console, bob: User) -> None:
    form = form_fields(await console.page(f"/admin/users/{bob.id}/edit"), f"/admin/users/{bob.id}")
    for data in (
        {**form, "revision": "9" * 40, "email": "\x00"},
        {**form, "revision": "-1"},
        {**form, "email": "a" * 5000, "name": "\u202e\x07"},
    ):
        r = await console.http.post(f"/admin/users/{bob.id}", data=data)
        assert r.status_code in (400, 409), r.status_code
    r = await console.http.post(
        "/admin/users",
        content=b"\xff\xfe",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 400
    r = await console.http.post("/admin/users", json={"email": "x"})
    assert r.status_code == 400
