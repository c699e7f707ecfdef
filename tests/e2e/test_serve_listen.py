"""``authgate serve`` announces itself only once it listens, and says so when it cannot."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from tests.e2e.raw_http import LoggedServer
from tests.e2e.test_server_process import AUTHGATE, clean_env

pytestmark = pytest.mark.e2e


def serve(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``authgate serve`` that is expected to stop by itself."""
    return subprocess.run(
        [AUTHGATE, "serve", *args],
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_port_in_use_is_its_own_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = serve(tmp_path, "--port", str(port))
    assert r.returncode == 4, (r.stdout, r.stderr)
    assert f"cannot listen on 127.0.0.1:{port}: address already in use" in r.stderr
    assert "serving on" not in r.stdout + r.stderr
    assert "Traceback" not in r.stderr


def test_serving_on_is_printed_once_it_listens(tmp_path: Path) -> None:
    server = LoggedServer(tmp_path)
    output = server.stop()
    assert output.count(f"authgate serving on {server.url}") == 1, output


def test_forwarded_allow_ips_option_is_validated(tmp_path: Path) -> None:
    r = serve(tmp_path, "--port", "1", "--forwarded-allow-ips", "127.0.0.1,proxy.local")
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "forwarded_allow_ips" in r.stderr and "'proxy.local'" in r.stderr
