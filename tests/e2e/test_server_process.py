"""A real ``authgate serve`` process: demo data, durability across kill -9, schema checks."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import POSTGRES_URL, postgres_execute

AUTHGATE = str(Path(sys.executable).parent / "authgate")
pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHGATE_")}
    env.update(extra)
    return env


class Server:
    def __init__(self, cwd: Path, env: dict[str, str], *args: str, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [AUTHGATE, "serve", "--port", str(self.port), "--no-access-log", *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited: {self.proc.stdout.read()}")  # type: ignore[union-attr]
            try:
                if httpx.get(self.url + "/api/ping", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError("server did not start")

    def kill(self, sig: int = signal.SIGKILL) -> str:
        os.killpg(self.proc.pid, sig)
        out, _ = self.proc.communicate(timeout=15)
        return out


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path


def test_demo_start_prints_a_working_curl_line(workdir: Path) -> None:
    server = Server(workdir, clean_env(), "--demo")
    try:
        saved = json.loads((workdir / "data" / "demo-credentials.json").read_text())
        r = httpx.post(
            server.url + "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(saved["client_id"], saved["client_secret"]),
        )
        assert r.status_code == 200, r.text
        me = httpx.get(
            server.url + "/api/me",
            headers={"Authorization": f"Bearer {saved['test_access_token']}"},
        )
        assert me.json()["email"] == "demo@example.com"
    finally:
        out = server.kill(signal.SIGTERM)
    assert f"curl -s -u '{saved['client_id']}:{saved['client_secret']}'" in out
    assert f"{server.url}/oauth/token" in out
    assert saved["password"] in out
    secret_file = workdir / "data" / "authgate.secret"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((workdir / "data" / "demo-credentials.json").stat().st_mode) == 0o600


def test_acknowledged_token_survives_kill_9(workdir: Path) -> None:
    env = clean_env()
    server = Server(workdir, env, "--demo")
    saved = json.loads((workdir / "data" / "demo-credentials.json").read_text())
    tokens = []
    for _ in range(20):
        r = httpx.post(
            server.url + "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(saved["client_id"], saved["client_secret"]),
        )
        tokens.append(r.json()["access_token"])
    server.kill(signal.SIGKILL)
    again = Server(workdir, env)
    try:
        for token in tokens:
            me = httpx.get(again.url + "/api/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 200
    finally:
        again.kill(signal.SIGTERM)


@pytest.mark.postgres
def test_serve_refuses_an_outdated_postgres_schema(workdir: Path) -> None:
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL runs need AUTHGATE_TEST_POSTGRES_URL (set by .ci/run)")
    schema = f"authgate_empty_{secrets.token_hex(4)}"
    postgres_execute(POSTGRES_URL, f'CREATE SCHEMA "{schema}"')
    try:
        url = f"{POSTGRES_URL}?search_path={schema}"
        env = clean_env(AUTHGATE_DATABASE_URL=url, AUTHGATE_SECRET_KEY="k")
        r = subprocess.run(
            [AUTHGATE, "serve", "--port", str(free_port())],
            env=env,
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert r.returncode == 3
        assert "authgate db upgrade" in r.stderr
        assert "Traceback" not in r.stderr
        up = subprocess.run(
            [AUTHGATE, "db", "upgrade"], env=env, capture_output=True, text=True, timeout=60
        )
        assert up.returncode == 0, up.stderr
        current = subprocess.run(
            [AUTHGATE, "db", "current", "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert json.loads(current.stdout)["up_to_date"] is True
        no_key = subprocess.run(
            [AUTHGATE, "serve", "--port", str(free_port())],
            env=clean_env(AUTHGATE_DATABASE_URL=url),
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert no_key.returncode == 2
        assert "AUTHGATE_SECRET_KEY" in no_key.stderr
    finally:
        postgres_execute(POSTGRES_URL, f'DROP SCHEMA "{schema}" CASCADE')


def test_demo_credentials_still_work_after_the_demo_client_was_deleted(workdir: Path) -> None:
    env = clean_env()
    first = Server(workdir, env, "--demo")
    first.kill(signal.SIGTERM)
    saved = json.loads((workdir / "data" / "demo-credentials.json").read_text())
    deleted = subprocess.run(
        [AUTHGATE, "client", "delete", saved["client_id"]],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert deleted.returncode == 0, deleted.stderr
    again = Server(workdir, env, "--demo")
    try:
        now = json.loads((workdir / "data" / "demo-credentials.json").read_text())
        r = httpx.post(
            again.url + "/oauth/token",
            data={"grant_type": "password", "username": now["email"], "password": now["password"]},
            auth=(now["client_id"], now["client_secret"]),
        )
        assert r.status_code == 200, r.text
    finally:
        out = again.kill(signal.SIGTERM)
    assert now["password"] == saved["password"]
    assert f"-d 'password={now['password']}'" in out
    assert f"curl -s -u '{now['client_id']}:{now['client_secret']}' -d grant_type=password" in out


def test_files_the_server_creates_are_private_under_umask_022(workdir: Path) -> None:
    old = os.umask(0o022)
    try:
        server = Server(workdir, clean_env(), "--demo")
    finally:
        os.umask(old)
    try:
        data = workdir / "data"
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in data.iterdir()}
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
    finally:
        server.kill(signal.SIGTERM)
    assert modes == {
        "authgate.db": 0o600,
        "authgate.db-wal": 0o600,
        "authgate.db-shm": 0o600,
        "authgate.secret": 0o600,
        "demo-credentials.json": 0o600,
    }
