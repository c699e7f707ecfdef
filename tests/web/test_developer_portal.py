"""The developer portal (``/developer``) through HTTP, on SQLite and PostgreSQL: a signed-in
person registers an app (seed 000: its test token; seeds 002-004: My Apps, the return URI,
the flows it may use), sees its credentials once, edits it, rotates its secret, regenerates
its test token, reads its usage and snippets, and deletes it."""

from __future__ import annotations

import asyncio
import html
import re
from typing import Any

import httpx
import pytest

from authgate.domain import User
from authgate.services import Services
from tests.conftest import Factory
from tests.web.flow import Browser, query_of
from tests.web.portal_support import (
    CB,
    Portal,
    app_fields,
    area_value,
    field_errors,
    form_fields,
    input_value,
)


@pytest.fixture
async def portal(http: httpx.AsyncClient, alice: User) -> Portal:
    signed_in = Portal(http)
    await signed_in.sign_in()
    return signed_in


async def client_credentials(
    http: httpx.AsyncClient, client_id: str, secret: str
) -> httpx.Response:
    return await http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )


async def me(http: httpx.AsyncClient, token: str) -> httpx.Response:
    return await http.get("/api/me", headers={"Authorization": f"Bearer {token}"})


# ---------------------------------------------------------------------------- who may


async def test_signed_out_people_are_sent_to_sign_in_and_back(http: httpx.AsyncClient) -> None:
    for path in ("/developer", "/developer/apps/new", "/developer/apps/abc"):
        r = await http.get(path)
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login?")
        assert query_of(r.headers["location"])["next"] == path
    r = await http.post("/developer/apps", data={"name": "x"})
    assert r.status_code == 303 and r.headers["location"].startswith("/login?")


async def test_the_portal_is_the_root_issuers_only(
    http: httpx.AsyncClient, services: Services, alice: User
) -> None:
    await services.spaces.create("acme", "Acme", (), services.minter.now())
    r = await http.get("/spaces/acme/developer")
    assert r.status_code == 404
    assert "This page does not exist" in r.text


async def test_someone_elses_app_is_not_found(portal: Portal, make: Factory) -> None:
    await make.user("bob@example.com")
    client_id, _, _ = await portal.registered()
    other = Portal(portal.http)
    portal.http.cookies.clear()
    await other.sign_in("bob@example.com")
    for path in ("", "/edit", "/delete"):
        r = await portal.http.get(f"/developer/apps/{client_id}{path}")
        assert r.status_code == 404, path
    listing = await portal.http.get("/developer")
    assert "Acme Notes" not in listing.text
    r = await portal.http.post(
        f"/developer/apps/{client_id}/delete",
        data={**form_fields(listing.text, "/logout"), "confirm": "Acme Notes"},
    )
    assert r.status_code == 403  # the logout form's token is no portal token
    assert await portal.http.get("/developer") is not None


# ---------------------------------------------------------------------------- registering


async def test_registering_shows_the_secret_once_and_the_test_token(
    portal: Portal, services: Services
) -> None:
    client_id, page, secret = await portal.registered()
    assert secret is not None and len(secret) == 43
    assert "Copy the client secret now" in page
    assert input_value(page, "client-id") == client_id
    r = await client_credentials(portal.http, client_id, secret)
    assert r.status_code == 200, r.text
    test_token = input_value(page, "test-token")
    assert test_token is not None
    shown = await me(portal.http, test_token)
    assert shown.status_code == 200 and shown.json()["email"] == "alice@example.com"
    again = await portal.app_page(client_id)
    assert input_value(again, "shown-secret") is None  # once only
    assert secret not in again
    assert input_value(again, "test-token") == test_token  # seed 000: shown again
    client = await services.clients.by_client_id(client_id)
    assert client is not None
    assert (client.description, client.homepage_url, client.privacy_url, client.logo_url) == (
        "Notes for your team",
        "https://notes.example.com/",
        "https://notes.example.com/privacy",
        "https://cdn.example.com/notes.png",
    )
    assert client.grant_types == {"authorization_code", "refresh_token", "client_credentials"}
    assert client.scopes == {"read", "write"}


