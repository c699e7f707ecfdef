"""The settings of the grants a server offers and of lifetimes (``grant_types``,
``client_base_grants``, ``default_refresh_policy``, ``access_token_lifetime = 0``), and
what ``authgate client create``/``update`` make of them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from authgate.domain import GRANT_TYPES, TOKEN_EXCHANGE
from authgate.settings import Settings, SettingsError, load_settings
from tests.test_cli import SECRET_KEY, Cli, make_cli, ok

CB = "https://app.example.com/callback"
CODE_AND_REFRESH = json.dumps(["authorization_code", "refresh_token"])


@pytest.fixture
def cli(database_url: str) -> Cli:
    return make_cli({"AUTHGATE_DATABASE_URL": database_url, "AUTHGATE_SECRET_KEY": SECRET_KEY})


def offering(grants: list[str], **more: str) -> dict[str, str | None]:
    return {"AUTHGATE_GRANT_TYPES": json.dumps(grants), **more}


# ---------------------------------------------------------------------------- settings


def test_the_defaults_offer_every_grant_and_keep_todays_clients() -> None:
    settings = Settings()
    assert settings.grant_types == list(GRANT_TYPES)
    assert settings.client_base_grants == []
    assert settings.default_refresh_policy == "rotate"


def test_grant_settings_take_the_short_name_of_token_exchange() -> None:
    settings = Settings(grant_types=["token-exchange", "password", "password"])
    assert settings.grant_types == [TOKEN_EXCHANGE, "password"]
    assert Settings(client_base_grants=["token-exchange"]).client_base_grants == [TOKEN_EXCHANGE]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        pytest.param(
            {"AUTHGATE_GRANT_TYPES": '["magic"]'},
            "grant_types (TOML key 'grant_types' or AUTHGATE_GRANT_TYPES): Value error, "
            "unknown grant type 'magic'; choose from authorization_code, client_credentials, "
            "password, refresh_token, implicit, token-exchange",
            id="unknown",
        ),
        pytest.param(
            {"AUTHGATE_GRANT_TYPES": "[]"},
            "grant_types (TOML key 'grant_types' or AUTHGATE_GRANT_TYPES): Value error, "
            "the server must offer at least one grant",
            id="none",
        ),
        pytest.param(
            {
                "AUTHGATE_GRANT_TYPES": CODE_AND_REFRESH,
                "AUTHGATE_CLIENT_BASE_GRANTS": '["password"]',
            },
            "client_base_grants (TOML key 'client_base_grants' or AUTHGATE_CLIENT_BASE_GRANTS): "
            "Value error, password is not offered: add it to grant_types (now "
            "authorization_code, refresh_token)",
            id="base-not-offered",
        ),
        pytest.param(
            {"AUTHGATE_CLIENT_BASE_GRANTS": '["implicit"]'},
            "implicit cannot be a base grant: it needs the redirect URIs a client is "
            "registered with",
            id="base-implicit",
        ),
        pytest.param(
            {"AUTHGATE_CLIENT_BASE_GRANTS": '["refresh_token"]'},
            "refresh_token cannot be a base grant",
            id="base-refresh",
        ),
        pytest.param(
            {"AUTHGATE_DEFAULT_REFRESH_POLICY": "sometimes"},
            "default_refresh_policy (TOML key 'default_refresh_policy' or "
            "AUTHGATE_DEFAULT_REFRESH_POLICY): Input should be 'rotate' or 'none'",
            id="refresh-policy",
        ),
        pytest.param(
            {"AUTHGATE_ACCESS_TOKEN_LIFETIME": "0", "AUTHGATE_ACCESS_TOKEN_FORMAT": "jwt"},
            "access_token_format (TOML key 'access_token_format' or "
            "AUTHGATE_ACCESS_TOKEN_FORMAT): Value error, JWT access tokens must expire "
            "(RFC 9068 §2.2): set access_token_lifetime to seconds, or keep opaque tokens "
            "with access_token_lifetime = 0 (never)",
            id="jwt-never-rfc9068-2-2",
        ),
    ],
)
def test_bad_grant_and_lifetime_settings_are_one_clear_error(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert message in str(caught.value)


def test_access_token_lifetime_zero_means_never() -> None:
    assert Settings(access_token_lifetime=0).access_token_lifetime == 0
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        Settings(access_token_lifetime=-1)


# ---------------------------------------------------------------------------- client create


def test_create_refuses_a_grant_the_server_does_not_offer(cli: Cli) -> None:
    env = offering(["authorization_code", "refresh_token"])
    out = cli("client", "create", "--name", "X", "--grant", "password", extra_env=env)
    assert out.exit_code == 1
    assert out.error == (
        "this server does not offer the password grant; it offers authorization_code, "
        "refresh_token (setting grant_types)"
    )
    out = cli("client", "create", "--name", "X", "--grant", "token-exchange", extra_env=env)
    assert "does not offer the token-exchange grant" in out.error


def test_create_does_not_add_refresh_token_when_it_is_not_offered(cli: Cli) -> None:
    env = offering(["password", "client_credentials"])
    data = ok(
        cli("client", "create", "--name", "App", "--grant", "password", "--json", extra_env=env)
    )
    assert data["grant_types"] == ["password"]
    assert data["refresh_policy"] == "rotate"


def test_update_refuses_a_grant_the_server_does_not_offer_but_keeps_old_ones(cli: Cli) -> None:
    """A client registered with a grant the server has stopped offering keeps it stored
    (it cannot use it) and can still be changed in other ways."""
    created = ok(cli("client", "create", "--name", "Old", "--grant", "password", "--json"))
    cid = created["client_id"]
    env = offering(["client_credentials", "refresh_token"])
    out = cli("client", "update", cid, "--grant", "password", extra_env=env)
    assert out.exit_code == 1
    assert out.error == (
        "this server does not offer the password grant; it offers client_credentials, "
        "refresh_token (setting grant_types)"
    )
    renamed = ok(cli("client", "update", cid, "--name", "Renamed", "--json", extra_env=env))
    assert renamed["grant_types"] == ["password", "refresh_token"]
    assert renamed["usable_grants"] == ["refresh_token"]
    off = ok(cli("client", "update", cid, "--refresh-policy", "none", "--json", extra_env=env))
    assert off["grant_types"] == ["password"]
    on = ok(cli("client", "update", cid, "--refresh-policy", "rotate", "--json", extra_env=env))
    assert on["grant_types"] == ["password", "refresh_token"]
    changed = ok(
        cli("client", "update", cid, "--grant", "client_credentials", "--json", extra_env=env)
    )
    assert changed["grant_types"] == ["client_credentials"]


def test_usable_grants_follow_the_base_grants_seed004(cli: Cli) -> None:
    """Seed 004: password "enabled by default for all registered applications", and the
    refresh-token flow with it; not for a client whose refresh policy is none."""
    base = {"AUTHGATE_CLIENT_BASE_GRANTS": '["password"]'}
    args = ("client", "create", "--grant", "client_credentials", "--json")
    rotating = ok(cli(*args, "--name", "A", extra_env=base))
    assert rotating["grant_types"] == ["client_credentials"]
    assert rotating["usable_grants"] == ["client_credentials", "password", "refresh_token"]
    none = ok(cli(*args, "--name", "B", "--refresh-policy", "none", extra_env=base))
    assert none["usable_grants"] == ["client_credentials", "password"]
    shown = ok(cli("client", "show", rotating["client_id"], "--json"))
    assert shown["usable_grants"] == ["client_credentials"]  # without the setting


# ---------------------------------------------------------------------------- refresh policy


@pytest.mark.parametrize(
    ("args", "env", "policy", "grants"),
    [
        pytest.param(
            (), {"AUTHGATE_DEFAULT_REFRESH_POLICY": "none"}, "none", ["password"], id="setting"
        ),
        pytest.param(
            ("--refresh-policy", "rotate"),
            {"AUTHGATE_DEFAULT_REFRESH_POLICY": "none"},
            "rotate",
            ["password", "refresh_token"],
            id="option-wins",
        ),
        pytest.param(("--refresh-policy", "none"), {}, "none", ["password"], id="option"),
    ],
)
def test_create_takes_the_default_refresh_policy_setting(
    cli: Cli, args: tuple[str, ...], env: dict[str, str], policy: str, grants: list[str]
) -> None:
    data = ok(
        cli(
            "client", "create", "--name", "P", "--grant", "password", *args, "--json", extra_env=env
        )
    )
    assert (data["refresh_policy"], data["grant_types"]) == (policy, grants)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--refresh-policy", "sometimes"), "--refresh-policy must be 'rotate' or 'none'"),
        (("--no-refresh", "--refresh-policy", "rotate"), "--no-refresh contradicts"),
    ],
)
def test_create_refresh_policy_mistakes_are_clear(
    cli: Cli, args: tuple[str, ...], message: str
) -> None:
    out = cli("client", "create", "--name", "P", "--grant", "password", *args)
    assert out.exit_code != 0
    assert message in out.error


# ---------------------------------------------------------------------------- lifetimes


def test_a_never_expiring_server_shows_never_and_refuses_jwt_clients_rfc9068_2_2(
    cli: Cli,
) -> None:
    never = {"AUTHGATE_ACCESS_TOKEN_LIFETIME": "0"}
    create = ("client", "create", "--name", "API", "--grant", "client_credentials")
    data = ok(cli(*create, "--json", extra_env=never))
    assert data["token_lifetime"] == "never"
    assert data["access_token_format"] == "opaque"
    out = cli(*create, "--access-token-format", "jwt", extra_env=never)
    assert out.exit_code == 1
    assert out.error == (
        "JWT access tokens must expire (the server's access_token_lifetime is 0: never): "
        "give the client a --token-lifetime in seconds, or keep opaque tokens"
    )
    jwt = ok(cli(*create, "--access-token-format", "jwt", "--token-lifetime", "60", "--json"))
    assert (jwt["access_token_format"], jwt["token_lifetime"]) == ("jwt", 60)


def test_a_jwt_client_under_a_server_that_became_never_expiring(cli: Cli) -> None:
    """Registered with jwt under an expiring default: once the server's tokens never expire,
    its tokens are opaque (RFC 9068 §2.2), it can still be renamed, and making it jwt again
    needs a lifetime of its own."""
    created = ok(
        cli(
            "client",
            "create",
            *("--name", "API", "--grant", "client_credentials"),
            *("--access-token-format", "jwt", "--json"),
        )
    )
    cid = created["client_id"]
    never: dict[str, Any] = {"AUTHGATE_ACCESS_TOKEN_LIFETIME": "0"}
    shown = ok(cli("client", "show", cid, "--json", extra_env=never))
    assert (shown["token_lifetime"], shown["access_token_format"]) == ("never", "opaque")
    assert ok(cli("client", "update", cid, "--name", "B", "--json", extra_env=never))["name"] == "B"
    out = cli("client", "update", cid, "--access-token-format", "jwt", extra_env=never)
    assert out.exit_code == 1 and "must expire" in out.error
