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

#: Query parameters whose values are credentials (RFC 6749, 6750, 7521, 7636, 8693, OIDC),
#: the password grant's ``username`` (RFC 6749 §4.3.2), which names the account the
#: password beside it opens (a token URL may carry both: ``token_params_in_query``), and
#: OpenID Connect's ``login_hint`` (Core §3.1.2.1), an e-mail address more often than not.
SECRET_PARAMETERS = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "token",
        "code",
        "client_secret",
        "password",
        "username",
        "code_verifier",
        "csrf_token",
        "assertion",
        "client_assertion",
        "subject_token",
        "actor_token",
        "id_token_hint",
        "login_hint",
        "email",
    }
)
#: Names that contain these are taken for credentials too (``logout_token``,
#: ``new_password``, ``x-api-secret``, ``accessToken``, ``pwd``) ...
SECRET_PARTS = ("token", "secret", "password", "passwd", "pwd")
#: ... except the parameters that only name a kind of token (RFC 7009 §2.1, RFC 8693 §2.1,
#: RFC 6749 §5.1), whose values are fixed words or URNs that help to read a log.
TOKEN_KINDS = frozenset(
    {
        "token_type_hint",
        "token_type",
        "subject_token_type",
        "actor_token_type",
        "requested_token_type",
        "issued_token_type",
    }
)
REDACTED = "[redacted]"
MAX_NESTING = 3
#: Where uvicorn's access-log record keeps the path with its query string.
_PATH_ARG = 2


def is_secret(name: str) -> bool:
    name = unquote_plus(name).strip().lower()
    if name in SECRET_PARAMETERS:
        return True
    return name not in TOKEN_KINDS and any(part in name for part in SECRET_PARTS)


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


def logging_config() -> dict[str, Any]:
    """uvicorn's logging configuration, with :class:`RedactSecrets` on the access log.

    uvicorn applies it in every worker process, before the app is loaded.
    """
    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact_secrets": {"()": f"{__name__}.RedactSecrets"}}
    config["loggers"]["uvicorn.access"]["filters"] = ["redact_secrets"]
    return config
