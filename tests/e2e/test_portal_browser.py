"""The developer portal and the account page in a real Chromium (Debian's, via Playwright),
used as a person would, at desktop and phone widths, with axe-core checking every page.

A newcomer's path from ``make serve``: open the printed portal URL, sign in as the demo
user, register an app (bad input first), copy its credentials, run its authorization flow,
find it under connected apps, revoke it and see its tokens refused; then rotate its
secret, edit it, delete it and sign out. Screenshots go to ``build/screenshots/``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.axe_support import assert_accessible
from tests.e2e.test_browser_flow import SCREENSHOTS, TIMEOUT_MS, browser, printed_lines
from tests.e2e.test_server_process import Server, clean_env

pytestmark = pytest.mark.e2e
__all__ = ["browser"]  # the module-scoped Chromium fixture

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@dataclass
class Demo:
    server: Server
    url: str
    portal_url: str
    email: str
    password: str


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    workdir = tmp_path_factory.mktemp("portal")
    server = Server(workdir, clean_env(), "--demo")
    try:
        saved = json.loads((workdir / "data" / "demo-credentials.json").read_text())
        lines = printed_lines(server)
        opener = next(i for i, line in enumerate(lines) if "developer portal" in line)
        portal_url = lines[opener + 1].strip()
        assert portal_url == server.url + "/developer", lines
        yield Demo(server, server.url, portal_url, saved["email"], saved["password"])
    finally:
        server.kill(signal.SIGTERM)


def new_context(browser: Browser, width: str, **options: Any) -> BrowserContext:
    phone = width == "phone"
    context = browser.new_context(
        viewport=WIDTHS[width],
        is_mobile=phone,
        has_touch=phone,
        permissions=["clipboard-read", "clipboard-write"],
        **options,
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture(params=list(WIDTHS))
def width(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def page(browser: Browser, width: str) -> Iterator[Page]:
    context = new_context(browser, width)
    try:
        yield context.new_page()
    finally:
        context.close()


def shot(page: Page, name: str, width: str) -> None:
    """The whole page, and what the window shows (the README's images are made from
    those: ``docs/images/README.md``)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}-window.png"))


def sign_in(page: Page, demo: Demo) -> None:
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("E-mail address").fill(demo.email)
    page.get_by_label("Password").fill(demo.password)
    page.get_by_role("button", name="Sign in").click()


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def copied(page: Page, button: str, field: str) -> str:
    """Click the copy button named ``button`` beside the once-shown credentials; what it put
    on the clipboard, which must be the value shown in ``field``."""
    page.locator(".once").get_by_role("button", name=button, exact=True).click()
    text: str = page.evaluate("() => navigator.clipboard.readText()")
    assert text == page.locator(f"#{field}").input_value()
    return text


def register(page: Page, name: str, callback: str) -> None:
    page.get_by_role("link", name="Register an app").first.click()
    expect(page.get_by_role("heading", name="Register an app")).to_be_visible()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Description").fill("Shared notes for your team.")
    page.get_by_label("Homepage").fill("https://notes.example.com/")
    page.get_by_label("Logo URL").fill("/static/favicon.svg")
    page.get_by_label("Privacy policy URL").fill("https://notes.example.com/privacy")
    page.get_by_label("Redirect URIs").fill(callback)
    page.get_by_role("button", name="Register app").click()


