"""What a real ``authgate serve`` writes to its log: the real peer, and no secrets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.raw_http import LoggedServer

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