async def test_a_public_app_has_no_secret(portal: Portal, services: Services) -> None:
    client_id, page, secret = await portal.registered(
        client_type="public", grant_types=["authorization_code"], name="Phone app"
    )
    assert secret is None
    assert "it has no secret" in page
    client = await services.clients.by_client_id(client_id)
    assert client is not None and client.is_public and client.secret_digest is None
    assert client.refresh_policy == "none"  # its refresh-token box was left empty
    assert f"-d client_id={client_id}" in page  # the snippets use no secret


async def test_a_form_sent_twice_registers_one_app(portal: Portal, services: Services) -> None:
    page = await portal.http.get("/developer/apps/new")
    form = {**form_fields(page.text, "/developer/apps"), **app_fields()}
    first, second = await asyncio.gather(
        portal.http.post("/developer/apps", data=form),
        portal.http.post("/developer/apps", data=form),
    )
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    apps = [c for c in await services.clients.all() if c.name == "Acme Notes"]
    assert len(apps) == 1
    shown = await portal.http.get(second.headers["location"])
    secret = input_value(shown.text, "shown-secret")
    assert secret is not None
    r = await client_credentials(portal.http, apps[0].client_id, secret)
    assert r.status_code == 200, r.text


BAD_FIELDS = [
    ({"name": "   "}, "name", "a client needs a name"),
    ({"name": "n" * 201}, "name", "1 to 200 characters"),
    ({"description": "d" * 1001}, "description", "at most 1000"),
    ({"homepage_url": "http://notes.example.com/"}, "homepage_url", "https://"),
    ({"logo_url": "http://cdn.example.com/l.png"}, "logo_url", "https://"),
    ({"logo_url": "data:image/png;base64,AAAA"}, "logo_url", "https://"),
    ({"privacy_url": "javascript:alert(1)"}, "privacy_url", "https://"),
    ({"redirect_uris": "https://app.example.com/cb#x"}, "redirect_uris", "fragment"),
    ({"redirect_uris": "javascript:alert(1)"}, "redirect_uris", "not allowed"),
    ({"redirect_uris": "myapp://cb"}, "redirect_uris", "reverse domain"),
    ({"redirect_uris": "http://app.example.com/cb"}, "redirect_uris", "https"),
    ({"redirect_uris": ""}, "redirect_uris", "at least one redirect URI"),
    ({"grant_types": []}, "grant_types", "at least one grant"),
    ({"grant_types": ["refresh_token"]}, "grant_types", "not a flow of its own"),
    ({"grant_types": ["implicit"]}, "client_type", "register it as public"),
    ({"grant_types": ["launch_missiles"]}, "grant_types", "flows this server offers"),
    ({"client_type": "public"}, "grant_types", "public client cannot use client_credentials"),
    ({"client_type": "secret-agent"}, "client_type", "confidential or public"),
    ({"scopes": []}, "scopes", "at least one scope"),
    ({"scopes": ["read", "delete_everything"]}, "scopes", "unknown scope"),
    ({"token_lifetime": "soon"}, "token_lifetime", "seconds or 'never'"),
    ({"token_lifetime": "9" * 40}, "token_lifetime", "10 years"),
    ({"name": "a\x00b"}, "name", "NUL"),
    ({"description": "bell\x07"}, "description", "control"),
]


@pytest.mark.parametrize(("changes", "field", "says"), BAD_FIELDS)
async def test_bad_input_gets_a_message_next_to_its_field_and_keeps_what_was_typed(
    portal: Portal, services: Services, changes: dict[str, Any], field: str, says: str
) -> None:
    r = await portal.register(**{"name": "Kept name", **changes})
    assert r.status_code == 400, r.text
    errors = field_errors(r.text)
    assert field in errors, errors
    assert says in errors[field], errors[field]
    assert 'aria-describedby="' in r.text and 'aria-invalid="true"' in r.text
    typed = app_fields(**{"name": "Kept name", **changes})
    if "\x00" not in typed["name"]:
        assert input_value(r.text, "name") == typed["name"]
    assert area_value(r.text, "redirect_uris") == typed["redirect_uris"]
    assert input_value(r.text, "homepage_url") == typed["homepage_url"]
    assert [c for c in await services.clients.all() if c.name == "Kept name"] == []


