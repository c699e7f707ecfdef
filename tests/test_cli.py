"""The ``authgate`` command: every command answers ``--help``, ``--json`` prints one JSON
object, and every mistake is a one-line error with a non-zero exit code, never a traceback.

Runs on SQLite and PostgreSQL (the ``database_url`` fixture); commands run in-process
through Typer's ``CliRunner``, and a few through the installed ``authgate`` script.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
from typer.testing import CliRunner

from authgate.cli import app
from authgate.crypto.tokens import CLIENT_ID_GENERATORS

SECRET_KEY = "cli-test-secret-key"
AUTHGATE = Path(sys.executable).with_name("authgate")


def command_paths() -> list[tuple[str, ...]]:
    """Every command and sub-command, found by walking the Click tree."""
    root = typer.main.get_command(app)
    found: list[tuple[str, ...]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        found.append(path)
        for name, sub in sorted(getattr(command, "commands", {}).items()):  # a group
            walk(sub, (*path, name))

    walk(root, ())
    return found


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    @property
    def error(self) -> str:
        """The error line: ``authgate: error: …``, alone on stderr."""
        assert self.exit_code != 0, self.stdout
        assert self.stdout == "", self.stdout
        assert self.stderr.startswith("authgate: error: "), self.stderr
        return self.stderr.removeprefix("authgate: error: ").strip()


Cli = Callable[..., Outcome]


def make_cli(env: dict[str, str]) -> Cli:
    runner = CliRunner()

    def run(*args: str, extra_env: dict[str, str | None] | None = None) -> Outcome:
        # --config and --profile set these in the process: each run starts without them
        full_env: dict[str, str | None] = {
            "AUTHGATE_CONFIG": None,
            "AUTHGATE_PROFILE": None,
            **env,
            **(extra_env or {}),
        }
        result = runner.invoke(app, list(args), env=full_env, catch_exceptions=True)
        output = result.stdout + result.stderr
        assert "Traceback" not in output, output
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"authgate {' '.join(args)} raised {result.exception!r}")
        return Outcome(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def cli_env(database_url: str) -> dict[str, str]:
    return {"AUTHGATE_DATABASE_URL": database_url, "AUTHGATE_SECRET_KEY": SECRET_KEY}


@pytest.fixture
def cli(cli_env: dict[str, str]) -> Cli:
    return make_cli(cli_env)


@pytest.fixture
def sqlite_cli(tmp_path: Path) -> Cli:
    """A fresh SQLite file, for tests about the database itself."""
    url = f"sqlite:///{tmp_path}/fresh/authgate.db"
    return make_cli({"AUTHGATE_DATABASE_URL": url, "AUTHGATE_SECRET_KEY": SECRET_KEY})


def ok(outcome: Outcome) -> Any:
    """The JSON an ``--json`` command printed: exactly one object, nothing else."""
    assert outcome.exit_code == 0, outcome.stderr
    data = outcome.json()  # the whole of stdout is one JSON document
    assert isinstance(data, dict)
    return data


def create_user(cli: Cli, email: str = "owner@example.com") -> Any:
    return ok(cli("user", "create", "--email", email, "--password", "long enough", "--json"))


# ---------------------------------------------------------------------------- help


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(("authgate", *p)))
def test_help_for_every_command(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.stdout
    assert " ".join(("authgate", *path)) in " ".join(result.stdout.split())
    assert "Traceback" not in result.output


def test_help_of_the_installed_script() -> None:
    result = subprocess.run(
        [str(AUTHGATE), "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout
    for command in ("serve", "db", "user", "client"):
        assert command in result.stdout


def test_expected_commands_exist() -> None:
    paths = {" ".join(p) for p in command_paths()}
    assert {
        "serve",
        "db upgrade",
        "db current",
        "user create",
        "user list",
        "user show",
        "user update",
        "user disable",
        "user enable",
        "user set-password",
        "user delete",
        "audit",
        "client create",
        "client list",
        "client show",
        "client update",
        "client rotate-secret",
        "client delete",
        "keys list",
        "keys rotate",
        "space create",
        "space list",
        "space show",
        "space add-member",
    } <= paths


# ---------------------------------------------------------------------------- users


def test_user_create_json(cli: Cli) -> None:
    data = create_user(cli, " Alice@Example.com ")
    assert data == {"id": data["id"], "email": "alice@example.com", "name": ""}
    assert isinstance(data["id"], int)


def test_user_create_text(cli: Cli) -> None:
    out = cli("user", "create", "--email", "bob@example.com", "--password", "long enough")
    assert out.exit_code == 0, out.stderr
    assert "bob@example.com" in out.stdout


@pytest.mark.parametrize("email", ["dup@example.com", "DUP@example.com"], ids=["same", "case"])
def test_user_create_duplicate_email_is_a_clear_error(cli: Cli, email: str) -> None:
    create_user(cli, "dup@example.com")
    out = cli("user", "create", "--email", email, "--password", "long enough", "--json")
    assert out.exit_code == 1
    assert "already exists" in out.error


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--email", "not-an-address"], "not an e-mail address", id="no-at"),
        pytest.param(["--email", "a b@example.com"], "not an e-mail address", id="space"),
        pytest.param(["--email", "x@" + "e" * 400], "not an e-mail address", id="too-long"),
        pytest.param(["--password", "short"], "8 to 1024", id="short-password"),
        pytest.param(["--name", "n" * 201], "200", id="long-name"),
    ],
)
def test_user_create_bad_values(cli: Cli, args: list[str], message: str) -> None:
    values = {"--email": "ok@example.com", "--password": "long enough"}
    values.update(dict(zip(args[::2], args[1::2], strict=True)))
    out = cli("user", "create", *[x for kv in values.items() for x in kv], "--json")
    assert out.exit_code == 1
    assert message in out.error


# ---------------------------------------------------------------------------- clients


def test_client_create_confidential_json(cli: Cli) -> None:
    data = ok(
        cli("client", "create", "--name", "Billing", "--grant", "client_credentials", "--json")
    )
    assert data["client_id"] and data["client_secret"]
    assert data["type"] == "confidential"
    assert data["grant_types"] == ["client_credentials"]
    assert data["scope"] == "read write"
    assert data["token_lifetime"] == 3600
    assert "test_access_token" not in data


def test_client_create_token_exchange_and_admin_scope(cli: Cli) -> None:
    """RFC 8693's grant by its short name; the admin scope only when asked for."""
    data = ok(cli("client", "create", "--name", "Spaces", "--grant", "token-exchange", "--json"))
    assert data["grant_types"] == ["urn:ietf:params:oauth:grant-type:token-exchange"]
    assert data["scope"] == "read write"
    args = ("--grant", "password", "--grant", "token-exchange", "--scope", "read admin")
    data = ok(cli("client", "create", "--name", "Admin tool", *args, "--json"))
    assert data["grant_types"] == [
        "password",
        "refresh_token",
        "urn:ietf:params:oauth:grant-type:token-exchange",
    ]
    assert data["scope"] == "admin read"
    out = cli("client", "create", "--name", "X", "--grant", "token_exchange")
    assert out.exit_code == 1
    assert out.error == (
        "unknown grant type 'token_exchange'; choose from authorization_code, "
        "client_credentials, password, refresh_token, implicit, token-exchange"
    )


