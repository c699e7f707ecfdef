"""``log_format = "json"``: a real ``authgate serve`` writes one JSON object per line, each
access line with the request id its response carried, and no credential anywhere."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.e2e.raw_http import LoggedServer

pytestmark = pytest.mark.e2e
SECRET = "S3CR3T-json-never-logged"


def test_every_line_is_json_with_request_ids_and_no_secrets(tmp_path: Path) -> None:
    server = LoggedServer(tmp_path, AUTHGATE_LOG_FORMAT="json")
    try:
        since = server.mark()
        with httpx.Client(base_url=server.url) as http:
            sent = http.get("/api/ping", headers={"X-Request-Id": "probe-42"})
            assert sent.headers["x-request-id"] == "probe-42"
            made = http.get(f"/demo/callback?code={SECRET}&state=x")
            for path in (
                f"/api/me?access_token={SECRET}",
                f"/oauth/authorize?client_id=x&login_hint={SECRET}&id_token_hint={SECRET}",
                f"/oauth/token?client_secret={SECRET}&refresh_token={SECRET}",
                f"/x?accessToken={SECRET}&my_password={SECRET}",
            ):
                http.get(path)
        output = server.settled_output(since)
    finally:
        everything = server.stop()
    assert SECRET not in everything
    lines = [json.loads(line) for line in everything.splitlines() if line.strip()]
    assert any(e["message"].startswith("authgate serving on") for e in lines)
    access = [json.loads(line) for line in output.splitlines() if '"uvicorn.access"' in line]
    assert len(access) == 6, output
    assert access[0]["request_id"] == "probe-42" and access[0]["path"] == "/api/ping"
    assert access[1]["request_id"] == made.headers["x-request-id"]
    assert access[1]["path"] == "/demo/callback?code=[redacted]&state=x"
    assert all(e["status"] in (200, 400, 401, 404) for e in access)
