"""Two real ``authgate serve`` processes on one SQLite file and one Redis: together they
allow one user 60 API requests a minute, not 120; and what one of them (or the CLI)
revokes, the other refuses at once, although it caches token rows and clients for a
minute."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests.e2e.test_server_process import AUTHGATE, Server, clean_env
from tests.redis_support import fresh_namespace, redis_url_or_skip

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

#: far longer than the test: only the invalidation channel can make B refuse in time
CACHE_SECONDS = "60"
#: "well under a second": the whole loop, polling included, must finish within this
DEADLINE = 1.0


@dataclass
class Deployment:
    a: Server
    b: Server
    env: dict[str, str]
    workdir: Path
    saved: dict[str, Any]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    url, namespace = redis_url_or_skip(), fresh_namespace()
    workdir = tmp_path_factory.mktemp("two-servers")
    env = clean_env(
        AUTHGATE_REDIS_URL=url,
        AUTHGATE_REDIS_NAMESPACE=namespace,
        AUTHGATE_TOKEN_CACHE_SECONDS=CACHE_SECONDS,
        AUTHGATE_CLIENT_CACHE_SECONDS=CACHE_SECONDS,
    )
    a = Server(workdir, env, "--demo")
    b = Server(workdir, env)  # same directory: the same SQLite file and key file
    try:
        client = redis.Redis.from_url(url)
        try:
            deadline = time.monotonic() + 10
            channel = f"{namespace}:invalidate"
            while client.pubsub_numsub(channel)[0][1] < 2:  # both listeners subscribed
                assert time.monotonic() < deadline, "the servers did not subscribe"
                time.sleep(0.05)
        finally:
            client.close()
        saved = json.loads((workdir / "data" / "demo-credentials.json").read_text())
        yield Deployment(a, b, env, workdir, saved)
    finally:
        a.kill(signal.SIGTERM)
        b.kill(signal.SIGTERM)


def _me(server: Server, token: str) -> httpx.Response:
    return httpx.get(server.url + "/api/me", headers={"Authorization": f"Bearer {token}"})


def _client_token(server: Server, client_id: str, secret: str) -> str:
    r = httpx.post(
        server.url + "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
    )
    assert r.status_code == 200, r.text
    token: str = r.json()["access_token"]
    return token


def _refused_within_deadline(server: Server, token: str) -> float:
    """Seconds until ``server`` answers 401 for ``token``; fails after :data:`DEADLINE`."""
    start = time.monotonic()
    while True:
        r = _me(server, token)
        elapsed = time.monotonic() - start
        if r.status_code == 401:
            return elapsed
        assert r.status_code == 200, r.text
        assert elapsed < DEADLINE, f"still accepted {elapsed:.2f} s after the revocation"
        time.sleep(0.02)


def test_two_servers_share_one_budget_of_60_requests_a_minute_per_user(
    deployment: Deployment,
) -> None:
    token = deployment.saved["test_access_token"]  # the demo user's
    answers = [_me(server, token) for _ in range(60) for server in (deployment.a, deployment.b)]
    statuses = [r.status_code for r in answers]
    assert statuses.count(200) == 60 and statuses.count(429) == 60, statuses
    assert statuses[:60] == [200] * 60  # every place taken in turn, on either server
    assert [int(r.headers["ratelimit-remaining"]) for r in answers[:60]] == list(range(59, -1, -1))
    refused = answers[60:]
    assert {r.json()["error"] for r in refused} == {"rate_limit_exceeded"}
    assert all(1 <= int(r.headers["retry-after"]) <= 60 for r in refused)


def test_a_token_revoked_through_one_server_is_refused_by_the_other_at_once(
    deployment: Deployment,
) -> None:
    saved = deployment.saved
    token = _client_token(deployment.a, saved["client_id"], saved["client_secret"])
    assert _me(deployment.b, token).status_code == 200  # B has the row cached now
    r = httpx.post(
        deployment.a.url + "/oauth/revoke",
        data={"token": token},
        auth=(saved["client_id"], saved["client_secret"]),
    )
    assert r.status_code == 200
    _refused_within_deadline(deployment.b, token)


def test_a_client_deleted_with_the_cli_is_refused_by_both_servers_at_once(
    deployment: Deployment,
) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [AUTHGATE, *args],
            cwd=deployment.workdir,
            env=deployment.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )

    created = json.loads(
        cli(
            "client", "create", "--name", "Doomed", "--grant", "client_credentials", "--json"
        ).stdout
    )
    token = _client_token(deployment.a, created["client_id"], created["client_secret"])
    for server in (deployment.a, deployment.b):
        assert _me(server, token).status_code == 200  # the client is cached on both
    cli("client", "delete", created["client_id"])
    for server in (deployment.a, deployment.b):
        _refused_within_deadline(server, token)