async def test_several_bad_fields_are_named_at_once(portal: Portal) -> None:
    r = await portal.register(name="", logo_url="ftp://x", scopes=[])
    assert r.status_code == 400
    assert {"name", "logo_url", "scopes"} <= set(field_errors(r.text))
    assert "Please correct these 3 fields" in r.text


async def test_native_apps_register_private_use_and_loopback_redirects(
    portal: Portal, services: Services
) -> None:
    uris = "com.example.notes:/oauth2redirect\nhttp://127.0.0.1/callback\n\nhttp://[::1]/cb"
    client_id, _, _ = await portal.registered(
        client_type="public", grant_types=["authorization_code"], redirect_uris=uris
    )
    client = await services.clients.by_client_id(client_id)
    assert client is not None
    assert client.redirect_uris == (
        "com.example.notes:/oauth2redirect",
        "http://127.0.0.1/callback",
        "http://[::1]/cb",
    )


async def test_an_expired_or_forged_form_changes_nothing(
    portal: Portal, services: Services
) -> None:
    page = await portal.http.get("/developer/apps/new")
    form = form_fields(page.text, "/developer/apps")
    for bad in ({"csrf_token": "forged"}, {"csrf_token": ""}, {"csrf_token": "\u00e9"}):
        r = await portal.http.post("/developer/apps", data={**form, **app_fields(), **bad})
        assert r.status_code == 403, r.text
        assert "The form expired" in r.text
    r = await portal.http.post("/developer/apps", data={**form, **app_fields(), "form_id": "x"})
    assert r.status_code == 400 and "This form expired" in r.text
    assert [c.name for c in await services.clients.all()] == []


# ---------------------------------------------------------------------------- the list


async def test_my_apps_lists_name_logo_type_flows_and_last_use(
    portal: Portal, http: httpx.AsyncClient
) -> None:
    client_id, _, secret = await portal.registered()
    await portal.registered(
        name="Pocket", client_type="public", grant_types=["authorization_code"], logo_url=""
    )
    page = await http.get("/developer")
    assert page.status_code == 200
    assert page.text.index("Pocket") < page.text.index("Acme Notes")  # newest first
    assert 'src="https://cdn.example.com/notes.png"' in page.text
    assert 'referrerpolicy="no-referrer"' in page.text
    assert "Confidential · Authorization code with PKCE, Client credentials, Refresh" in page.text
    assert "Public · Authorization code with PKCE" in page.text
    assert "Not used yet" in page.text
    csp = page.headers["content-security-policy"]
    assert "img-src 'self' data: https://cdn.example.com;" in csp
    assert "script-src 'self'" in csp and "unsafe" not in csp
    assert "form-action 'self'" in csp and "frame-ancestors 'none'" in csp
    assert secret is not None
    assert (await client_credentials(http, client_id, secret)).status_code == 200
    page = await http.get("/developer")
    assert "Last used <time" in page.text


# ---------------------------------------------------------------------------- editing


async def test_editing_changes_everything_but_the_type(portal: Portal, services: Services) -> None:
    client_id, _, _ = await portal.registered()
    edit = await portal.http.get(f"/developer/apps/{client_id}/edit")
    assert input_value(edit.text, "name") == "Acme Notes"
    assert area_value(edit.text, "redirect_uris") == CB
    r = await portal.post(
        client_id,
        "",
        **app_fields(
            name="Acme Notes 2",
            description="",
            redirect_uris=CB + "\nhttps://app.example.com/other",
            grant_types=["authorization_code"],
            scopes=["read"],
            token_lifetime="600",
            client_type="public",  # ignored: the type stays
        ),
    )
    assert r.status_code == 303, r.text
    page = await portal.http.get(r.headers["location"])
    assert "Saved." in page.text
    client = await services.clients.by_client_id(client_id)
    assert client is not None
    assert (client.name, client.description, client.is_public) == ("Acme Notes 2", None, False)
    assert client.redirect_uris == (CB, "https://app.example.com/other")
    assert client.grant_types == {"authorization_code"} and client.refresh_policy == "none"
    assert (client.scopes, client.token_lifetime) == ({"read"}, 600)
    r = await portal.post(client_id, "", **app_fields(token_lifetime=""))
    assert r.status_code == 303
    client = await services.clients.by_client_id(client_id)
    assert client is not None and client.token_lifetime is None  # the server's default again