def test_client_create_text_mentions_the_secret_once(cli: Cli) -> None:
    out = cli("client", "create", "--name", "Billing", "--grant", "client_credentials")
    assert out.exit_code == 0, out.stderr
    assert "client_secret" not in out.stdout  # text mode labels it "client secret"
    assert "shown only now" in out.stdout


def test_client_create_public_has_no_secret(cli: Cli) -> None:
    data = ok(
        cli(
            "client",
            "create",
            "--name",
            "Mobile",
            "--public",
            "--redirect-uri",
            "com.example.app:/cb",
            "--json",
        )
    )
    assert data["type"] == "public"
    assert "client_secret" not in data
    assert data["grant_types"] == ["authorization_code", "refresh_token"]
    assert data["redirect_uris"] == ["com.example.app:/cb"]


def test_public_client_cannot_use_client_credentials(cli: Cli) -> None:
    out = cli("client", "create", "--name", "X", "--public", "--grant", "client_credentials")
    assert out.exit_code == 1
    assert "client_credentials" in out.error


def test_owner_gets_a_test_token_that_show_repeats(cli: Cli) -> None:
    owner = create_user(cli)
    created = ok(
        cli(
            "client",
            "create",
            "--name",
            "Tool",
            "--grant",
            "client_credentials",
            "--owner",
            "owner@example.com",
            "--json",
        )
    )
    assert created["owner_id"] == owner["id"]
    token = created["test_access_token"]
    assert isinstance(token, str) and token
    shown = ok(cli("client", "show", created["client_id"], "--json"))
    assert shown["test_access_token"] == token
    assert "client_secret" not in shown
    assert {k: v for k, v in shown.items() if k != "test_access_token"} == {
        k: v for k, v in created.items() if k not in {"test_access_token", "client_secret"}
    }
    text = cli("client", "show", created["client_id"])
    assert text.exit_code == 0
    assert token in text.stdout


