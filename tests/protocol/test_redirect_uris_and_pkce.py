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


LOOPBACK = "http://127.0.0.1/callback"


@pytest.mark.parametrize(
    "requested",
    [
        pytest.param("http://evil.com@127.0.0.1:9000/callback", id="userinfo"),
        pytest.param("http://evil.com:x@127.0.0.1:9000/callback", id="userinfo-password"),
        pytest.param("http://127.0.0.1:9000/callback#frag", id="fragment"),
        pytest.param("http://127.0.0.1:9000/callback#", id="empty-fragment"),
        pytest.param("http://127.0.0.1:abc/callback", id="non-numeric-port"),
        pytest.param("http://127.0.0.1:9000:9001/callback", id="doubled-port"),
        pytest.param("http://127.0.0.1:+80/callback", id="signed-port"),
        pytest.param("http://127.0.0.1:\u0663/callback", id="unicode-digit-port"),
        pytest.param("http://127.0.0.1:99999/callback", id="port-out-of-range"),
        pytest.param("http://127.0.0.1:/callback", id="empty-port"),
        pytest.param("http://127.0.0.1:9000/call\tback", id="tab-in-path"),
        pytest.param("http://127.0.0.1:90\t00/callback", id="tab-in-port"),
        pytest.param("\thttp://127.0.0.1:9000/callback", id="leading-tab"),
        pytest.param("http://127.0.0.1:9000/callback\n", id="trailing-newline"),
        pytest.param("http://127.0.0.1:9000/callback?x=1", id="other-query"),
        pytest.param("http://127.0.0.1:9000/Callback", id="other-path"),
        pytest.param("http://127.0.0.2:9000/callback", id="other-host"),
        pytest.param("http://[::1]:9000/callback", id="other-loopback-host"),
        pytest.param("https://127.0.0.1:9000/callback", id="other-scheme"),
    ],
)
@pytest.mark.parametrize("rule", ["exact", "host_and_path"])
def test_loopback_requests_differ_only_in_a_numeric_port_rfc8252_7_3(
    requested: str, rule: str
) -> None:
    if rule == "host_and_path" and requested.endswith("?x=1"):
        assert redirect_uri_matches(requested, LOOPBACK, rule)  # the query may differ
        return
    assert not redirect_uri_matches(requested, LOOPBACK, rule)


@pytest.mark.parametrize(
    "requested",
    [
        "http://evil.com@127.0.0.1:9000/callback",
        "http://127.0.0.1:9000/callback#frag",
        "http://127.0.0.1:abc/callback",
        "http://127.0.0.1:9000:9001/callback",
        "http://127.0.0.1:9000/call\tback",
    ],
)
def test_requested_uris_fail_registration_validation_too(requested: str) -> None:
    with pytest.raises(InvalidRequest):
        validate_redirect_uri(requested)


@pytest.mark.parametrize(
    "requested",
    ["http://127.0.0.1:9000/callback", "http://127.0.0.1:1/callback", "http://127.0.0.1/callback"],
)
def test_loopback_port_may_vary(requested: str) -> None:
    assert redirect_uri_matches(requested, LOOPBACK, "exact")
    assert redirect_uri_matches(requested, "http://127.0.0.1:8000/callback", "exact")


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
