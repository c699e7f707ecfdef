"""The admin console in a real Chromium (Debian's, via Playwright), used as an operator
would on ``make serve``'s demo, at desktop and phone widths, with axe-core checking every
page: open the printed console URL, sign in as the demo user (an administrator), find
users, create one (bad input first; the made password shown once), give them the admin
role, add them to a new space and change their role there, disable them, rotate a client's
secret, rotate the signing key, read the audit log filtered, and delete the user.
Screenshots go to ``build/screenshots/`` (``admin-*``)."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.axe_support import assert_accessible
from tests.e2e.test_browser_flow import browser, printed_lines
from tests.e2e.test_portal_browser import Demo, new_context, shot, sign_in
from tests.e2e.test_server_process import Server, clean_env

pytestmark = pytest.mark.e2e
__all__ = ["browser"]  # the module-scoped Chromium fixture


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    workdir = tmp_path_factory.mktemp("console")
    server = Server(workdir, clean_env(), "--demo")
    try:
        saved = json.loads((workdir / "data" / "demo-credentials.json").read_text())
        lines = printed_lines(server)
        opener = next(i for i, line in enumerate(lines) if "admin console" in line)
        console_url = lines[opener + 2].strip()
        assert console_url == server.url + "/admin", lines
        yield Demo(server, server.url, console_url, saved["email"], saved["password"])
    finally:
        server.kill(signal.SIGTERM)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = new_context(browser, "desktop")
    try:
        yield context.new_page()
    finally:
        context.close()


def checked(page: Page, name: str, screenshot: str | None = None) -> None:
    assert_accessible(page, name)
    if screenshot:
        shot(page, screenshot, "desktop")


def nav(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Admin console").get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()


def test_an_operator_manages_the_server_in_the_console(page: Page, demo: Demo) -> None:
    page.goto(demo.portal_url)  # the console URL `make serve` prints; sign in first
    sign_in(page, demo)
    expect(page).to_have_url(demo.portal_url)
    expect(page.get_by_role("heading", name="Admin console", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Admin console", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    checked(page, "overview", "admin-overview")

    # Users: search, then create one (bad input first, then a made password).
    nav(page, "Users")
    page.get_by_label("Search users").fill("DEMO")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name=demo.email)).to_be_visible()
    checked(page, "users", "admin-users")
    page.get_by_role("link", name="New user").click()
    page.get_by_label("E-mail address", exact=True).fill("carol@")
    page.get_by_label("Initial password").fill("short")
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct these 2 fields")
    checked(page, "user form errors", "admin-user-errors")
    page.get_by_label("E-mail address", exact=True).fill("carol@example.com")
    page.get_by_label("Name").fill("Carol Operator")
    page.get_by_label("Initial password").fill("")
    page.get_by_role("button", name="Create user").click()
    expect(page.locator(".notice")).to_have_text("carol@example.com was created.")
    password = page.locator("#shown-password").input_value()
    assert len(password) >= 12
    checked(page, "new user", "admin-user")
    page.reload()
    expect(page.locator("#shown-password")).to_have_count(0)  # shown once

    # The admin role.
    page.get_by_role("link", name="Edit user").click()
    page.get_by_label("Server administrator").check()
    checked(page, "user edit")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".notice")).to_have_text("Saved.")
    expect(page.locator(".badges")).to_contain_text("Admin")
    carol_url = page.url

    # A space with Carol as a member, then her role there.
    nav(page, "Spaces")
    page.get_by_label("Slug").fill("acme")
    page.get_by_label("Name").fill("Acme Robotics")
    page.get_by_role("button", name="Create space").click()
    expect(page.locator(".notice")).to_contain_text("Acme Robotics was created")
    page.get_by_label("E-mail address", exact=True).fill("carol@example.com")
    page.get_by_role("button", name="Add member").click()
    expect(page.locator(".notice")).to_have_text("carol@example.com was added.")
    page.get_by_label("Role of carol@example.com").select_option("admin")
    page.get_by_label("Revoked scopes of carol@example.com").fill("write")
    page.get_by_role("button", name="Save carol@example.com").click()
    expect(page.locator(".notice")).to_have_text("carol@example.com was saved.")
    checked(page, "space", "admin-space")

    # Disable her (after the confirmation page).
    page.goto(carol_url)
    page.get_by_role("link", name="Disable user…").click()
    expect(page.get_by_role("heading", name="Disable carol@example.com?")).to_be_visible()
    checked(page, "disable confirmation")
    page.get_by_role("button", name="Disable user").click()
    expect(page.locator(".notice")).to_contain_text("carol@example.com is disabled")
    expect(page.locator(".badges")).to_contain_text("Disabled")

    # A client's secret, rotated and shown once.
    nav(page, "Clients")
    checked(page, "clients")
    page.get_by_role("link", name="Demo App").click()
    page.get_by_role("button", name="Rotate secret").click()
    expect(page.get_by_role("heading", name="New client secret")).to_be_visible()
    assert page.locator("#shown-secret").input_value()
    checked(page, "client", "admin-client")

    # The signing key.
    nav(page, "Signing keys")
    page.get_by_role("link", name="Rotate key…").click()
    checked(page, "rotate confirmation")
    page.get_by_role("button", name="Rotate key").click()
    expect(page.locator(".notice")).to_contain_text("was added")
    expect(page.locator("table .badge", has_text="next")).to_be_visible()
    checked(page, "keys", "admin-keys")

    # The audit log: what the demo user did to users.
    nav(page, "Audit log")
    page.get_by_label("Event").fill("user")
    page.get_by_label("Actor").fill(demo.email)
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table.audit")).to_contain_text("user.disabled")
    expect(page.locator("table.audit")).not_to_contain_text("key.rotated")
    checked(page, "audit", "admin-audit")

    # Delete Carol: the typed address confirms it.
    page.goto(carol_url)
    page.get_by_role("link", name="Delete user…").click()
    page.get_by_label("Type carol@example.com to confirm").fill("carol")
    page.get_by_role("button", name="Delete user").click()
    expect(page.get_by_text("Type the e-mail address exactly.")).to_be_visible()
    checked(page, "delete confirmation")
    page.get_by_label("Type carol@example.com to confirm").fill("carol@example.com")
    page.get_by_role("button", name="Delete user").click()
    expect(page.locator(".notice")).to_have_text("carol@example.com was deleted.")


def test_the_console_on_a_phone(browser: Browser, demo: Demo) -> None:
    context = new_context(browser, "phone")
    try:
        page = context.new_page()
        page.goto(demo.url + "/admin/users")
        sign_in(page, demo)
        expect(page.get_by_role("heading", name="Users", exact=True)).to_be_visible()
        assert_accessible(page, "users on a phone")
        shot(page, "admin-users", "phone")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways ({width}px)"
    finally:
        context.close()
