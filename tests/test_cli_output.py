"""What the ``authgate`` command prints reads like a finished tool: help without internal
type labels, aligned tables, readable times, and every error in one style."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from authgate.cli import app
from tests.test_cli import AUTHGATE, SECRET_KEY, Cli, command_paths, make_cli, ok

ALL_GRANTS = ["authorization_code", "client_credentials", "password", "refresh_token"]


@pytest.fixture
def cli(database_url: str) -> Cli:
    return make_cli({"AUTHGATE_DATABASE_URL": database_url, "AUTHGATE_SECRET_KEY": SECRET_KEY})


def help_of(*path: str) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(("authgate", *p)))
def test_help_shows_no_internal_type_labels(path: tuple[str, ...]) -> None:
    text = help_of(*path)
    assert not re.search(r"<[a-z][^>]*>", text), text  # <bool>, <str>, <list[str]>, <file>
    assert "╭" not in text
    assert "--help  " in text or "--help\n" in text


def test_help_names_option_values_by_what_they_are() -> None:
    create = help_of("client", "create")
    for shown in ("--name TEXT", "--redirect-uri URI", "--grant GRANT", "--scope TEXT"):
        assert shown in create
    assert re.search(r"^\s+--json\s{2,}Print", create, re.MULTILINE), create
    assert re.search(r"^\s+--public\s{2,}A public", create, re.MULTILINE), create
    assert "--config FILE" in help_of("client", "list")
    assert "CLIENT_ID" in help_of("client", "show")
    assert "--port PORT" in help_of("serve")


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(("authgate", *p)))
def test_help_claims_no_openid_connect(path: tuple[str, ...]) -> None:
    """OpenID Connect is not implemented yet: no help text may say it is."""
    assert "openid" not in help_of(*path).lower()


@pytest.mark.parametrize(
    ("args", "named", "command"),
    [
        (["client", "create"], "'--name'", "authgate client create"),
        (["client", "frobnicate"], "'frobnicate'", "authgate client"),
        (["client", "show"], "'CLIENT_ID'", "authgate client show"),
        (["serve", "--port", "http"], "'--port'", "authgate serve"),
        (["client", "list", "--config", "/nonexistent.toml"], "'--config'", "authgate client list"),
        (["client", "list", "--colour"], "--colour", "authgate client list"),
        # click's parser raises this one without naming the command: the hint is general.
        (["user", "create", "--email"], "'--email'", "authgate"),
    ],
    ids=[
        "missing-option",
        "unknown-command",
        "missing-argument",
        "bad-value",
        "no-file",
        "unknown-option",
        "no-value",
    ],
)
def test_usage_errors_are_one_line_in_the_common_style(
    cli: Cli, args: list[str], named: str, command: str
) -> None:
    """Click's own usage errors look like authgate's: ``authgate: error: ...`` and a hint."""
    out = cli(*args)
    assert out.exit_code == 2
    first, *rest = out.error.splitlines()
    assert named in first
    assert rest == [f"Try '{command} --help'."]
    assert "Usage:" not in out.stderr and "╭" not in out.stderr


def test_the_installed_script_prints_usage_errors_in_the_common_style() -> None:
    result = subprocess.run(
        [str(AUTHGATE), "client", "create"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "authgate: error: Missing option '--name'.\nTry 'authgate client create --help'.\n"
    )


def test_client_list_columns_fit_their_longest_value(cli: Cli) -> None:
    short = ok(cli("client", "create", "--name", "S", "--grant", "password", "--json"))
    long = ok(
        cli(
            "client",
            "create",
            "--name",
            "Long",
            "--redirect-uri",
            "https://a.example/cb",
            *[arg for g in ALL_GRANTS for arg in ("--grant", g)],
            "--json",
        )
    )
    lines = cli("client", "list").stdout.splitlines()
    assert lines[0].split() == ["CLIENT", "ID", "TYPE", "GRANTS", "CREATED", "NAME"]
    name_at = lines[0].index("NAME")
    rows = {line[name_at:]: line for line in lines[1:]}
    assert set(rows) == {"S", "Long"}, lines  # every NAME starts under the header
    grants_at = lines[0].index("GRANTS")
    assert rows["Long"][grants_at:].startswith(",".join(ALL_GRANTS) + " ")
    assert rows["S"].startswith(short["client_id"])
    assert rows["Long"].startswith(long["client_id"])


def test_times_are_shown_in_utc_and_json_keeps_the_number(cli: Cli) -> None:
    created = ok(cli("client", "create", "--name", "T", "--grant", "password", "--json"))
    assert isinstance(created["created_at"], int)
    shown = datetime.fromtimestamp(created["created_at"], UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$", shown)
    text = cli("client", "show", created["client_id"]).stdout
    assert re.search(rf"^created at\s+{shown}$", text, re.MULTILINE), text
    assert shown in cli("client", "list").stdout
    listed = ok(cli("client", "list", "--json"))["clients"]
    assert listed[0]["created_at"] == created["created_at"]
