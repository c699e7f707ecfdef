"""``authgate keys rotate`` from another process reaches running workers with no restart:
the new key is published within ``signing_key_refresh_seconds``, the old one stays."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_server_process import AUTHGATE, Server, clean_env

pytestmark = pytest.mark.e2e

#: Requests in a row that must all publish both keys: each new connection may be accepted
#: by either worker, so one answer says nothing about the other worker.
IN_A_ROW = 12


def published(url: str) -> set[str]:
    """The kids of ``/.well-known/jwks.json``, on a new connection each time."""
    r = httpx.get(url + "/.well-known/jwks.json", timeout=5)
    assert r.status_code == 200, r.text
    return {key["kid"] for key in r.json()["keys"]}


def test_rotated_key_reaches_every_worker_without_restart(tmp_path: Path) -> None:
    env = clean_env(AUTHGATE_SIGNING_KEY_REFRESH_SECONDS="1")
    server = Server(tmp_path, env, "--workers", "2")
    try:
        before = {kid for _ in range(IN_A_ROW) for kid in published(server.url)}
        assert len(before) == 1, before  # serve made one key, not one per worker
        (old,) = before
        rotated = subprocess.run(
            [AUTHGATE, "keys", "rotate", "--json"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        new = json.loads(rotated.stdout)["kid"]
        assert new != old
        deadline = time.monotonic() + 2.5
        in_a_row = 0
        while in_a_row < IN_A_ROW:
            kids = published(server.url)
            in_a_row = in_a_row + 1 if kids == {old, new} else 0
            assert kids <= {old, new}, kids
            assert time.monotonic() < deadline, f"after 2.5 s a worker still published {kids}"
            if in_a_row == 0:
                time.sleep(0.05)
    finally:
        server.kill(signal.SIGTERM)
