"""The consent page speaks the person's language: who made the app, its logo and links,
what it may do in the catalog's words; scope names and the client id only in small print."""

from __future__ import annotations

import html
import re

import httpx

from authgate.domain import User
from authgate.services import Services
from tests.conftest import Factory
from tests.web.flow import Browser, query_of

CB = "https://app.example.com/callback"


async def consent_for(
    browser: Browser, client_id: str, scope: str = "read write"
) -> httpx.Response:
    r = await browser.authorize(
        response_type="code", client_id=client_id, redirect_uri=CB, scope=scope, state="s"
    )
    if r.status_code == 303:
        await browser.login()
        r = await browser.authorize(
            response_type="code", client_id=client_id, redirect_uri=CB, scope=scope, state="s"
        )
    assert r.status_code == 200, r.text
    return r


async def test_the_app_is_shown_as_its_developer_registered_it(
    browser: Browser, make: Factory, services: Services, alice: User
) -> None:
    await services.users.update_profile(
        alice.id, name="Alice Liddell", picture=None, phone_number=None
    )
    reg = await make.client(
        name="Acme Notes",
        grant_types=["authorization_code"],
        redirect_uris=[CB],
        scopes=["read", "write"],
        owner_email="alice@example.com",
        description="Shared notes for your team.",
        homepage_url="https://notes.example.com/",
        privacy_url="https://notes.example.com/privacy",
        logo_url="https://cdn.example.com/notes.png",
    )
    page = await consent_for(browser, reg.client.client_id)
    text = html.unescape(page.text)
    assert "<strong>Acme Notes</strong> wants to access your account" in text
    assert "by Alice Liddell" in text
    assert "Shared notes for your team." in text
    assert 'src="https://cdn.example.com/notes.png"' in text
    assert 'referrerpolicy="no-referrer"' in text
    assert 'href="https://notes.example.com/" rel="noreferrer noopener"' in text
    assert 'href="https://notes.example.com/privacy"' in text
    csp = page.headers["content-security-policy"]
    assert "img-src 'self' data: https://cdn.example.com;" in csp
    assert "form-action" not in csp  # the decision redirects to the app
    assert "script-src" not in csp
    # The main text is the catalog's; names and the client id are small print.
    assert re.search(
        r'<span class="scope-text">Read your profile and the data you can see</span>'
        r'<span class="scope-name">read</span>',
        text,
    )
    before_details = text.split('<details class="small-print">')[0]
    assert reg.client.client_id not in before_details.split('<form method="post"')[0]
    details = text.split('<details class="small-print">')[1]
    assert f"<code>{reg.client.client_id}</code>" in details
    assert "<code>read write</code>" in details and f"<code>{CB}</code>" in details
    # The decision still works, with the first form on the page.
    r = await browser.decide(page)
    assert r.status_code == 303 and "code" in query_of(r.headers["location"])


async def test_an_app_without_extras_shows_its_initial(
    browser: Browser, make: Factory, alice: User
) -> None:
    reg = await make.client(
        name="bare", grant_types=["authorization_code"], redirect_uris=[CB], scopes=["read"]
    )
    page = await consent_for(browser, reg.client.client_id, "openid read")
    assert '<span class="app-logo placeholder" aria-hidden="true">B</span>' in page.text
    assert "by " not in page.text.split("<h1>")[1].split("</div>")[0]
    assert "Sign you in with your account" in page.text
    assert "img-src 'self' data:;" in page.headers["content-security-policy"]
    assert 'href="/account"' in page.text