def test_a_newcomer_registers_an_app_and_runs_its_flow(page: Page, demo: Demo, width: str) -> None:
    name = "Acme Notes" if width == "desktop" else "Acme Notes Mobile"
    callback = demo.url + "/demo/callback"
    # The portal URL that `make serve` prints; signed out, it asks to sign in first.
    page.goto(demo.portal_url)
    assert_accessible(page, "sign-in")
    sign_in(page, demo)
    expect(page).to_have_url(demo.portal_url)
    expect(page.get_by_role("heading", name="Your apps")).to_be_visible()
    expect(page.get_by_role("link", name="Demo App")).to_be_visible()
    assert_accessible(page, "my apps")

    # Bad input first: each message is beside its field, and what was typed is kept.
    page.get_by_role("link", name="Register an app").first.click()
    page.get_by_label("Homepage").fill("http://notes.example.com/")
    page.get_by_label("Redirect URIs").fill("notes://callback")
    page.locator("input[name=scopes]").evaluate_all(
        "boxes => boxes.forEach(b => b.checked = false)"
    )
    page.get_by_role("button", name="Register app").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct these 4 fields")
    expect(page.locator("#name-error")).to_contain_text("a client needs a name")
    expect(page.locator("#homepage_url-error")).to_contain_text("https://")
    expect(page.locator("#redirect_uris-error")).to_contain_text("reverse domain")
    expect(page.locator("#scopes-error")).to_contain_text("at least one scope")
    expect(page.get_by_label("Homepage")).to_have_value("http://notes.example.com/")
    expect(page.get_by_label("Redirect URIs")).to_have_value("notes://callback")
    expect(page.get_by_label("Homepage")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, "register with errors")
    shot(page, "portal-register-errors", width)
    page.get_by_label("Read your profile and the data you can see").check()
    page.get_by_role("link", name="Cancel").click()

    # Register it; the secret is shown once, with copy buttons.
    register(page, name, callback)
    expect(page.get_by_role("heading", name="Your app is registered")).to_be_visible()
    assert_accessible(page, "app registered")
    shot(page, "portal-app", width)
    client_id = copied(page, "Copy Client ID", "shown-client-id")
    secret = copied(page, "Copy Client secret", "shown-secret")
    assert len(secret) == 43
    assert copied(page, "Copy Test access token", "shown-test-token").count(".") == 1
    page.get_by_text("Show test token").click()
    test_token = page.locator("#test-token").input_value()
    me = httpx.get(demo.url + "/api/me", headers={"Authorization": f"Bearer {test_token}"})
    assert me.status_code == 200 and me.json()["email"] == demo.email

    # Its authorization flow, as the app would send the person.
    verifier, challenge = pkce()
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": callback,
        "scope": "openid profile read",
        "state": "xyz",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page.goto(f"{demo.url}/oauth/authorize?{urlencode(query)}")
    expect(page.get_by_role("heading")).to_contain_text(f"{name} wants to access your account")
    expect(page.get_by_text("Shared notes for your team.")).to_be_visible()
    expect(page.get_by_role("link", name="Privacy policy")).to_be_visible()
    expect(page.locator(".scopes")).to_contain_text("Read your profile and the data you can see")
    assert_accessible(page, "consent")
    shot(page, "consent-app", width)
    page.get_by_role("button", name="Allow").click()
    expect(page).to_have_url(re.compile(re.escape(callback + "?")))
    expect(page.locator("pre.code")).to_contain_text('"$CLIENT_ID:$CLIENT_SECRET"')
    assert_accessible(page, "callback")
    code = parse_qs(urlsplit(page.url).query)["code"][0]
    tokens = httpx.post(
        demo.url + "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": callback,
            "code_verifier": verifier,
        },
        auth=(client_id, secret),
    ).json()
    api = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert httpx.get(demo.url + "/api/me", headers=api).status_code == 200

    # Connected apps: there it is; revoking it ends its tokens at once.
    page.goto(demo.url + "/account")
    card = page.locator(".connected > li", has_text=name)
    expect(card).to_contain_text("Read your profile and the data you can see")
    expect(card).to_contain_text("last used")
    assert_accessible(page, "account")
    shot(page, "account", width)
    card.get_by_role("button", name=f"Revoke access of {name}").click()
    expect(page.get_by_role("status").first).to_contain_text(f"{name} can no longer use")
    expect(page.locator(".connected > li", has_text=name)).to_have_count(0)
    assert httpx.get(demo.url + "/api/me", headers=api).status_code == 401
    refreshed = httpx.post(
        demo.url + "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(client_id, secret),
    )
    assert refreshed.json()["error"] == "invalid_grant"

    # Back in the portal: usage, a new secret, an edit, and deleting it.
    page.goto(demo.portal_url)
    expect(page.locator(".app-row", has_text=name)).to_contain_text("Last used")
    shot(page, "portal-apps", width)
    page.get_by_role("link", name=name).click()
    expect(page.locator(".stats")).to_contain_text("1")
    page.get_by_role("button", name="Rotate secret").click()
    expect(page.get_by_role("heading", name="New client secret")).to_be_visible()
    new_secret = page.locator("#shown-secret").input_value()
    assert new_secret != secret
    old = httpx.post(
        demo.url + "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
    )
    assert old.status_code == 401
    page.get_by_role("link", name="Edit settings").click()
    assert_accessible(page, "edit")
    page.get_by_label("Name").fill(name + " 2")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status").first).to_have_text("Saved.")
    page.get_by_role("link", name="Delete app…").click()
    assert_accessible(page, "delete")
    page.get_by_label(re.compile("Type the app's name")).fill("wrong")
    page.get_by_role("button", name="Delete app").click()
    expect(page.locator("#confirm-error")).to_be_visible()
    page.get_by_label(re.compile("Type the app's name")).fill(name + " 2")
    page.get_by_role("button", name="Delete app").click()
    expect(page.get_by_role("status").first).to_contain_text(f"{name} 2 was deleted.")
    me = httpx.get(demo.url + "/api/me", headers={"Authorization": f"Bearer {test_token}"})
    assert me.status_code == 401

    # The start page leads to both; signing out says so.
    page.goto(demo.url + "/")
    expect(page.get_by_role("link", name="Developer portal")).to_be_visible()
    assert_accessible(page, "start page")
    page.get_by_role("button", name="Sign out").first.click()
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    assert_accessible(page, "signed out")


