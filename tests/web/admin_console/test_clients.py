"""The console's clients pages over HTTP, on SQLite and PostgreSQL: every client with
paging, a client's live tokens, editing at the revision shown (a stale form changes
nothing), rotating the secret (shown once; a form shown before another rotation changes
nothing), revoking all tokens and deleting after a confirmation."""

from __future__ import annotations

import dataclasses

import httpx

from authgate.crypto.tokens import matches
from authgate.domain import Client
from authgate.protocol.registration import Registered
from authgate.services import Services
from authgate.web.admin_console.client_form import ClientForm
from tests.conftest import Factory
from tests.web.admin_console.console_support import CLI, Console, events
from tests.web.portal_support import CB, field_errors, form_fields, input_value


async def confidential(make: Factory, name: str = "Acme Notes") -> Registered:
    return await make.client(
        name=name,
        grant_types=["authorization_code", "client_credentials"],
        redirect_uris=[CB],
        scopes=["read"],
    )


def values(client: Client, **changes: str) -> dict[str, str]:
    """The edit form's fields as the page fills them in, with ``changes``."""
    return {**dataclasses.asdict(ClientForm.of(client)), **changes}


async def token_of(http: httpx.AsyncClient, reg: Registered) -> str:
    r = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(reg.client.client_id, reg.client_secret or ""),
    )
    assert r.status_code == 200, r.text
    token: str = r.json()["access_token"]
    return token


async def test_the_list_pages_every_client(console: Console, make: Factory) -> None:
    for n in range(52):
        await make.client(name=f"App {n:02d}")
    first = await console.page("/admin/clients")
    assert first.count('class="app-name"') == 50 and "App 00" in first
    after = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = await console.page(after)
    assert second.count('class="app-name"') == 2 and "App 51" in second


async def test_a_clients_page_lists_its_live_tokens(
    console: Console, make: Factory, http: httpx.AsyncClient
) -> None:
    reg = await confidential(make)
    token = await token_of(http, reg)
    page = await console.page(f"/admin/clients/{reg.client.client_id}")
    assert "Live access tokens" in page and "client_credentials" in page
    assert token not in page and token.split(".")[1] not in page
    assert input_value(page, "client-id") == reg.client.client_id


async def test_editing_a_client(console: Console, services: Services, make: Factory) -> None:
    reg = await confidential(make)
    path = f"/admin/clients/{reg.client.client_id}"
    page = await console.done(
        path + "/edit",
        path,
        name="Acme Notes 2",
        description="Better notes",
        redirect_uris=CB + "\nhttps://app.example.com/other",
        grant_types="authorization_code client_credentials",
        scopes="read write",
        token_lifetime="600",
    )
    assert "Saved." in page
    client = await services.clients.by_client_id(reg.client.client_id)
    assert client is not None and client.name == "Acme Notes 2"
    assert client.scopes == frozenset({"read", "write"}) and client.token_lifetime == 600
    assert len(client.redirect_uris) == 2
    (updated,) = await events(services, event="client.updated")
    assert updated.actor.name == "root@example.com"
    # the same values again: nothing to change
    page = await console.done(path + "/edit", path, **values(client))
    assert "Nothing was changed." in page


async def test_bad_client_values_show_the_form_again(console: Console, make: Factory) -> None:
    reg = await confidential(make)
    path = f"/admin/clients/{reg.client.client_id}"
    for field, value in (
        ("name", ""),
        ("homepage_url", "javascript:alert(1)"),
        ("redirect_uris", "not a uri"),
        ("token_lifetime", "soon"),
        ("grant_types", "magic"),
        ("scopes", "authgate:admin"),
    ):
        r = await console.post(path + "/edit", path, **values(reg.client, **{field: value}))
        assert r.status_code == 400, (field, r.status_code)
        assert list(field_errors(r.text)) == [field], (field, field_errors(r.text))
        assert 'id="form-errors"' in r.text


async def test_a_stale_client_edit_changes_nothing(
    console: Console, services: Services, make: Factory
) -> None:
    reg = await confidential(make)
    path = f"/admin/clients/{reg.client.client_id}"
    form = form_fields(await console.page(path + "/edit"), path)
    await services.client_admin.update(
        reg.client.client_id, actor=CLI, revision=None, name="Theirs"
    )
    r = await console.http.post(path, data={**form, **values(reg.client, name="Mine")})
    assert r.status_code == 409 and "changed meanwhile" in r.text
    assert input_value(r.text, "name") == "Theirs"
    client = await services.clients.by_client_id(reg.client.client_id)
    assert client is not None and client.name == "Theirs"


async def test_rotating_the_secret_shows_it_once(
    console: Console, services: Services, make: Factory, http: httpx.AsyncClient
) -> None:
    reg = await confidential(make)
    path = f"/admin/clients/{reg.client.client_id}"
    form = form_fields(await console.page(path), path + "/secret")
    r = await console.http.post(path + "/secret", data=form)
    assert r.status_code == 303
    page = await console.page(r.headers["location"])
    secret = input_value(page, "shown-secret")
    assert secret and secret != reg.client_secret
    client = await services.clients.by_client_id(reg.client.client_id)
    assert client is not None and matches(secret, client.secret_digest)
    assert input_value(await console.page(path), "shown-secret") is None
    # The same form again (sent twice): its secret was replaced since; nothing changes.
    r = await console.http.post(path + "/secret", data=form)
    page = await console.page(r.headers["location"])
    assert "rotated by someone else meanwhile" in page
    assert input_value(page, "shown-secret") is None
    again = await services.clients.by_client_id(reg.client.client_id)
    assert again is not None and again.secret_digest == client.secret_digest
    assert len(await events(services, event="client.secret_rotated")) == 1


async def test_revoking_every_token_asks_first(
    console: Console, services: Services, make: Factory, http: httpx.AsyncClient
) -> None:
    reg = await confidential(make)
    token = await token_of(http, reg)
    path = f"/admin/clients/{reg.client.client_id}/revoke-tokens"
    assert "Revoke every token of Acme Notes?" in await console.page(path)
    page = await console.done(path, path)
    assert "1 tokens were revoked." in page
    r = await http.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
    (revoked,) = await events(services, event="client.tokens_revoked")
    assert revoked.actor.name == "root@example.com" and revoked.details["count"] == 1


async def test_deleting_a_client_needs_its_name_and_revision(
    console: Console, services: Services, make: Factory
) -> None:
    reg = await confidential(make)
    path = f"/admin/clients/{reg.client.client_id}/delete"
    r = await console.post(path, path, confirm="Acme")
    assert r.status_code == 400 and "exactly" in r.text
    form = form_fields(await console.page(path), path)
    await services.client_admin.update(
        reg.client.client_id, actor=CLI, revision=None, description="x"
    )
    r = await console.http.post(path, data={**form, "confirm": "Acme Notes"})
    assert r.status_code == 400 and "changed meanwhile" in r.text
    assert await services.clients.by_client_id(reg.client.client_id) is not None
    page = await console.done(path, path, confirm="Acme Notes")
    assert "Acme Notes was deleted." in page
    assert await services.clients.by_client_id(reg.client.client_id) is None
    r = await console.http.post(path, data={**form, "confirm": "Acme Notes"})
    assert r.status_code == 303 and r.headers["location"] == "/admin/clients"
    (deleted,) = await events(services, event="client.deleted")
    assert deleted.actor.name == "root@example.com"
    assert (await console.http.get(f"/admin/clients/{reg.client.client_id}")).status_code == 404
