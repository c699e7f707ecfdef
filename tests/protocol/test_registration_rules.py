"""The registration rules (protocol/rules.py) that the CLI, the portal and the account pages
share: each refusal names its form field and says what to do."""

from __future__ import annotations

import pytest

from authgate.domain import TOKEN_EXCHANGE
from authgate.protocol import rules
from authgate.protocol.rules import RegistrationError

CATALOG = {"read": "Read your data", "write": "Change your data"}


def refused(call: object, field: str, says: str) -> None:
    assert callable(call)
    with pytest.raises(RegistrationError) as caught:
        call()
    assert caught.value.field == field
    assert says in caught.value.description, caught.value.description


@pytest.mark.parametrize(
    "uri",
    [
        "https://app.example.com/cb",
        "http://127.0.0.1:51234/cb",
        "http://[::1]/cb",
        "http://localhost:3000/cb",
        "com.example.app:/oauth2redirect",
        "com.example.app://callback",
        "io.github.someone.tool:/cb",
    ],
)
def test_redirect_uris_that_may_be_registered(uri: str) -> None:
    assert rules.redirect_uri(uri) == uri


@pytest.mark.parametrize(
    ("uri", "says"),
    [
        ("https://app.example.com/cb#top", "fragment"),
        ("javascript:alert(1)", "not allowed"),
        ("JavaScript:alert(1)", "not allowed"),
        ("data:text/html,x", "not allowed"),
        ("http://app.example.com/cb", "https"),
        ("ftp://files.example.com/cb", "reverse"),
        ("myapp://callback", "reverse"),
        ("mailto:someone@example.com", "reverse"),
        ("ws://127.0.0.1/cb", "reverse"),
        ("intent://cb", "reverse"),
        ("https://user:pw@app.example.com/cb", "credentials"),
        ("/relative", "absolute"),
    ],
)
def test_redirect_uris_that_may_not(uri: str, says: str) -> None:
    """RFC 6749 §3.1.2, RFC 8252 §7.1 (private-use schemes are reverse domain names),
    RFC 9700 §2.1."""
    refused(lambda: rules.redirect_uri(uri), "redirect_uris", says)


def test_redirect_uri_lists_drop_blank_lines_and_repeats() -> None:
    uris = ["https://a.example/cb", "  ", "", "https://a.example/cb", "com.example.app:/cb"]
    assert rules.redirect_uris(uris) == ("https://a.example/cb", "com.example.app:/cb")


@pytest.mark.parametrize(
    ("grants", "public", "field", "says"),
    [
        (["refresh_token"], False, "grant_types", "not a flow of its own"),
        (["refresh_token"], True, "grant_types", "not a flow of its own"),
        (["client_credentials", "refresh_token"], False, "grant_types", "not a flow of its own"),
        (["implicit"], False, "client_type", "register it as public"),
        (["implicit", "refresh_token"], False, "grant_types", "not a flow of its own"),
        (["client_credentials"], True, "grant_types", "public client cannot"),
        ([], False, "grant_types", "at least one grant"),
    ],
)
def test_grant_combinations_that_are_refused(
    grants: list[str], public: bool, field: str, says: str
) -> None:
    refused(lambda: rules.grant_choice(grants, public=public), field, says)


@pytest.mark.parametrize(
    ("grants", "public"),
    [
        (["implicit"], True),
        (["implicit", "authorization_code"], False),
        (["authorization_code", "refresh_token"], True),
        (["password", "refresh_token"], False),
        (["token-exchange"], False),
        (["client_credentials"], False),
    ],
)
def test_grant_combinations_that_are_kept(grants: list[str], public: bool) -> None:
    chosen = rules.grant_choice(grants, public=public)
    assert TOKEN_EXCHANGE in chosen or "token-exchange" not in grants


def test_scopes_come_from_the_catalog_and_one_at_least() -> None:
    assert rules.scope_choice(["read"], CATALOG) == {"read"}
    refused(lambda: rules.scope_choice([], CATALOG), "scopes", "at least one scope")
    refused(lambda: rules.scope_choice(["delete"], CATALOG), "scopes", "unknown scope 'delete'")
    assert rules.scope_choice([], {}) == frozenset()  # a server with no catalog


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (" " * 8, "only spaces"),
        ("\t \u3000 \n   ", "only spaces"),
        ("short", "8 to 1024"),
        ("x" * 1025, "8 to 1024"),
        ("long \udcff enough", "UTF-8"),
    ],
)
def test_passwords_that_are_refused(value: str, says: str) -> None:
    refused(lambda: rules.password(value), "password", says)


def test_a_password_is_kept_exactly_as_typed() -> None:
    assert rules.password("  spaced out  ") == "  spaced out  "


@pytest.mark.parametrize(
    "value",
    ["no-at-sign", "@example.com", "ann@", "a b@example.com", "a\x00@example.com", "\udcff@x.y"],
)
def test_emails_that_are_refused(value: str) -> None:
    refused(lambda: rules.email(value), "email", "is not an e-mail address")


def test_names_and_descriptions() -> None:
    assert rules.client_name("  Acme Bot ") == "Acme Bot"
    refused(lambda: rules.client_name("   "), "name", "1 to 200")
    refused(lambda: rules.client_name("a\tb"), "name", "control characters")
    assert rules.description("  Line one\r\nline two ") == "Line one\nline two"
    assert rules.description("") is None
    refused(lambda: rules.description("d" * 1001), "description", "at most 1000")
    refused(lambda: rules.description("bell\x07"), "description", "control")
    assert rules.person_name("  Ann  ") == "Ann"
    refused(lambda: rules.person_name("n" * 201), "name", "at most 200")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://cdn.example.com/logo.png", "https://cdn.example.com/logo.png"),
        ("https://cdn.example.com:8443/l.svg", "https://cdn.example.com:8443/l.svg"),
        ("/static/logo.png", "/static/logo.png"),
        ("", None),
    ],
)
def test_logo_urls_that_are_kept(value: str, expected: str | None) -> None:
    assert rules.logo_url(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "http://cdn.example.com/logo.png",
        "http://127.0.0.1/logo.png",
        "https://[::1]/logo.png",
        "https://u:p@cdn.example.com/logo.png",
        "data:image/png;base64,AAAA",
        "javascript:alert(1)",
        "//cdn.example.com/logo.png",
        "/\\evil.example/logo.png",
        "https://cdn.example.com/" + "l" * 2000,
        "https://cdn.example.com/a b.png",
    ],
)
def test_logo_urls_that_are_refused(value: str) -> None:
    with pytest.raises(RegistrationError) as caught:
        rules.logo_url(value)
    assert caught.value.field == "logo_url"


def test_page_urls() -> None:
    assert rules.page_url("https://app.example.com/privacy", "privacy_url", "x") == (
        "https://app.example.com/privacy"
    )
    assert rules.page_url("http://127.0.0.1:3000/", "homepage_url", "x") == "http://127.0.0.1:3000/"
    assert rules.page_url("  ", "homepage_url", "x") is None
    for bad in ("http://app.example.com/", "javascript:alert(1)", "https://", "ftp://a.example"):
        refused(lambda bad=bad: rules.page_url(bad, "homepage_url", "homepage"), "homepage_url", "")