async def test_a_bad_edit_keeps_what_was_typed(portal: Portal, services: Services) -> None:
    client_id, _, _ = await portal.registered()
    r = await portal.post(
        client_id, "", **app_fields(name="New name", redirect_uris="ftp://x", scopes=["read"])
    )
    assert r.status_code == 400
    assert "redirect_uris" in field_errors(r.text)
    assert input_value(r.text, "name") == "New name"
    assert area_value(r.text, "redirect_uris") == "ftp://x"
    client = await services.clients.by_client_id(client_id)
    assert client is not None and client.name == "Acme Notes"


# ---------------------------------------------------------------------------- secrets


async def test_rotating_kills_the_old_secret_at_once_and_shows_the_new_one_once(
    portal: Portal,
) -> None:
    client_id, _, old = await portal.registered()
    assert old is not None
    r = await portal.post(client_id, "/secret")
    assert r.status_code == 303
    page = await portal.http.get(r.headers["location"])
    new = input_value(page.text, "shown-secret")
    assert new is not None and new != old
    assert "The old secret no longer works." in page.text
    assert (await client_credentials(portal.http, client_id, old)).status_code == 401
    assert (await client_credentials(portal.http, client_id, new)).status_code == 200
    assert input_value(await portal.app_page(client_id), "shown-secret") is None


async def test_a_rotation_sent_twice_rotates_once_and_both_show_the_newest_secret(
    portal: Portal, services: Services
) -> None:
    client_id, _, old = await portal.registered()
    path = f"/developer/apps/{client_id}/secret"
    form = form_fields(await portal.app_page(client_id), path)
    answers = await asyncio.gather(*(portal.http.post(path, data=form) for _ in range(4)))
    shown = set()
    for answer in answers:
        assert answer.status_code == 303
    # Each answer set the flash cookie in turn; every one named the same secret.
    page = await portal.http.get(f"/developer/apps/{client_id}")
    secret = input_value(page.text, "shown-secret")
    assert secret is not None
    shown.add(secret)
    assert old is not None
    assert (await client_credentials(portal.http, client_id, old)).status_code == 401
    assert (await client_credentials(portal.http, client_id, secret)).status_code == 200
    # The same form once more finds the rotation done and shows that secret again.
    again = await portal.http.post(path, data=form)
    page = await portal.http.get(again.headers["location"])
    assert input_value(page.text, "shown-secret") == secret
    assert shown == {secret}


async def test_a_stale_rotate_form_changes_nothing(portal: Portal) -> None:
    client_id, _, _ = await portal.registered()
    path = f"/developer/apps/{client_id}/secret"
    stale = form_fields(await portal.app_page(client_id), path)
    r = await portal.post(client_id, "/secret")  # another tab rotates
    current = input_value((await portal.http.get(r.headers["location"])).text, "shown-secret")
    assert current is not None
    r = await portal.http.post(path, data={**stale, "form_id": "x" * 43})
    page = await portal.http.get(r.headers["location"])
    assert "rotated from another page meanwhile" in page.text
    assert input_value(page.text, "shown-secret") is None
    assert (await client_credentials(portal.http, client_id, current)).status_code == 200


