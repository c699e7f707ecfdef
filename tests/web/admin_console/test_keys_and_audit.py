"""The console's signing keys and audit log over HTTP, on SQLite and PostgreSQL: rotating
after a confirmation (a form sent twice rotates once), and the audit log filtered by event,
actor, target and date, a page at a time."""

from __future__ import annotations

from authgate.audit.events import Actor
from authgate.services import Services
from tests.web.admin_console.console_support import Console, events
from tests.web.portal_support import field_errors, form_fields


async def test_rotating_the_signing_key_asks_first_and_happens_once(
    console: Console, services: Services
) -> None:
    before = await services.keys.keys()
    page = await console.page("/admin/keys")
    assert before[0].kid in page and ">active<" in page
    form = form_fields(await console.page("/admin/keys/rotate"), "/admin/keys/rotate")
    r = await console.http.post("/admin/keys/rotate", data=form)
    assert r.status_code == 303
    page = await console.page(r.headers["location"])
    assert "was added" in page
    assert len(await services.keys.keys()) == len(before) + 1
    r = await console.http.post("/admin/keys/rotate", data=form)
    assert "A key was added meanwhile" in await console.page(r.headers["location"])
    assert len(await services.keys.keys()) == len(before) + 1
    (rotated,) = await events(services, event="key.rotated")
    assert rotated.actor.name == "root@example.com"


async def test_the_audit_log_filters_and_pages(console: Console, services: Services) -> None:
    someone = Actor("user", "someone@example.com", "192.0.2.1")
    for n in range(60):
        services.audit.record("user.updated", someone, target_type="user", target=f"u{n}@x.org")
    services.audit.record("client.created", Actor("cli", None, None), target="abc")
    page = await console.page("/admin/audit")
    assert page.count("<code>user.updated</code>") + page.count("<code>client.created</code>") == 50
    after = page.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = await console.page(after.replace("&amp;", "&"))
    assert "<code>user.updated</code>" in second and "First page" in second
    page = await console.page("/admin/audit?event=client")
    assert "<code>client.created</code>" in page and "<code>user.updated</code>" not in page
    page = await console.page("/admin/audit?actor=someone@example.com&target=u7@x.org")
    assert page.count("<code>user.updated</code>") == 1 and "from 192.0.2.1" in page
    page = await console.page("/admin/audit?since=2999-01-01")
    assert "No events match these filters" in page
    r = await console.http.get("/admin/audit?since=last+week")
    assert r.status_code == 400 and "since" in field_errors(r.text)
    # the filters stay in the next page's link
    page = await console.page("/admin/audit?event=user")
    assert "event=user&amp;before=" in page
