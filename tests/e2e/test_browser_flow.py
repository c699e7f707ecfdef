"""The browser flow of ``authgate serve --demo`` in a real Chromium (Debian's, via Playwright).

Authorization URL printed at start -> login page -> consent page -> Allow / Deny ->
the demo callback page, whose ``curl`` line must really exchange the code for tokens.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.test_server_process import Server, clean_env

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's Chromium. "
            "Run `make test` (it installs it) or `apt-get install -y chromium`.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 800, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


class DemoServer:
    def __init__(self, server: Server, credentials: dict[str, Any], authorize_url: str) -> None:
        self.server = server
        self.url = server.url
        self.credentials = credentials
        self.authorize_url = authorize_url


def printed_lines(server: Server) -> list[str]:
    """What ``serve --demo`` printed before it started serving (already in the pipe)."""
    lines = []
    assert server.proc.stdout is not None
    for line in server.proc.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("authgate serving on"):
            return lines
    raise AssertionError("server output ended early:\n" + "\n".join(lines))


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoServer]:
    server = Server(tmp_path, clean_env(), "--demo")
    try:
        credentials = json.loads((tmp_path / "data" / "demo-credentials.json").read_text())
        lines = printed_lines(server)
        opener = lines.index("Sign in through the browser (authorization code flow): open")
        url = lines[opener + 1].strip()
        assert url.startswith(server.url + "/oauth/authorize?"), url
        query = parse_qs(urlsplit(url).query)
        assert query["client_id"] == [credentials["client_id"]]
        assert query["redirect_uri"] == [server.url + "/demo/callback"]
        yield DemoServer(server, credentials, url)
    finally:
        server.kill(signal.SIGTERM)


def sign_in(page: Page, demo: DemoServer, password: str) -> None:
    page.get_by_label("E-mail address").fill(demo.credentials["email"])
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def open_login(page: Page, demo: DemoServer) -> None:
    page.goto(demo.authorize_url)
    expect(page).to_have_url(re.compile(re.escape(demo.url + "/login?next=")))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def reach_consent(page: Page, demo: DemoServer, *, screenshots: bool = False) -> None:
    open_login(page, demo)
    if screenshots:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "login.png"), full_page=True)
    sign_in(page, demo, demo.credentials["password"])
    expect(page).to_have_url(re.compile(re.escape(demo.url + "/oauth/authorize?")))
    expect(page.get_by_role("heading")).to_contain_text("Demo App wants to access your account")
    expect(page.locator(".lead")).to_contain_text(demo.credentials["email"])
    expect(page.locator(".scopes")).to_contain_text("read")
    expect(page.get_by_role("button", name="Allow")).to_be_visible()
    expect(page.get_by_role("button", name="Deny")).to_be_visible()
    if screenshots:
        page.screenshot(path=str(SCREENSHOTS / "consent.png"), full_page=True)


def callback_query(page: Page, demo: DemoServer) -> dict[str, list[str]]:
    expect(page).to_have_url(re.compile(re.escape(demo.url + "/demo/callback?")))
    parts = urlsplit(page.url)
    return parse_qs(parts.query)


def test_allow_gives_a_code_whose_curl_line_returns_tokens(page: Page, demo: DemoServer) -> None:
    reach_consent(page, demo, screenshots=True)
    page.get_by_role("button", name="Allow").click()
    query = callback_query(page, demo)
    assert query["state"] == ["demo-state"]
    assert query["iss"] == [demo.url]
    code = query["code"][0]
    expect(page.get_by_role("heading", name="Authorization code received")).to_be_visible()

    curl = page.locator("pre.code code").text_content()
    assert curl is not None
    argv = shlex.split(curl)
    assert argv[0] == "curl", curl
    assert f"code={code}" in argv
    assert argv[-1] == demo.url + "/oauth/token"
    if shutil.which("curl") is None:
        pytest.fail("curl is missing: run `make test` or `apt-get install -y curl`", pytrace=False)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    tokens = json.loads(done.stdout)
    assert tokens["access_token"]
    assert tokens["refresh_token"]
    assert tokens["token_type"].lower() == "bearer"
    assert tokens["scope"] == "openid profile read"
    assert tokens["id_token"].count(".") == 2  # the demo asks for OpenID Connect too

    me = httpx.get(
        demo.url + "/api/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.status_code == 200, me.text
    assert me.json()["email"] == demo.credentials["email"]

    # The code is single-use: the same curl line now fails.
    again = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert json.loads(again.stdout)["error"] == "invalid_grant"


def test_deny_redirects_with_access_denied_and_the_state(page: Page, demo: DemoServer) -> None:
    reach_consent(page, demo)
    page.get_by_role("button", name="Deny").click()
    query = callback_query(page, demo)
    assert query["error"] == ["access_denied"]
    assert query["state"] == ["demo-state"]
    assert query["iss"] == [demo.url]
    assert "code" not in query
    expect(page.get_by_role("alert")).to_contain_text("access_denied")
    expect(page.locator("pre.code")).to_have_count(0)


def test_wrong_password_shows_the_error_and_keeps_the_request(page: Page, demo: DemoServer) -> None:
    open_login(page, demo)
    sign_in(page, demo, demo.credentials["password"] + "-wrong")
    expect(page).to_have_url(re.compile(re.escape(demo.url + "/login")))
    expect(page.get_by_role("alert")).to_have_text("The e-mail address or password is not correct.")
    expect(page.get_by_label("E-mail address")).to_have_value(demo.credentials["email"])
    expect(page.get_by_label("Password")).to_have_value("")
    # The authorization request survives the failed attempt: the right password continues it.
    sign_in(page, demo, demo.credentials["password"])
    expect(page.get_by_role("heading")).to_contain_text("Demo App wants to access your account")