async def test_regenerating_the_test_token_kills_the_old_one(portal: Portal) -> None:
    client_id, page, _ = await portal.registered()
    old = input_value(page, "test-token")
    assert old is not None
    path = f"/developer/apps/{client_id}/test-token"
    form = form_fields(await portal.app_page(client_id), path)
    answers = await asyncio.gather(
        portal.http.post(path, data=form), portal.http.post(path, data=form)
    )
    assert all(a.status_code == 303 for a in answers)
    page = await portal.app_page(client_id)
    new = input_value(page, "test-token")
    assert new is not None and new != old
    assert (await me(portal.http, old)).status_code == 401
    assert (await me(portal.http, new)).status_code == 200


# ---------------------------------------------------------------------------- deleting


async def test_deleting_asks_first_and_then_its_tokens_die(
    portal: Portal, services: Services
) -> None:
    client_id, page, secret = await portal.registered()
    test_token = input_value(page, "test-token")
    assert test_token is not None and secret is not None
    confirm = await portal.http.get(f"/developer/apps/{client_id}/delete")
    assert "This cannot be undone" in confirm.text
    r = await portal.post(client_id, "/delete", confirm="acme notes")
    assert r.status_code == 400
    assert "Type the app's name exactly" in html.unescape(r.text)
    assert input_value(r.text, "confirm") == "acme notes"
    assert await services.clients.by_client_id(client_id) is not None
    path = f"/developer/apps/{client_id}/delete"
    form = form_fields(confirm.text, path)
    first = await portal.http.post(path, data={**form, "confirm": "Acme Notes"})
    assert (first.status_code, first.headers["location"]) == (303, "/developer")
    listing = await portal.http.get("/developer")
    assert "Acme Notes was deleted." in listing.text
    second = await portal.http.post(path, data={**form, "confirm": "Acme Notes"})
    assert (second.status_code, second.headers["location"]) == (303, "/developer")
    assert await services.clients.by_client_id(client_id) is None
    assert (await me(portal.http, test_token)).status_code == 401
    assert (await client_credentials(portal.http, client_id, secret)).status_code == 401


# ---------------------------------------------------------------------------- usage, snippets


async def test_usage_at_a_glance(portal: Portal, make: Factory) -> None:
    client_id, _, secret = await portal.registered()
    assert secret is not None
    for _ in range(3):
        assert (await client_credentials(portal.http, client_id, secret)).status_code == 200
    browser = Browser(portal.http)
    code = await browser.code_for(
        response_type="code", client_id=client_id, redirect_uri=CB, scope="read", state="s"
    )
    r = await portal.http.post(
        "/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": CB},
        auth=(client_id, secret),
    )
    assert r.status_code == 200, r.text
    page = await portal.app_page(client_id)
    assert '<span class="stat-value">4</span> <span class="stat-label">tokens issued' in page
    assert '<span class="stat-value">1</span> <span class="stat-label">person signed in' in page
    assert "just now" in page
    assert 'role="img"' in page and "4 tokens in 30 days" in page
    assert page.count('<rect class="bar') == 30


async def test_snippets_are_filled_in_with_the_apps_values(portal: Portal) -> None:
    client_id, shown, _ = await portal.registered(
        grant_types=["authorization_code", "client_credentials", "password", "refresh_token"]
    )
    page = html.unescape(shown)
    assert f"export CLIENT_ID='{client_id}'" in page
    assert "code_challenge_method=S256" in page
    assert "redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback" in page
    assert "http://testserver/oauth/authorize?response_type=code" in page
    assert (
        "-d grant_type=client_credentials -d 'scope=read write' http://testserver/oauth/token"
        in page
    )
    assert "-d grant_type=password" in page and "grant_type=refresh_token" in page
    assert "from authgate_client import Client" in page
    assert 'client.authorization_url("https://app.example.com/callback", "read write")' in page
    implicit_id, implicit, _ = await portal.registered(
        name="SPA", client_type="public", grant_types=["implicit"]
    )
    assert "response_type=token" in implicit and "grant_type=authorization_code" not in implicit
    assert f"-d client_id={implicit_id}" not in implicit  # no token-endpoint flow to show


# ---------------------------------------------------------------------------- profiles


