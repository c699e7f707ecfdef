"""The access log keeps no credential that a URL carried (RFC 6750 §5.3, RFC 6749 §4.1.2)."""

from __future__ import annotations

import logging

import pytest

from authgate.web.access_log import SECRET_PARAMETERS, RedactSecrets, logging_config, redact_url


@pytest.mark.parametrize("name", sorted(SECRET_PARAMETERS))
def test_every_secret_parameter_is_redacted(name: str) -> None:
    assert redact_url(f"/p?a=1&{name}=SECRET&b=2") == f"/p?a=1&{name}=[redacted]&b=2"


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/api/me", "/api/me"),
        ("/api/me?", "/api/me?"),
        ("/cb?state=abc&scope=read", "/cb?state=abc&scope=read"),
        ("/cb?CODE=SECRET", "/cb?CODE=[redacted]"),
        ("/cb?access%5Ftoken=SECRET", "/cb?access%5Ftoken=[redacted]"),
        ("/cb?code=SECRET&code=SECRET2", "/cb?code=[redacted]&code=[redacted]"),
        ("/cb?code", "/cb?code"),
        ("/cb?codex=keep&xcode=keep", "/cb?codex=keep&xcode=keep"),
        ("/oauth/authorize?id_token_hint=eyJ.x.y", "/oauth/authorize?id_token_hint=[redacted]"),
        ("/x?logout_token=S&new_password=S", "/x?logout_token=[redacted]&new_password=[redacted]"),
        ("/x?token_type_hint=access_token", "/x?token_type_hint=access_token"),
        ("/x?subject_token_type=urn:x&requested_token_type=urn:y", None),
        ("/oauth/authorize?login_hint=ann%40example.com", "/oauth/authorize?login_hint=[redacted]"),
        (
            "/x?accessToken=S&api_secret_key=S",
            "/x?accessToken=[redacted]&api_secret_key=[redacted]",
        ),
        (
            "/x?PASSWD=S&user_pwd=S&mytoken=S",
            "/x?PASSWD=[redacted]&user_pwd=[redacted]&mytoken=[redacted]",
        ),
        ("/x?code_verifier=S&state=keep", "/x?code_verifier=[redacted]&state=keep"),
        ("/login?next=%2Fa%3Fstate%3Dx", "/login?next=%2Fa%3Fstate%3Dx"),
        ("/login?next=%2Fa%3Fid_token_hint%3DS%26x%3D1", "/login?next=[redacted]"),
        ("/login?next=/a?code=S", "/login?next=[redacted]"),
        ("/login?next=%2Fa%3Fn%3D%252Fb%253Fcode%253DS", "/login?next=[redacted]"),
    ],
)
def test_only_secret_values_change(path: str, logged: str | None) -> None:
    assert redact_url(path) == (path if logged is None else logged)


def test_nesting_is_bounded() -> None:
    """A URL nested in a URL thousands of times over neither recurses without end nor
    keeps what it hides."""
    path = "/login?" + "n=?" * 5000 + "code=S"
    assert "S" not in redact_url(path).removeprefix("/login?")
    assert redact_url("/a?next=?x=?y=?z=1") == "/a?next=?x=?y=?z=1"
    assert redact_url("/a?next=?v=?w=?x=?y=1") == "/a?next=[redacted]"


def access_record(path: str) -> logging.LogRecord:
    return logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", path, "1.1", 400),
        None,
    )


def test_filter_rewrites_the_path_of_uvicorn_access_records() -> None:
    record = access_record("/api/me?access_token=SECRET")
    assert RedactSecrets().filter(record)
    logged = '127.0.0.1:5000 - "GET /api/me?access_token=[redacted] HTTP/1.1" 400'
    assert record.getMessage() == logged


def test_uvicorn_logging_config_puts_the_filter_on_the_access_log() -> None:
    config = logging_config()
    names = config["loggers"]["uvicorn.access"]["filters"]
    factories = {config["filters"][name]["()"] for name in names}
    assert factories == {f"{RedactSecrets.__module__}.RedactSecrets"}