def test_unknown_owner_is_a_clear_error(cli: Cli) -> None:
    out = cli(
        "client", "create", "--name", "X", "--grant", "password", "--owner", "nobody@example.com"
    )
    assert out.exit_code == 1
    assert "nobody@example.com" in out.error


def test_client_list(cli: Cli) -> None:
    assert ok(cli("client", "list", "--json")) == {"clients": []}
    empty = cli("client", "list")
    assert empty.exit_code == 0 and "no clients yet" in empty.stdout
    a = ok(cli("client", "create", "--name", "A", "--grant", "client_credentials", "--json"))
    b = ok(cli("client", "create", "--name", "B", "--grant", "password", "--json"))
    listed = ok(cli("client", "list", "--json"))["clients"]
    assert {c["client_id"] for c in listed} == {a["client_id"], b["client_id"]}
    assert all("client_secret" not in c and "test_access_token" not in c for c in listed)
    text = cli("client", "list")
    assert a["client_id"] in text.stdout and b["client_id"] in text.stdout


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("never", "never", id="never"),
        pytest.param("NEVER", "never", id="never-upper"),
        pytest.param("60", 60, id="seconds"),
    ],
)
def test_token_lifetime(cli: Cli, value: str, expected: Any) -> None:
    data = ok(
        cli(
            "client",
            "create",
            "--name",
            "X",
            "--grant",
            "client_credentials",
            "--token-lifetime",
            value,
            "--json",
        )
    )
    assert data["token_lifetime"] == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("abc", id="word"),
        pytest.param("-5", id="negative"),
        pytest.param("0", id="zero"),
        pytest.param("1e3", id="exponent"),
        pytest.param("1.5", id="fraction"),
        pytest.param("", id="empty"),
        pytest.param("99999999999", id="over-ten-years"),
        pytest.param("9" * 5000, id="5000-digits"),
        pytest.param("\u0663", id="arabic-indic-three"),
        pytest.param("\uff16\uff10", id="fullwidth-sixty"),
    ],
)
def test_bad_token_lifetime_is_a_clear_error(cli: Cli, value: str) -> None:
    out = cli(
        "client",
        "create",
        "--name",
        "X",
        "--grant",
        "client_credentials",
        "--token-lifetime",
        value,
    )
    assert out.exit_code == 1
    assert "lifetime" in out.error


@pytest.mark.parametrize(
    "uri",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,hi",
        "http://example.com/cb",
        "https://example.com/cb#fragment",
        "relative/cb",
        "https:///no-host",
        "https://user:pw@example.com/cb",
        "https://example.com:99999/cb",
        "https://exa mple.com/cb",
    ],
)
def test_bad_redirect_uri_is_a_clear_error(cli: Cli, uri: str) -> None:
    out = cli("client", "create", "--name", "X", "--redirect-uri", uri)
    assert out.exit_code == 1
    assert "redirect URI" in out.error


@pytest.mark.parametrize(
    "uri", ["https://app.example.com/cb", "http://127.0.0.1:8080/cb", "http://localhost/cb"]
)
def test_good_redirect_uri(cli: Cli, uri: str) -> None:
    data = ok(cli("client", "create", "--name", "X", "--redirect-uri", uri, "--json"))
    assert data["redirect_uris"] == [uri]


