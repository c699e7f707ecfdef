"""``authgate-client``, the command line: the RFC 8252 loopback login driven through the
real sign-in and consent pages, ``token`` and ``refresh``, help, and one-line errors that
never show the secret."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.profile_support import ProfileServer

from sdk_support import MEMBER, sign_in

pytestmark = pytest.mark.e2e

CLI = str(Path(sys.executable).parent / "authgate-client")


def run(*args: str, secret: str | None = None, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "AUTHGATE_CLIENT_SECRET"}
    if secret is not None:
        env["AUTHGATE_CLIENT_SECRET"] = secret
    return subprocess.run(
        [CLI, *args], env=env, input=stdin, capture_output=True, text=True, timeout=60
    )


def test_loopback_login_through_the_real_pages(root: ProfileServer) -> None:
    native = root.client(
        "native app",
        "--public",
        "--redirect-uri",
        "http://127.0.0.1/callback",
        "--grant",
        "authorization_code",
        "--grant",
        "refresh_token",
    )
    login = subprocess.Popen(
        [
            CLI,
            "login",
            "--issuer",
            root.url,
            "--client-id",
            native["client_id"],
            "--scope",
            "openid read",
            "--no-browser",
            "--wait",
            "60",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert login.stderr is not None
        lines = [login.stderr.readline() for _ in range(2)]
        assert lines[0].startswith("Open this URL"), lines
        url = lines[1].strip()
        assert url.startswith(root.url + "/oauth/authorize?") and "code_challenge=" in url
        redirect_uri = httpx.URL(url).params["redirect_uri"]
        assert redirect_uri.startswith("http://127.0.0.1:") and redirect_uri.endswith("/callback")
        location = sign_in(root, url, redirect_uri)
        page = httpx.get(location)  # the browser follows the redirect to the listener
        assert page.status_code == 200 and "Signed in" in page.text
        out, err = login.communicate(timeout=60)
    finally:
        login.kill()
        login.wait()
    assert login.returncode == 0, err
    tokens: dict[str, Any] = json.loads(out)
    assert tokens["token_type"] == "Bearer" and tokens["refresh_token"]
    assert tokens["id_token_claims"]["iss"] == root.url
    me = httpx.get(
        root.url + "/api/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.json()["email"] == MEMBER

    # refresh: the JSON login printed, on stdin
    refreshed = run("refresh", "--issuer", root.url, "--client-id", native["client_id"], stdin=out)
    assert refreshed.returncode == 0, refreshed.stderr
    assert json.loads(refreshed.stdout)["refresh_token"] != tokens["refresh_token"]


def test_token_prints_client_credentials_and_errors_hide_the_secret(
    root: ProfileServer, app: Any
) -> None:
    done = run(
        "token", "--issuer", root.url, "--client-id", app["client_id"], "--scope", "read",
        secret=app["client_secret"],
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    token = json.loads(done.stdout)
    assert token["scope"] == "read" and token["expires_in"] > 0
    assert app["client_secret"] not in done.stdout + done.stderr

    wrong = run("token", "--issuer", root.url, "--client-id", app["client_id"], secret="hunter2")
    assert wrong.returncode == 1 and wrong.stdout == ""
    assert wrong.stderr.startswith("authgate-client: error: invalid_client")
    assert len(wrong.stderr.strip().splitlines()) == 1 and "hunter2" not in wrong.stderr

    cobot_style = run(
        "token", "--token-endpoint", root.url + "/oauth/token", "--client-id", app["client_id"],
        secret=app["client_secret"],
    )  # fmt: skip
    assert cobot_style.returncode == 0, cobot_style.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["token", "--client-id", "x"], "give --issuer URL"),
        (["token", "--issuer", "http://127.0.0.1:1", "--client-id", "x"], "cannot reach"),
        (["refresh", "--issuer", "http://127.0.0.1:1", "--client-id", "x"], "stdin"),
    ],
)
def test_errors_are_one_line_without_traceback(args: list[str], message: str) -> None:
    done = run(*args)
    assert done.returncode == 1
    assert done.stderr.startswith("authgate-client: error: ") and message in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_help_names_every_command() -> None:
    done = run("--help")
    assert done.returncode == 0
    for command in ("login", "token", "refresh", "AUTHGATE_CLIENT_SECRET"):
        assert command in done.stdout
    login = run("login", "--help")
    assert "http://127.0.0.1/callback" in login.stdout and "--no-browser" in login.stdout
