"""What every log line shares: the request id, one JSON object per line when asked, and no
credential in any line.

The web edge sets :data:`REQUEST_ID` for each HTTP request (the client's sane
``X-Request-Id``, or a new one) before anything else runs; log records and audit events
made while the request is served carry it. :class:`JsonFormatter` writes each record as one
JSON object (``log_format = "json"``); :class:`RedactText` takes credentials out of the
messages of every logger but the access log, whose URLs ``web/access_log.py`` redacts.
"""

from __future__ import annotations

import json
import logging
import re
import time
from contextvars import ContextVar
from typing import Any

from authgate.redaction import is_secret_name

#: the id of the HTTP request being served in this task, if any
REQUEST_ID: ContextVar[str | None] = ContextVar("authgate_request_id", default=None)
REDACTED = "[redacted]"

#: ``name=value`` (a query string, a form, a message's own) and ``Bearer <token>``
_ASSIGNMENT = re.compile(r"([A-Za-z0-9_.\-]+)=([^\s&\"',;]+)")
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=\-]{8,}")


def redact_text(text: str) -> str:
    """``text`` with the value of every credential-named assignment and every
    bearer token replaced by ``[redacted]``."""
    if "=" in text:
        text = _ASSIGNMENT.sub(
            lambda m: f"{m.group(1)}={REDACTED}" if is_secret_name(m.group(1)) else m.group(0),
            text,
        )
    if "earer" in text or "EARER" in text:
        text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    return text


class RedactText(logging.Filter):
    """For every handler but the access log's: the formatted message, redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact_text(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class RequestIdFilter(logging.Filter):
    """Gives every record the request id of the request it was logged in (or ``-``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get() or "-"
        return True


#: uvicorn's access records: ``(client, method, path?query, http_version, status)``
_ACCESS_FIELDS = ("client", "method", "path", "http_version", "status")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601 with milliseconds), level, logger,
    message, request_id; the access log's fields (client, method, path, status) as their
    own keys; an exception's type and traceback as ``exception``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id and request_id != "-":
            entry["request_id"] = request_id
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
            entry.update(zip(_ACCESS_FIELDS, args, strict=True))
        if record.exc_info:
            entry["exception"] = redact_text(self.formatException(record.exc_info))
        return json.dumps(entry, default=str, ensure_ascii=False)
