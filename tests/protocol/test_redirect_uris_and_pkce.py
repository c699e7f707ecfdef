"""Pure protocol rules: redirect URI registration and matching, PKCE (no HTTP, no SQL)."""

from __future__ import annotations

import pytest

from authgate.errors import InvalidGrant, InvalidRequest
from authgate.protocol import pkce
from authgate.protocol.redirect_uris import redirect_uri_matches, validate_redirect_uri


@pytest.mark.parametrize(
    "uri",
    [
        "https://app.example.com/cb#frag",
        "javascript:alert(1)",
        "data:text/html,hi",
        "http://app.example.com/cb",
        "/relative/cb",
        "https://user:pw@app.example.com/cb",
        "https:///nohost",
        "https://app.example.com/c b",
    ],
)
def test_registration_rejects_unsafe_redirect_uris_rfc6749_3_1_2(uri: str) -> None:
    with pytest.raises(InvalidRequest):
        validate_redirect_uri(uri)


@pytest.mark.parametrize(
    "uri",
    [
        "https://app.example.com/cb",
        "http://127.0.0.1/cb",
        "http://[::1]:8080/cb",
        "com.example.app:/oauth",
    ],
)
def test_registration_accepts_https_loopback_and_native_schemes(uri: str) -> None:
    assert validate_redirect_uri(uri) == uri


@pytest.mark.parametrize(
    ("requested", "registered", "rule", "ok"),
    [
        ("https://a.example/cb", "https://a.example/cb", "exact", True),
        ("https://a.example/cb?x=1", "https://a.example/cb", "exact", False),
        ("https://a.example/cb?x=1", "https://a.example/cb", "host_and_path", True),
        ("https://a.example/cb2", "https://a.example/cb", "host_and_path", False),
        ("https://b.example/cb", "https://a.example/cb", "host_and_path", False),
        ("https://a.example:444/cb", "https://a.example/cb", "host_and_path", False),
        ("http://127.0.0.1:9999/cb", "http://127.0.0.1/cb", "exact", True),
        ("http://[::1]:9999/cb", "http://[::1]:8000/cb", "exact", True),
        ("http://127.0.0.1:9999/other", "http://127.0.0.1/cb", "exact", False),
        ("http://localhost:9999/cb", "http://localhost/cb", "exact", False),
    ],
)
def test_redirect_uri_matching(requested: str, registered: str, rule: str, ok: bool) -> None:
    assert redirect_uri_matches(requested, registered, rule) is ok


def test_s256_matches_rfc7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce.s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    pkce.verify(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "S256")
    with pytest.raises(InvalidGrant):
        pkce.verify(verifier[:-1] + "J", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "S256")


def test_challenge_method_defaults_to_plain_which_is_off_by_default_rfc7636_4_3() -> None:
    with pytest.raises(InvalidRequest):
        pkce.check_challenge("a" * 43, None, allow_plain=False)
    assert pkce.check_challenge("a" * 43, None, allow_plain=True) == "plain"
    with pytest.raises(InvalidRequest):
        pkce.check_challenge(None, "S256", allow_plain=False)


@pytest.mark.parametrize("value", ["٣", "9" * 5000, "-5", "1.5", "0", str(11 * 365 * 24 * 3600)])
def test_token_lifetime_rejects_non_ascii_huge_and_out_of_range(value: str) -> None:
    from authgate.protocol.registration import RegistrationError, parse_lifetime

    with pytest.raises(RegistrationError) as caught:
        parse_lifetime(value)
    assert len(caught.value.description) < 120


def test_token_lifetime_accepts_seconds_and_never() -> None:
    from authgate.protocol.registration import parse_lifetime

    assert parse_lifetime("7200") == 7200
    assert parse_lifetime("never") == 0
    assert parse_lifetime(None) is None