def test_the_profile_and_password_forms(page: Page, demo: Demo, width: str) -> None:
    page.goto(demo.url + "/account")
    sign_in(page, demo)
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    page.get_by_label("Phone").fill("call me")
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator("#phone_number-error")).to_contain_text("'+' then digits")
    expect(page.get_by_label("Phone")).to_have_value("call me")
    page.get_by_label("Current password").fill("not the password")
    assert_accessible(page, "profile with errors")
    page.get_by_label("Phone").fill("+49 30 1234567")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("status").first).to_have_text("Your profile was saved.")
    page.get_by_label("Current password").fill("not the password")
    page.get_by_label("New password", exact=True).fill("a new long password")
    page.get_by_label("New password again").fill("a new long password")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#current_password-error")).to_have_text("The password is not correct.")
    expect(page.get_by_label("Current password")).to_have_value("")
    assert_accessible(page, "password with errors")


def test_everything_works_without_javascript(browser: Browser, demo: Demo) -> None:
    context = new_context(browser, "desktop", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(demo.portal_url)
        sign_in(page, demo)
        register(page, "No-script app", demo.url + "/demo/callback")
        expect(page.get_by_role("heading", name="Your app is registered")).to_be_visible()
        expect(page.locator("button.copy").first).to_be_hidden()  # nothing to click
        assert len(page.locator("#shown-secret").input_value()) == 43
        page.get_by_text("Show test token").click()
        expect(page.locator("#test-token")).to_be_visible()
    finally:
        context.close()


def test_not_found_and_error_pages(page: Page, demo: Demo, width: str) -> None:
    response = page.goto(demo.url + "/no/such/page")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="This page does not exist")).to_be_visible()
    assert_accessible(page, "404")
    page.goto(demo.url + "/oauth/authorize?client_id=nobody&response_type=code")
    expect(page.get_by_role("heading", name="This link is not valid")).to_be_visible()
    assert_accessible(page, "invalid link")
    shot(page, "not-found", width)


def test_the_copy_script_runs_under_the_pages_csp(page: Page, demo: Demo) -> None:
    """The pages' CSP (script-src 'self') lets the copy script run and nothing inline."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(demo.portal_url)
    sign_in(page, demo)
    page.get_by_role("link", name="Demo App").click()
    expect(page.locator("button.copy").first).to_be_visible()
    assert not [e for e in errors if "Content Security Policy" in e], errors