def test_authorization_code_client_needs_a_redirect_uri(cli: Cli) -> None:
    out = cli("client", "create", "--name", "X")
    assert out.exit_code == 1
    assert "redirect-uri" in out.error


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        pytest.param("--grant", "magic", "unknown grant type 'magic'", id="grant"),
        pytest.param("--grant", "", "unknown grant type", id="empty-grant"),
        pytest.param("--scope", "read superuser", "unknown scope 'superuser'", id="scope"),
    ],
)
def test_unknown_grant_or_scope_is_a_clear_error(
    cli: Cli, option: str, value: str, message: str
) -> None:
    args = ["client", "create", "--name", "X", option, value]
    if option != "--grant":
        args += ["--grant", "client_credentials"]
    out = cli(*args)
    assert out.exit_code == 1
    assert message in out.error


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("n" * 201, id="201-chars"),
    ],
)
def test_bad_client_name(cli: Cli, name: str) -> None:
    out = cli("client", "create", "--name", name, "--grant", "client_credentials")
    assert out.exit_code == 1
    assert "name" in out.error


@pytest.mark.parametrize(
    "command",
    [
        ["client", "show"],
        ["client", "update", "--scope", "read"],
        ["client", "rotate-secret"],
        ["client", "delete"],
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_unknown_client_id_is_a_clear_error(cli: Cli, command: list[str]) -> None:
    out = cli(*command[:2], "no-such-client", *command[2:], "--json")
    assert out.exit_code == 1
    assert "no client with id 'no-such-client'" in out.error


def test_update(cli: Cli) -> None:
    created = ok(cli("client", "create", "--name", "X", "--grant", "client_credentials", "--json"))
    cid = created["client_id"]
    data = ok(
        cli(
            "client",
            "update",
            cid,
            "--name",
            "Renamed",
            "--scope",
            "read",
            "--token-lifetime",
            "never",
            "--json",
        )
    )
    assert data["name"] == "Renamed"
    assert data["scope"] == "read"
    assert data["token_lifetime"] == "never"
    assert "client_secret" not in data
    assert ok(cli("client", "show", cid, "--json"))["scope"] == "read"
    bad = cli("client", "update", cid, "--scope", "superuser")
    assert bad.exit_code == 1 and "unknown scope" in bad.error
    bad = cli("client", "update", cid, "--token-lifetime", "soon")
    assert bad.exit_code == 1 and "lifetime" in bad.error


def test_rotate_secret_and_delete(cli: Cli) -> None:
    created = ok(cli("client", "create", "--name", "X", "--grant", "client_credentials", "--json"))
    cid = created["client_id"]
    rotated = ok(cli("client", "rotate-secret", cid, "--json"))
    assert rotated["client_id"] == cid
    assert rotated["client_secret"] and rotated["client_secret"] != created["client_secret"]
    deleted = ok(cli("client", "delete", cid, "--json"))
    assert deleted == {"client_id": cid, "deleted": True}
    assert cli("client", "show", cid).exit_code == 1
    assert cli("client", "delete", cid).exit_code == 1


def test_client_ids_that_look_like_options(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """Client ids are URL-safe base64: one in 64 starts with "-"."""
    ids = iter(["-abc", "--xyz"])
    monkeypatch.setitem(CLIENT_ID_GENERATORS, "random", lambda: next(ids))
    for expected in ("-abc", "--xyz"):
        created = ok(
            cli("client", "create", "--name", "X", "--grant", "client_credentials", "--json")
        )
        cid = created["client_id"]
        assert cid == expected
        assert ok(cli("client", "show", cid, "--json"))["client_id"] == cid
        assert ok(cli("client", "show", "--json", "--", cid))["client_id"] == cid
        assert ok(cli("client", "update", cid, "--scope", "read", "--json"))["scope"] == "read"
        assert ok(cli("client", "rotate-secret", cid, "--json"))["client_secret"]
        assert ok(cli("client", "delete", cid, "--json"))["deleted"] is True


INTEGER = {"AUTHGATE_CLIENT_ID_FORMAT": "integer"}


def test_integer_client_ids_seed_002(cli: Cli) -> None:
    """Cloud BOT's ``client_id`` is an "integer": decimal digits without a leading zero,
    drawn at random (not counted), within a signed 32-bit integer."""
    ids = []
    for _ in range(5):
        created = ok(
            cli(
                "client",
                "create",
                "--name",
                "Bot",
                "--grant",
                "client_credentials",
                "--json",
                extra_env=INTEGER,
            )
        )
        ids.append(created["client_id"])
    assert all(re.fullmatch(r"[1-9][0-9]{8,9}", i) and int(i) < 2**31 for i in ids), ids
    assert len(set(ids)) == 5
    text = cli(
        "client", "create", "--name", "Bot", "--grant", "client_credentials", extra_env=INTEGER
    )
    assert text.exit_code == 0, text.stderr
    assert re.search(r"client id\s+[1-9][0-9]{8,9}\n", text.stdout), text.stdout
    cid = ids[0]
    assert ok(cli("client", "show", cid, "--json"))["client_id"] == cid  # any format's CLI
    assert ok(cli("client", "update", cid, "--scope", "read", "--json"))["scope"] == "read"
    assert ok(cli("client", "delete", cid, "--json", extra_env=INTEGER))["deleted"] is True


@pytest.mark.parametrize("where", ["before", "after"])
def test_client_create_under_the_cloudbot_profile_prints_an_integer_id(
    cli: Cli, where: str
) -> None:
    """``authgate --profile cloudbot client create …`` (seed 002)."""
    args = ["client", "create", "--name", "Bot", "--redirect-uri", "https://bot.example/cb"]
    args = (
        ["--profile", "cloudbot", *args] if where == "before" else [*args, "--profile", "cloudbot"]
    )
    out = cli(*args)
    assert out.exit_code == 0, out.stderr
    found = re.search(r"^client id\s+(\S+)$", out.stdout, re.MULTILINE)
    assert found is not None, out.stdout
    assert re.fullmatch(r"[1-9][0-9]{8,9}", found.group(1))
    assert ok(cli(*args, "--json"))["client_id"].isdigit()
    # without the profile: the default random ids again, on the same database
    plain = ok(cli("client", "create", "--name", "App", "--grant", "client_credentials", "--json"))
    assert not plain["client_id"].isdigit()


def test_a_taken_client_id_is_drawn_again(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = iter(["123456789", "123456789", "123456789", "987654321"])
    monkeypatch.setitem(CLIENT_ID_GENERATORS, "integer", lambda: next(ids))
    args = ("client", "create", "--name", "Bot", "--grant", "client_credentials", "--json")
    assert ok(cli(*args, extra_env=INTEGER))["client_id"] == "123456789"
    assert ok(cli(*args, extra_env=INTEGER))["client_id"] == "987654321"
    monkeypatch.setitem(CLIENT_ID_GENERATORS, "integer", lambda: "123456789")
    out = cli(*args, extra_env=INTEGER)
    assert out.exit_code == 1
    assert out.error == "found no free client id in 8 tries"
    assert len(ok(cli("client", "list", "--json"))["clients"]) == 2


def test_public_client_has_no_secret_to_rotate(cli: Cli) -> None:
    created = ok(
        cli("client", "create", "--name", "X", "--public", "--grant", "password", "--json")
    )
    out = cli("client", "rotate-secret", created["client_id"])
    assert out.exit_code == 1
    assert "public" in out.error


# ---------------------------------------------------------------------------- with the server


async def test_cli_changes_are_seen_by_the_server(
    cli: Cli, http: httpx.AsyncClient, clock: Any
) -> None:
    """Seed 000: a scope added to a client is not added to tokens issued before; a rotated
    secret and a deleted client stop working."""

    async def run(*args: str) -> Any:
        return ok(await asyncio.to_thread(cli, *args, "--json"))

    await run("user", "create", "--email", "owner@example.com", "--password", "long enough")
    created = await run(
        "client",
        "create",
        "--name",
        "Tool",
        "--grant",
        "client_credentials",
        "--scope",
        "read",
        "--owner",
        "owner@example.com",
    )
    cid, secret, test_token = (
        created["client_id"],
        created["client_secret"],
        created["test_access_token"],
    )
    bearer = {"Authorization": f"Bearer {test_token}"}
    me = await http.get("/api/me", headers=bearer)
    assert me.status_code == 200, me.text
    assert me.json()["scope"] == "read"

    await run("client", "update", cid, "--scope", "read write")
    me = await http.get("/api/me", headers=bearer)
    assert me.json()["scope"] == "read"  # the old token keeps its scopes
    r = await http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(cid, secret)
    )
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == "read write"  # new tokens get the new ones

    new_secret = (await run("client", "rotate-secret", cid))["client_secret"]
    r = await http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(cid, secret)
    )
    assert r.status_code == 401
    r = await http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(cid, new_secret)
    )
    assert r.status_code == 200, r.text

    await run("client", "delete", cid)
    assert (await http.get("/api/me", headers=bearer)).status_code == 401


class TestSwitchingTheClientIdFormat:
    """A server switched to integer client ids (seed 002) still serves the clients
    registered with random ids before, and the other way round."""

    @pytest.fixture(params=["random", "integer"])
    def settings_overrides(self, request: pytest.FixtureRequest) -> dict[str, Any]:
        return {"client_id_format": request.param}

    async def test_clients_of_both_formats_get_tokens(
        self, cli: Cli, http: httpx.AsyncClient
    ) -> None:
        for fmt in ("random", "integer"):
            created = ok(
                await asyncio.to_thread(
                    cli,
                    *("client", "create", "--name", "App", "--grant", "client_credentials"),
                    "--json",
                    extra_env={"AUTHGATE_CLIENT_ID_FORMAT": fmt},
                )
            )
            cid, secret = created["client_id"], created["client_secret"]
            assert cid.isdigit() == (fmt == "integer")
            r = await http.post(
                "/oauth/token", data={"grant_type": "client_credentials"}, auth=(cid, secret)
            )
            assert r.status_code == 200, r.text


# ---------------------------------------------------------------------------- settings, db


@pytest.mark.parametrize(
    ("name", "value"),
    [
        pytest.param("access_token_lifetime", "-5", id="negative-lifetime"),
        pytest.param("access_token_lifetime", "soon", id="lifetime-not-a-number"),
        pytest.param("database_url", "mysql://x", id="mysql"),
        pytest.param("issuer", "ftp://x", id="issuer"),
        pytest.param("client_cache_seconds", "1000", id="cache-too-long"),
    ],
)
@pytest.mark.parametrize(
    "command",
    [
        ["client", "list"],
        ["db", "current", "--json"],
        ["db", "upgrade"],
        ["user", "create", "--email", "a@example.com", "--password", "long enough"],
        ["client", "create", "--name", "X", "--grant", "client_credentials", "--json"],
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_bad_settings_exit_2_naming_the_setting(
    sqlite_cli: Cli, command: list[str], name: str, value: str
) -> None:
    env_var = f"AUTHGATE_{name.upper()}"
    out = sqlite_cli(*command, extra_env={env_var: value})
    assert out.exit_code == 2
    assert name in out.error
    assert env_var in out.error


def test_missing_config_file_is_a_clear_error(sqlite_cli: Cli, tmp_path: Path) -> None:
    out = sqlite_cli("client", "list", extra_env={"AUTHGATE_CONFIG": str(tmp_path / "nope.toml")})
    assert out.exit_code != 0
    assert "Traceback" not in out.stderr
    assert "nope.toml" in out.stderr


def test_malformed_config_file_is_a_clear_error(sqlite_cli: Cli, tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("access_token_lifetime = = 3\n")
    out = sqlite_cli("client", "list", extra_env={"AUTHGATE_CONFIG": str(config)})
    assert out.exit_code == 2
    assert out.error


def test_config_file_values_are_checked(sqlite_cli: Cli, tmp_path: Path) -> None:
    config = tmp_path / "authgate.toml"
    config.write_text("access_token_lifetime = -5\n")
    out = sqlite_cli("client", "list", extra_env={"AUTHGATE_CONFIG": str(config)})
    assert out.exit_code == 2
    assert "access_token_lifetime" in out.error


def test_db_upgrade_and_current(sqlite_cli: Cli) -> None:
    missing = sqlite_cli("db", "current", "--json")
    assert missing.exit_code == 3
    assert "create it with `authgate db upgrade`" in missing.error
    up = sqlite_cli("db", "upgrade")
    assert up.exit_code == 0, up.stderr
    after = ok(sqlite_cli("db", "current", "--json"))
    assert after["current"] == after["head"] and after["up_to_date"] is True
    assert after["head"] in up.stdout
    again = sqlite_cli("db", "upgrade")  # idempotent
    assert again.exit_code == 0, again.stderr
    text = sqlite_cli("db", "current")
    assert text.exit_code == 0 and after["head"] in text.stdout


def test_db_current_on_the_test_database(cli: Cli) -> None:
    data = ok(cli("db", "current", "--json"))
    assert data["up_to_date"] is True


@pytest.mark.parametrize(
    "command",
    [["db", "current", "--json"], ["db", "upgrade"], ["client", "list", "--json"]],
    ids=lambda c: " ".join(c[:2]),
)
def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path, command: list[str]) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not an SQLite database\n" * 100)
    cli = make_cli({"AUTHGATE_DATABASE_URL": f"sqlite:///{junk}", "AUTHGATE_SECRET_KEY": "k"})
    out = cli(*command)
    assert out.exit_code == 3
    assert "junk.db" in out.error


@pytest.mark.parametrize(
    "command",
    [["db", "current", "--json"], ["db", "upgrade"], ["client", "list", "--json"]],
    ids=lambda c: " ".join(c[:2]),
)
def test_unreachable_postgres_is_a_clear_error(command: list[str]) -> None:
    url = "postgresql://nobody@127.0.0.1:1/nothing"
    cli = make_cli({"AUTHGATE_DATABASE_URL": url, "AUTHGATE_SECRET_KEY": "k"})
    out = cli(*command)
    assert out.exit_code == 3
    assert "127.0.0.1:1" in out.error


@pytest.mark.postgres
@pytest.mark.parametrize(
    "command",
    [["db", "current", "--json"], ["db", "upgrade"], ["client", "list", "--json"]],
    ids=lambda c: " ".join(c[:2]),
)
def test_missing_postgres_database_is_a_clear_error(command: list[str]) -> None:
    base = os.environ.get("AUTHGATE_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("needs AUTHGATE_TEST_POSTGRES_URL")
    url = base.rsplit("/", 1)[0] + "/authgate_no_such_database"
    cli = make_cli({"AUTHGATE_DATABASE_URL": url, "AUTHGATE_SECRET_KEY": "k"})
    out = cli(*command)
    assert out.exit_code == 3
    assert "authgate_no_such_database" in out.error


@pytest.mark.postgres
def test_postgres_needs_a_secret_key(postgres_schema: str) -> None:
    cli = make_cli({"AUTHGATE_DATABASE_URL": postgres_schema})
    out = cli("client", "list")
    assert out.exit_code == 2
    assert "AUTHGATE_SECRET_KEY" in out.error


def test_installed_script_reports_bad_settings_without_traceback(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHGATE_")}
    env.update(
        AUTHGATE_DATABASE_URL=f"sqlite:///{tmp_path}/a.db",
        AUTHGATE_SECRET_KEY="k",
        AUTHGATE_ACCESS_TOKEN_LIFETIME="-5",
    )
    result = subprocess.run(
        [str(AUTHGATE), "client", "list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "AUTHGATE_ACCESS_TOKEN_LIFETIME" in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_errors_exit_2_without_traceback(cli: Cli) -> None:
    out = cli("client", "create")  # --name is required
    assert out.exit_code == 2
    assert "--name" in out.stderr
    out = cli("client", "frobnicate")
    assert out.exit_code == 2
    out = cli("user", "create", "--email", "a@example.com", "--password")
    assert out.exit_code == 2


def test_refresh_policy_can_be_changed(cli: Cli) -> None:
    created = ok(cli("client", "create", "--name", "R", "--grant", "password", "--json"))
    assert created["grant_types"] == ["password", "refresh_token"]
    off = ok(cli("client", "update", created["client_id"], "--refresh-policy", "none", "--json"))
    assert (off["refresh_policy"], off["grant_types"]) == ("none", ["password"])
    on = ok(cli("client", "update", created["client_id"], "--refresh-policy", "rotate", "--json"))
    assert (on["refresh_policy"], on["grant_types"]) == ("rotate", ["password", "refresh_token"])
    bad = cli("client", "update", created["client_id"], "--refresh-policy", "sometimes")
    assert bad.exit_code != 0
    assert "--refresh-policy" in bad.stderr


def test_db_upgrade_json(sqlite_cli: Cli) -> None:
    assert ok(sqlite_cli("db", "upgrade", "--json"))["revision"]


def test_a_resource_server_client_rfc7662(cli: Cli) -> None:
    created = ok(
        cli(
            "client",
            "create",
            "--name",
            "API",
            "--grant",
            "client_credentials",
            "--resource-server",
            "--json",
        )
    )
    assert created["resource_server"] is True
    plain = ok(cli("client", "create", "--name", "App", "--grant", "client_credentials", "--json"))
    assert plain["resource_server"] is False
    text = cli("client", "show", created["client_id"])
    assert re.search(r"^resource server +yes$", text.stdout, re.M)
    refused = cli(
        "client",
        "create",
        "--name",
        "X",
        "--public",
        "--resource-server",
        "--redirect-uri",
        "https://x.example/cb",
    )
    assert refused.exit_code == 1 and "confidential" in refused.error


def test_access_token_format_rfc9068(cli: Cli) -> None:
    create = ("client", "create", "--name", "API", "--grant", "client_credentials")
    jwt = ok(cli(*create, "--access-token-format", "jwt", "--json"))
    assert jwt["access_token_format"] == "jwt"
    cid = jwt["client_id"]
    assert ok(cli("client", "show", cid, "--json"))["access_token_format"] == "jwt"
    assert re.search(r"^access token format +jwt$", cli("client", "show", cid).stdout, re.M)
    plain = ok(cli(*create, "--json"))
    assert plain["access_token_format"] == "opaque"  # the setting's default
    follows = cli(*create, "--json", extra_env={"AUTHGATE_ACCESS_TOKEN_FORMAT": "jwt"})
    assert ok(follows)["access_token_format"] == "jwt"
    update = ("client", "update", cid, "--json", "--access-token-format")
    assert ok(cli(*update, "opaque"))["access_token_format"] == "opaque"
    assert ok(cli(*update, "default"))["access_token_format"] == "opaque"
    back = cli(*update, "default", extra_env={"AUTHGATE_ACCESS_TOKEN_FORMAT": "jwt"})
    assert ok(back)["access_token_format"] == "jwt"
    bad = cli(*create, "--access-token-format", "paseto")
    assert bad.exit_code == 1 and "--access-token-format" in bad.error
    bad = cli(*create, "--access-token-format", "default")
    assert bad.exit_code == 1 and "--access-token-format" in bad.error


def test_jwt_access_tokens_must_expire(cli: Cli) -> None:
    create = ("client", "create", "--name", "API", "--grant", "client_credentials")
    never = cli(*create, "--access-token-format", "jwt", "--token-lifetime", "never")
    assert never.exit_code == 1 and "must expire" in never.error
    cid = ok(cli(*create, "--access-token-format", "jwt", "--json"))["client_id"]
    bad = cli("client", "update", cid, "--token-lifetime", "never")
    assert bad.exit_code == 1 and "must expire" in bad.error
    opaque = ok(cli(*create, "--token-lifetime", "never", "--json"))
    update = cli("client", "update", opaque["client_id"], "--access-token-format", "jwt")
    assert update.exit_code == 1 and "must expire" in update.error
    # Under a jwt default, a never-expiring client's tokens stay opaque (RFC 9068 §2.2).
    shown = cli(
        "client",
        "show",
        opaque["client_id"],
        "--json",
        extra_env={"AUTHGATE_ACCESS_TOKEN_FORMAT": "jwt"},
    )
    assert ok(shown)["access_token_format"] == "opaque"
