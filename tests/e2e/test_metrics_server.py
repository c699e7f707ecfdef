"""``/metrics`` of a real ``authgate serve`` on its own port: with one worker, and with
several (prometheus-client's multiprocess mode), where any worker's answer counts every
worker's requests."""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.raw_http import LoggedServer
from tests.e2e.tcp_proxy import free_port
from tests.e2e.test_server_process import AUTHGATE, clean_env

pytestmark = pytest.mark.e2e


def samples(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = httpx.get(url, timeout=10)
    assert r.status_code == 200, r.text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def issued(found: dict[Any, float]) -> float:
    return found.get(("authgate_tokens_issued_total", (("grant_type", "client_credentials"),)), 0.0)


def make_client(tmp_path: Path) -> dict[str, Any]:
    subprocess.run([AUTHGATE, "db", "upgrade"], cwd=tmp_path, env=clean_env(), check=True)
    done = subprocess.run(
        [AUTHGATE, "client", "create", "--name", "M", "--grant", "client_credentials", "--json"],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    data: dict[str, Any] = json.loads(done.stdout)
    return data


@pytest.mark.parametrize("workers", [1, 2])
def test_metrics_count_every_workers_requests(tmp_path: Path, workers: int) -> None:
    client = make_client(tmp_path)
    before = set(Path(tempfile.gettempdir()).glob("authgate-metrics-*"))
    metrics_port = free_port()
    server = LoggedServer(
        tmp_path,
        "--workers",
        str(workers),
        AUTHGATE_METRICS_PORT=str(metrics_port),
        AUTHGATE_RATE_LIMITS_ENABLED="false",
    )
    url = f"http://127.0.0.1:{metrics_port}/metrics"
    try:
        assert f"metrics on http://127.0.0.1:{metrics_port}/metrics" in server.output()
        assert httpx.get(server.url + "/metrics").status_code == 404
        for _ in range(30):  # new connections: spread over the workers
            r = httpx.post(
                server.url + "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(client["client_id"], client["client_secret"]),
            )
            assert r.status_code == 200
        time.sleep(1.5)  # each worker adds its counts every second
        for _ in range(5):  # whichever worker answers
            found = samples(url)
            assert issued(found) == 30, found
        latency = ("authgate_http_request_duration_seconds_count", (("endpoint", "/oauth/token"),))
        assert found[latency] == 30
        if workers == 1:
            assert ("process_resident_memory_bytes", ()) in found
        assert httpx.get(f"http://127.0.0.1:{metrics_port}/readyz").status_code == 200
    finally:
        output = server.stop()
    assert "Traceback" not in output, output
    # The multiprocess directory is the server's own, and goes with it.
    assert set(Path(tempfile.gettempdir()).glob("authgate-metrics-*")) <= before
