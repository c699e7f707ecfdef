"""The gaps found when registering as a new user would, closed in the rules every entry
point shares (protocol/rules.py): each is one clear line and exit status 1."""

from __future__ import annotations

import pytest

from tests.test_cli import SECRET_KEY, Cli, make_cli, ok

CB = "https://app.example.com/callback"


@pytest.fixture
def cli(database_url: str) -> Cli:
    return make_cli({"AUTHGATE_DATABASE_URL": database_url, "AUTHGATE_SECRET_KEY": SECRET_KEY})


def refused(cli: Cli, *args: str, says: str) -> None:
    out = cli(*args)
    assert out.exit_code == 1, (out.stdout, out.stderr)
    assert "\n" not in out.error and says in out.error, out.error


def test_a_password_of_only_spaces_is_refused(cli: Cli) -> None:
    refused(
        cli, "user", "create", "--email", "a@example.com", "--password", " " * 12,
        says="the password must not be only spaces",
    )  # fmt: skip
    ok(cli("user", "create", "--email", "a@example.com", "--password", " pass phrase ", "--json"))


def test_a_client_whose_only_grant_is_refresh_token_is_refused(cli: Cli) -> None:
    refused(
        cli, "client", "create", "--name", "R", "--grant", "refresh_token",
        says="refresh_token is not a flow of its own",
    )  # fmt: skip
    created = ok(cli("client", "create", "--name", "C", "--grant", "client_credentials", "--json"))
    refused(
        cli, "client", "update", created["client_id"], "--grant", "refresh_token",
        says="refresh_token is not a flow of its own",
    )  # fmt: skip


@pytest.mark.parametrize("scope", ["", "   "])
def test_an_empty_scope_is_refused(cli: Cli, scope: str) -> None:
    refused(
        cli, "client", "create", "--name", "S", "--grant", "client_credentials", "--scope", scope,
        says="choose at least one scope",
    )  # fmt: skip
    created = ok(cli("client", "create", "--name", "S", "--grant", "client_credentials", "--json"))
    refused(cli, "client", "update", created["client_id"], "--scope", scope, says="at least one")


@pytest.mark.parametrize(
    "uri", ["myapp://callback", "ftp://files.example.com/cb", "mailto:me@example.com"]
)
def test_other_schemes_than_private_use_ones_are_refused(cli: Cli, uri: str) -> None:
    """RFC 8252 §7.1: a native app's scheme is a reverse domain name it controls."""
    refused(cli, "client", "create", "--name", "N", "--redirect-uri", uri, says="reverse")


def test_a_native_apps_private_use_scheme_is_kept(cli: Cli) -> None:
    created = ok(
        cli(
            "client", "create", "--name", "Native", "--public",
            "--redirect-uri", "com.example.app:/oauth2redirect", "--json",
        )
    )  # fmt: skip
    assert created["redirect_uris"] == ["com.example.app:/oauth2redirect"]


def test_an_implicit_only_client_must_be_public(cli: Cli) -> None:
    refused(
        cli, "client", "create", "--name", "SPA", "--grant", "implicit", "--redirect-uri", CB,
        says="register it as public (--public)",
    )  # fmt: skip
    public = ok(
        cli(
            "client", "create", "--name", "SPA", "--grant", "implicit", "--redirect-uri", CB,
            "--public", "--json",
        )
    )  # fmt: skip
    assert "client_secret" not in public
    web = ok(cli("client", "create", "--name", "Web", "--redirect-uri", CB, "--json"))
    refused(cli, "client", "update", web["client_id"], "--grant", "implicit", says="public")


def test_client_update_with_nothing_to_change_is_refused(cli: Cli) -> None:
    created = ok(cli("client", "create", "--name", "U", "--grant", "client_credentials", "--json"))
    refused(cli, "client", "update", created["client_id"], says="nothing to change")
    refused(cli, "client", "update", "no-such-client", says="nothing to change")


def test_what_an_app_tells_its_users_follows_the_portals_rules(cli: Cli) -> None:
    created = ok(
        cli(
            "client", "create", "--name", "Notes", "--grant", "client_credentials",
            "--description", "Shared notes", "--homepage", "https://notes.example.com/",
            "--logo-url", "/static/favicon.svg", "--privacy-url", "https://notes.example.com/p",
            "--json",
        )
    )  # fmt: skip
    assert (created["description"], created["homepage_url"], created["logo_url"]) == (
        "Shared notes",
        "https://notes.example.com/",
        "/static/favicon.svg",
    )
    plain = ok(
        cli("client", "create", "--name", "Plain", "--grant", "client_credentials", "--json")
    )
    assert "description" not in plain  # shown only when set
    refused(cli, "client", "update", created["client_id"], "--logo-url", "http://x.example/l.png",
            says="logo URL must be https://")  # fmt: skip
    refused(cli, "client", "update", created["client_id"], "--homepage", "javascript:alert(1)",
            says="homepage must start with https://")  # fmt: skip
    cleared = ok(cli("client", "update", created["client_id"], "--description", "", "--json"))
    assert "description" not in cleared