class TestCloudBotProfile:
    """Seed 002: code and refresh only; every token lives a year, so the form offers no
    lifetime."""

    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"profile": "cloudbot"}

    async def test_the_form_offers_the_profiles_flows_and_scopes(self, portal: Portal) -> None:
        page = (await portal.http.get("/developer/apps/new")).text
        offered = set(re.findall(r'name="grant_types" value="([^"]+)"', page))
        assert offered == {"authorization_code", "refresh_token"}
        scopes = set(re.findall(r'name="scopes" value="([^"]+)"', page))
        assert scopes == {"execute", "refer", "suspend", "modify"}
        assert 'name="token_lifetime"' not in page
        r = await portal.register(
            grant_types=["client_credentials"], scopes=["refer"], token_lifetime="60"
        )
        assert field_errors(r.text)["grant_types"] == "choose among the flows this server offers"
        client_id, _, _ = await portal.registered(
            grant_types=["authorization_code", "refresh_token"], scopes=["refer"]
        )
        assert client_id.isdigit()  # seed 002: integer client ids


class TestSpaceProfile:
    """Seed 004: the five flows chosen per app; the password flow for every app."""

    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"profile": "space"}

    async def test_the_five_flows_are_offered(self, portal: Portal, services: Services) -> None:
        page = (await portal.http.get("/developer/apps/new")).text
        offered = re.findall(r'name="grant_types" value="([^"]+)"', page)
        assert offered == [
            "authorization_code",
            "client_credentials",
            "password",
            "implicit",
            "refresh_token",
        ]
        assert "Every app on this server may use it, chosen or not." in page
        assert 'name="token_lifetime"' in page
        client_id, _, _ = await portal.registered(
            grant_types=["client_credentials"], token_lifetime="never"
        )
        client = await services.clients.by_client_id(client_id)
        assert client is not None and client.token_lifetime == 0


# ---------------------------------------------------------------------------- hostile input


HOSTILE = [
    pytest.param(b"name=" + b"x" * 70_000, id="huge-body"),
    pytest.param(b"name=%ff%fe", id="not-utf-8"),
    pytest.param(b"name=a&name=b", id="duplicated"),
    pytest.param(b"csrf_token=a&csrf_token=b", id="duplicated-csrf"),
    pytest.param("name=caf\u00e9".encode(), id="raw-non-ascii"),
    pytest.param(b"&".join([b"scopes=read"] * 500), id="too-many-fields"),
    pytest.param(b"%00=%00", id="nul-name"),
]


@pytest.mark.parametrize("body", HOSTILE)
@pytest.mark.parametrize("tail", ["", "/edit-target", "/secret", "/test-token", "/delete"])
async def test_hostile_bodies_never_give_a_500(portal: Portal, body: bytes, tail: str) -> None:
    if tail:
        client_id, _, _ = await portal.registered()
        path = f"/developer/apps/{client_id}" + ("" if tail == "/edit-target" else tail)
    else:
        path = "/developer/apps"
    r = await portal.http.post(
        path, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code in (400, 403), (r.status_code, r.text[:300])
    assert "text/html" in r.headers["content-type"]


async def test_hostile_values_in_a_valid_form_get_field_messages(portal: Portal) -> None:
    r = await portal.register(
        name="\u202eevil",
        description="x" * 50_000,
        redirect_uris="https://app.example.com/cb\x00",
        homepage_url="https://" + "h" * 3000,
        scopes=["read\x00"],
    )
    assert r.status_code == 400
    assert {"description", "redirect_uris", "homepage_url", "scopes"} <= set(field_errors(r.text))


async def test_other_methods_and_paths(http: httpx.AsyncClient, portal: Portal) -> None:
    assert (await http.put("/developer/apps")).status_code == 405
    r = await http.get("/developer/apps/" + "x" * 500)
    assert r.status_code == 404 and "This page does not exist" in r.text
    r = await http.get("/developer/apps/%00")
    assert r.status_code == 404
    r = await http.get("/favicon.ico")
    assert (r.status_code, r.headers["location"]) == (301, "/static/favicon.svg")
    icon = await http.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg")
    api = await http.get("/api/nothing-here")
    assert (api.status_code, api.text) == (404, "Not Found")
