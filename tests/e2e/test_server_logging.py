"""What a real ``authgate serve`` writes to its log: the real peer, and no secrets."""

from __future__ import annotations

import json
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from authgate.domain import TOKEN_EXCHANGE
from tests.e2e.raw_http import LoggedServer
from tests.e2e.test_server_process import AUTHGATE, clean_env

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoggedServer]:
    running = LoggedServer(tmp_path_factory.mktemp("logging"), "--demo")
    yield running
    running.stop()


def access_lines(server: LoggedServer, since: int) -> list[str]:
    return [line for line in server.settled_output(since).splitlines() if '"GET ' in line]


# ---------------------------------------------------------------------------- item 4


def test_forwarded_for_from_an_untrusted_peer_is_ignored(server: LoggedServer) -> None:
    """A client on loopback cannot pick the address it is logged and throttled under."""
    since = server.mark()
    httpx.get(server.url + "/api/ping", headers={"X-Forwarded-For": "203.0.113.9"})
    lines = access_lines(server, since)
    assert len(lines) == 1, lines
    assert lines[0].split()[1].startswith("127.0.0.1:"), lines
    assert "203.0.113.9" not in server.output(since)


def test_forwarded_for_from_a_configured_proxy_is_honoured(tmp_path: Path) -> None:
    proxied = LoggedServer(tmp_path, "--forwarded-allow-ips", "127.0.0.1")
    try:
        since = proxied.mark()
        httpx.get(proxied.url + "/api/ping", headers={"X-Forwarded-For": "203.0.113.9"})
        lines = access_lines(proxied, since)
    finally:
        proxied.stop()
    assert len(lines) == 1 and "203.0.113.9:" in lines[0], lines


def test_login_throttle_counts_the_real_peer_not_forwarded_for(tmp_path: Path) -> None:
    """Twenty failed sign-ins from one peer are throttled whatever X-Forwarded-For says."""
    limited = LoggedServer(tmp_path, AUTHGATE_LOGIN_MAX_FAILURES_PER_ADDRESS="3")
    statuses = []
    try:
        with httpx.Client(base_url=limited.url) as client:
            for n in range(5):
                page = client.get("/login")
                csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
                r = client.post(
                    "/login",
                    data={"email": f"u{n}@example.com", "password": "wrong", "csrf_token": csrf},
                    headers={"X-Forwarded-For": f"198.51.100.{n}"},
                )
                statuses.append(r.status_code)
    finally:
        limited.stop()
    assert statuses[-1] == 429, statuses


# ---------------------------------------------------------------------------- item 6

SECRET = "S3CR3T-value-never-logged"


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        (f"/api/me?access_token={SECRET}", "/api/me?access_token=[redacted]"),
        (f"/demo/callback?code={SECRET}&state=xyz", "/demo/callback?code=[redacted]&state=xyz"),
        (f"/oauth/token?client_secret={SECRET}&x=1", "/oauth/token?client_secret=[redacted]&x=1"),
        (f"/login?next=%2F&password={SECRET}", "/login?next=%2F&password=[redacted]"),
    ],
)
def test_access_log_redacts_secrets_in_urls(server: LoggedServer, path: str, shown: str) -> None:
    since = server.mark()
    httpx.get(server.url + path)
    output = server.settled_output(since)
    assert SECRET not in output
    assert shown in output


# ---------------------------------------------------------------------------- issue 8


def run_cli(cwd: Path, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [AUTHGATE, *args, "--json"],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def test_platform_api_traffic_logs_no_token_secret_or_code(tmp_path: Path) -> None:
    """JWT access tokens, an RFC 8693 exchange, tokens in form bodies and in URLs the
    server refuses, introspection, revocation and refresh: the log names none of the
    credentials, only methods, paths and statuses."""
    subprocess.run([AUTHGATE, "db", "upgrade"], cwd=tmp_path, env=clean_env(), check=True)
    pw = "log-test " + secrets.token_urlsafe(12)
    run_cli(tmp_path, "user", "create", "--email", "ann@example.com", "--password", pw)
    run_cli(tmp_path, "space", "create", "--slug", "acme", "--name", "Acme")
    run_cli(tmp_path, "space", "add-member", "--space", "acme", "--email", "ann@example.com")
    client = run_cli(
        tmp_path,
        "client",
        "create",
        *("--name", "Logged", "--grant", "password", "--grant", "token-exchange"),
        *("--access-token-format", "jwt", "--token-lifetime", "600", "--scope", "read write"),
    )
    auth = (client["client_id"], client["client_secret"])
    server = LoggedServer(tmp_path)
    secrets_seen = [pw, client["client_secret"]]
    try:
        since = server.mark()
        with httpx.Client(base_url=server.url) as http:
            issued = http.post(
                "/oauth/token",
                data={
                    "grant_type": "password",
                    "username": "ann@example.com",
                    "password": pw,
                },
                auth=auth,
            ).json()
            jwt = issued["access_token"]
            assert jwt.count(".") == 2, issued
            secrets_seen += [jwt, jwt.split(".")[2], issued["refresh_token"]]
            exchanged = http.post(
                "/oauth/token",
                data={
                    "grant_type": TOKEN_EXCHANGE,
                    "subject_token": jwt,
                    "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
                    "audience": "acme",
                },
                auth=auth,
            )
            assert exchanged.status_code == 200, exchanged.text
            bound = exchanged.json()["access_token"]
            secrets_seen += [bound, bound.split(".")[-1]]
            assert http.get("/api/me", headers={"Authorization": f"Bearer {jwt}"}).is_success
            r = http.put(
                "/api/spaces/acme/members/me", data={"access_token": bound, "name": "Ann A."}
            )
            assert r.status_code == 200, r.text
            assert http.post("/oauth/userinfo", data={"access_token": jwt}).status_code in (
                200,
                403,
            )
            # Credentials in URLs the server refuses still reach the access log's line.
            refused = [
                http.post(f"/oauth/token?subject_token={jwt}&client_secret={auth[1]}"),
                http.get(f"/api/me?access_token={bound}"),
                http.get(
                    "/oauth/authorize",
                    params={
                        "response_type": "code",
                        "client_id": auth[0],
                        "scope": "openid",
                        "id_token_hint": jwt,
                    },
                ),
            ]
            assert all(r.status_code < 500 for r in refused)
            intro = http.post("/oauth/introspect", data={"token": jwt}, auth=auth)
            assert intro.json()["active"] is True
            refreshed = http.post(
                "/oauth/token",
                data={"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]},
                auth=auth,
            ).json()
            secrets_seen += [refreshed["access_token"], refreshed["refresh_token"]]
            assert http.post("/oauth/revoke", data={"token": bound}, auth=auth).is_success
        output = server.settled_output(since)
    finally:
        server.stop()
    assert output.count('"POST /oauth/token') >= 4, output
    for secret in secrets_seen:
        assert secret not in output, (secret[:12], output)
