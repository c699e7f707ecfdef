"""The settings of refresh policies and lifetimes (``default_refresh_policy``,
``access_token_lifetime = 0``), and what ``authgate client create``/``update`` make of
them."""

from __future__ import annotations

from typing import Any

import pytest

from authgate.settings import Settings, SettingsError, load_settings
from tests.test_cli import SECRET_KEY, Cli, make_cli, ok


@pytest.fixture
def cli(database_url: str) -> Cli:
    return make_cli({"AUTHGATE_DATABASE_URL": database_url, "AUTHGATE_SECRET_KEY": SECRET_KEY})


# ---------------------------------------------------------------------------- settings


@pytest.mark.parametrize(
    ("env", "message"),
    [
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
def test_bad_refresh_and_lifetime_settings_are_one_clear_error(
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
