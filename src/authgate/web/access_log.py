"""The access log without secrets: credentials in logged URLs are replaced by ``[redacted]``.

RFC 6750 §5.3: "Don't pass bearer tokens in page URLs" — clients still do, and redirect
URIs carry authorization codes (RFC 6749 §4.1.2), so the access log must not keep them.
"""

from __future__ import annotations

import copy
import logging
from typing import Any
from urllib.parse import unquote_plus

from uvicorn.config import LOGGING_CONFIG

from authgate.redaction import SECRET_PARAMETERS, is_secret_name

__all__ = ["SECRET_PARAMETERS", "RedactSecrets", "is_secret", "logging_config", "redact_url"]

REDACTED = "[redacted]"
MAX_NESTING = 3
#: Where uvicorn's access-log record keeps the path with its query string.
_PATH_ARG = 2


def is_secret(name: str) -> bool:
    """A query parameter's name (still URL-encoded) that names a credential."""
    return is_secret_name(unquote_plus(name))


def redact_url(path: str, depth: int = 0) -> str:
    """``path`` with the value of every secret query parameter replaced, and of every
    parameter whose value is itself a URL with one (the login page's ``next``, which
    holds the authorization request and its ``id_token_hint``). URLs nested deeper than
    :data:`MAX_NESTING` are replaced whole."""
    base, mark, query = path.partition("?")
    if not mark:
        return path
    pairs = query.split("&")
    for i, pair in enumerate(pairs):
        name, eq, value = pair.partition("=")
        if not eq:
            continue
        if is_secret(name):
            pairs[i] = f"{name}={REDACTED}"
        elif "%3f" in value.lower() or "?" in value:
            inner = unquote_plus(value)
            if depth >= MAX_NESTING or redact_url(inner, depth + 1) != inner:
                pairs[i] = f"{name}={REDACTED}"
    return f"{base}?{'&'.join(pairs)}"


class RedactSecrets(logging.Filter):
    """For the ``uvicorn.access`` logger, whose records are
    ``(client, method, path?query, http_version, status)``."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > _PATH_ARG:
            path = args[_PATH_ARG]
            if isinstance(path, str) and "?" in path:
                record.args = (*args[:_PATH_ARG], redact_url(path), *args[_PATH_ARG + 1 :])
        return True


def logging_config(log_format: str = "text") -> dict[str, Any]:
    """uvicorn's logging configuration, with :class:`RedactSecrets` on the access log,
    :class:`~authgate.logs.RedactText` on every other line, authgate's own loggers on
    uvicorn's handler, and with ``log_format="json"`` one JSON object per line
    (:class:`~authgate.logs.JsonFormatter`, with each request's id).

    uvicorn applies it in every worker process, before the app is loaded.
    """
    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {
        "redact_secrets": {"()": f"{__name__}.RedactSecrets"},
        "redact_text": {"()": "authgate.logs.RedactText"},
        "request_id": {"()": "authgate.logs.RequestIdFilter"},
    }
    config["loggers"]["uvicorn.access"]["filters"] = ["redact_secrets"]
    config["handlers"]["default"]["filters"] = ["redact_text", "request_id"]
    config["handlers"]["access"]["filters"] = ["request_id"]
    config["loggers"]["authgate"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    if log_format == "json":
        config["formatters"] = {"json": {"()": "authgate.logs.JsonFormatter"}}
        for handler in config["handlers"].values():
            handler["formatter"] = "json"
    return config
