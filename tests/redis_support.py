"""Redis for tests: ``AUTHGATE_TEST_REDIS_URL`` (``.ci/run`` sets it) selects the database.
When it is set, an unreachable server fails the test."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

REDIS_URL = os.environ.get("AUTHGATE_TEST_REDIS_URL")


def redis_url_or_skip() -> str:
    """The test Redis database; tests give their counters a namespace of their own."""
    if not REDIS_URL:
        pytest.skip("Redis runs need AUTHGATE_TEST_REDIS_URL (set by .ci/run)")
    return REDIS_URL


def fresh_namespace() -> str:
    """A Redis key namespace no other test (or concurrent test run) uses."""
    return f"authgate-test-{os.getpid()}-{secrets.token_hex(4)}"


class RedisServer:
    """A ``redis-server`` of the test's own on a free port, to stop (as in an outage) and
    start again on the same port. Needs the ``redis-server`` binary, which ``.ci/run``
    uses too: without it the test is skipped, or fails when CI asked for Redis."""

    def __init__(self, workdir: Path) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            if REDIS_URL:
                pytest.fail("redis-server is not installed, and AUTHGATE_TEST_REDIS_URL is set")
            pytest.skip("needs redis-server")
        self.workdir = workdir
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port: int = sock.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert self.binary is not None and self._proc is None
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
        self._proc = subprocess.Popen(
            [self.binary, *args, "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn,
            ):
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return
            time.sleep(0.02)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait(timeout=10)
            self._proc = None
