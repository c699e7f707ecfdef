"""``authgate serve --profile NAME --demo`` prints a working example for every profile:
each printed command is run as printed (``bash -c``, curl), and the printed authorization
URL is followed through sign-in and consent to the demo callback page."""

from __future__ import annotations

import json
import re
import shlex
import signal
import subprocess
from pathlib import Path

import pytest

from authgate import profiles
from tests.e2e.profile_support import Browser
from tests.e2e.test_server_process import Server, clean_env, free_port

pytestmark = pytest.mark.e2e


def printed(server: Server) -> str:
    out = server.kill(signal.SIGTERM)
    return out


@pytest.mark.parametrize("profile", profiles.names())
def test_the_demo_of_every_profile_works_as_printed(profile: str, tmp_path: Path) -> None:
    port = free_port()
    env = clean_env()
    # The first start creates the demo data and prints it; the second serves it again on
    # the same address, as a user who copies the commands from the first start would.
    out = printed(Server(tmp_path, env, "--profile", profile, "--demo", port=port))
    server = Server(tmp_path, env, "--profile", profile, "--demo", port=port)
    try:
        commands = [line.strip() for line in out.splitlines() if line.strip().startswith("curl ")]
        assert commands, out
        for command in commands:
            done = subprocess.run(
                ["bash", "-c", command], capture_output=True, text=True, timeout=30, check=False
            )
            assert done.returncode == 0, (command, done.stderr)
            body = json.loads(done.stdout)
            assert "access_token" in body or body.get("email") == "demo@example.com", (
                command,
                body,
            )
        url = re.search(r"^\s+(http://\S+\?response_type=\S+)$", out, re.MULTILINE)
        assert url is not None, out
        saved = json.loads((tmp_path / "data" / "demo-credentials.json").read_text())
        assert saved["password"] in out
        browser = Browser(server.url)
        try:
            location = browser.authorize(
                url.group(1),
                server.url + "/demo/callback",
                email=saved["email"],
                password=saved["password"],
            )
            assert "code=" in location, location
            page = browser.http.get(location)
            assert page.status_code == 200
            # the callback page's own exchange command works too
            exchange = re.search(r"curl [^<]+", page.text)
            assert exchange is not None, page.text
            command = shlex.split(exchange.group(0).replace("&amp;", "&").replace("&#39;", "'"))
            done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
            assert "access_token" in json.loads(done.stdout), done.stdout
        finally:
            browser.close()
    finally:
        server.kill(signal.SIGTERM)
