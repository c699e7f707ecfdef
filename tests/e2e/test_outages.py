"""A real ``authgate serve`` whose PostgreSQL (behind a proxy the test controls) or Redis (a
server of the test's own) goes away and comes back: it stays up, ``/readyz`` answers 503
naming what is down, the OAuth endpoints answer a clear 503 in bounded time instead of
hanging, and everything recovers by itself."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests.e2e.raw_http import LoggedServer
from tests.e2e.tcp_proxy import TcpProxy
from tests.e2e.test_server_process import AUTHGATE, clean_env
from tests.redis_support import RedisServer

pytestmark = pytest.mark.e2e


def through(url: str, port: int) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) > 1 else host))


def wait_for(check: Callable[[], bool], seconds: float = 20.0) -> float:
    """Seconds until ``check()`` held; fails after ``seconds``."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if check():
            return time.monotonic() - start
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds} s")


def cli(env: dict[str, str], *args: str) -> Any:
    done = subprocess.run(
        [AUTHGATE, *args, "--json"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def proxy(postgres_schema: str) -> Iterator[TcpProxy]:
    target = urlsplit(postgres_schema)
    running = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432)
    yield running
    running.close()


@pytest.fixture
def client_env(postgres_schema: str) -> dict[str, str]:
    return clean_env(AUTHGATE_DATABASE_URL=postgres_schema, AUTHGATE_SECRET_KEY="outage-key")


def token(server: LoggedServer, client: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        server.url + "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client["client_id"], client["client_secret"]),
        timeout=30,
    )


def ready(server: LoggedServer) -> httpx.Response:
    return httpx.get(server.url + "/readyz", timeout=30)


def serve_through(tmp_path: Path, proxy: TcpProxy, postgres_schema: str) -> LoggedServer:
    return LoggedServer(
        tmp_path,
        AUTHGATE_DATABASE_URL=through(postgres_schema, proxy.port),
        AUTHGATE_SECRET_KEY="outage-key",
        AUTHGATE_DATABASE_TIMEOUT="2",
    )


@pytest.mark.postgres
def test_postgres_going_away_and_coming_back(
    tmp_path: Path, proxy: TcpProxy, postgres_schema: str, client_env: dict[str, str]
) -> None:
    client = cli(
        client_env, "client", "create", "--name", "Outage", "--grant", "client_credentials"
    )
    proxy.start()
    server = serve_through(tmp_path, proxy, postgres_schema)
    try:
        assert token(server, client).status_code == 200
        assert ready(server).status_code == 200
        proxy.stop()
        start = time.monotonic()
        refused = token(server, client)
        assert time.monotonic() - start < 5  # bounded, not a hang
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"] == "temporarily_unavailable"
        assert refused.headers["retry-after"]
        wait_for(lambda: ready(server).status_code == 503)
        down = ready(server).json()
        assert down["checks"]["database"].startswith("unreachable"), down
        assert httpx.get(server.url + "/healthz").status_code == 200
        proxy.start()
        wait_for(lambda: token(server, client).status_code == 200)
        wait_for(lambda: ready(server).status_code == 200)
        assert server.proc.poll() is None
    finally:
        output = server.stop()
    assert client["client_secret"] not in output
    assert "Traceback" not in output, output


@pytest.mark.postgres
def test_postgres_away_at_start(
    tmp_path: Path, proxy: TcpProxy, postgres_schema: str, client_env: dict[str, str]
) -> None:
    client = cli(client_env, "client", "create", "--name", "Late", "--grant", "client_credentials")
    server = serve_through(tmp_path, proxy, postgres_schema)  # nothing listens yet
    try:
        assert "the database does not answer" in server.output()
        assert ready(server).status_code == 503
        assert token(server, client).status_code == 503
        proxy.start()
        wait_for(lambda: ready(server).status_code == 200)
        assert token(server, client).status_code == 200
        keys = httpx.get(server.url + "/.well-known/jwks.json").json()["keys"]
        assert keys  # the signing key was made once the database answered
    finally:
        output = server.stop()
    assert "database reachable again" in output
    assert "Traceback" not in output, output


@pytest.mark.postgres
def test_a_database_that_stops_answering_costs_bounded_time(
    tmp_path: Path, proxy: TcpProxy, postgres_schema: str, client_env: dict[str, str]
) -> None:
    client = cli(client_env, "client", "create", "--name", "Stall", "--grant", "client_credentials")
    proxy.start()
    server = serve_through(tmp_path, proxy, postgres_schema)
    try:
        assert token(server, client).status_code == 200
        proxy.stall()
        start = time.monotonic()
        refused = token(server, client)
        assert time.monotonic() - start < 8  # database_timeout is 2 s
        assert refused.status_code == 503, refused.text
        proxy.stall(False)
        wait_for(lambda: token(server, client).status_code == 200)
    finally:
        output = server.stop()
    assert "Traceback" not in output, output


@pytest.mark.redis
@pytest.mark.parametrize("away_at_start", [False, True], ids=["later", "at-start"])
def test_redis_going_away_and_coming_back(tmp_path: Path, away_at_start: bool) -> None:
    redis = RedisServer(tmp_path)
    if not away_at_start:
        redis.start()
    subprocess.run([AUTHGATE, "db", "upgrade"], cwd=tmp_path, env=clean_env(), check=True)
    done = subprocess.run(
        [AUTHGATE, "client", "create", "--name", "R", "--grant", "client_credentials", "--json"],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    client = json.loads(done.stdout)
    server = LoggedServer(tmp_path, AUTHGATE_REDIS_URL=redis.url)
    try:
        if not away_at_start:
            body = ready(server).json()
            assert body["checks"]["redis"] == "ok", body
            redis.stop()
        wait_for(lambda: ready(server).status_code == 503)
        assert ready(server).json()["checks"]["redis"].startswith("unreachable")
        # Rate limits count in memory meanwhile (rate_limit_on_redis_error = "open").
        assert token(server, client).status_code == 200
        redis.start()
        wait_for(lambda: ready(server).status_code == 200)
        assert token(server, client).status_code == 200
    finally:
        output = server.stop()
        redis.stop()
    assert "Traceback" not in output, output
