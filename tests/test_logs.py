"""Log lines: one JSON object each when asked, with the request id, and no credential in any
line, whichever logger wrote it."""

from __future__ import annotations

import json
import logging
import logging.config
import sys

import pytest

from authgate.logs import REQUEST_ID, JsonFormatter, RedactText, redact_text
from authgate.web.access_log import logging_config


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("refresh failed for refresh_token=1.abc", "refresh failed for refresh_token=[redacted]"),
        (
            "password=hunter2 and client_secret=s3",
            "password=[redacted] and client_secret=[redacted]",
        ),
        ("GET /cb?code=S&state=x", "GET /cb?code=[redacted]&state=x"),
        ("Authorization: Bearer 1.abcdefghijkl", "Authorization: Bearer [redacted]"),
        ("token_type_hint=refresh_token scope=read", "token_type_hint=refresh_token scope=read"),
        ("login_hint=ann@example.com", "login_hint=[redacted]"),
        ("nothing to see", "nothing to see"),
    ],
)
def test_redact_text(text: str, shown: str) -> None:
    assert redact_text(text) == shown


def record(msg: str, *args: object, name: str = "authgate", exc: bool = False) -> logging.LogRecord:
    info = None
    if exc:
        try:
            raise ValueError("bad code=SECRET")
        except ValueError:
            info = sys.exc_info()
    return logging.LogRecord(name, logging.WARNING, __file__, 1, msg, args or None, info)


def test_json_lines_carry_the_request_id_and_the_access_fields() -> None:
    reset = REQUEST_ID.set("rid-1")
    try:
        line = JsonFormatter().format(
            logging.LogRecord(
                "uvicorn.access",
                logging.INFO,
                __file__,
                1,
                '%s - "%s %s HTTP/%s" %d',
                ("127.0.0.1:5000", "GET", "/api/me", "1.1", 200),
                None,
            )
        )
    finally:
        REQUEST_ID.reset(reset)
    entry = json.loads(line)
    assert entry["request_id"] == "rid-1" and entry["logger"] == "uvicorn.access"
    assert (entry["client"], entry["method"], entry["path"], entry["status"]) == (
        "127.0.0.1:5000",
        "GET",
        "/api/me",
        200,
    )
    assert entry["level"] == "info" and entry["time"].endswith("Z")
    assert entry["message"] == '127.0.0.1:5000 - "GET /api/me HTTP/1.1" 200'


def test_json_exceptions_are_one_line_and_redacted() -> None:
    entry = json.loads(JsonFormatter().format(record("failed", exc=True)))
    assert "ValueError" in entry["exception"] and "SECRET" not in entry["exception"]
    assert "request_id" not in entry


def test_the_text_filter_redacts_formatted_messages() -> None:
    r = record("token %s for %s", "refresh_token=1.x", "ann")
    assert RedactText().filter(r)
    assert r.getMessage() == "token refresh_token=[redacted] for ann"


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_the_configuration_loads_and_covers_authgate_loggers(
    log_format: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = logging_config(log_format)
    assert config["loggers"]["authgate"]["handlers"] == ["default"]
    logging.config.dictConfig(config)
    try:
        logging.getLogger("authgate.audit").warning("lost password=%s", "hunter2")
        err = capsys.readouterr().err
    finally:
        logging.config.dictConfig({"version": 1, "disable_existing_loggers": False})
        for name in ("authgate", "uvicorn", "uvicorn.access", "uvicorn.error"):
            logger = logging.getLogger(name)
            logger.handlers.clear()
            logger.propagate = True
    assert "hunter2" not in err and "password=[redacted]" in err
    if log_format == "json":
        assert json.loads(err)["logger"] == "authgate.audit"
