"""``authgate audit``: what operators did with the CLI, and what the server saw, newest first,
filtered and paged by cursor; on SQLite and PostgreSQL."""

from __future__ import annotations

import getpass
import socket
from pathlib import Path

import pytest

from tests.test_cli import SECRET_KEY, Cli, create_user, make_cli, ok


@pytest.fixture
def cli(database_url: str) -> Cli:
    return make_cli({"AUTHGATE_DATABASE_URL": database_url, "AUTHGATE_SECRET_KEY": SECRET_KEY})


def operator() -> str:
    return f"{getpass.getuser()}@{socket.gethostname()}"


def test_cli_changes_are_audited_with_the_operator(cli: Cli) -> None:
    create_user(cli, "owner@example.com")
    client = ok(cli("client", "create", "--name", "App", "--grant", "client_credentials", "--json"))
    client_id = client["client_id"]
    ok(cli("client", "update", client_id, "--name", "Renamed", "--json"))
    ok(cli("client", "rotate-secret", client_id, "--json"))
    ok(cli("keys", "rotate", "--json"))
    ok(cli("space", "create", "--slug", "acme", "--name", "Acme", "--json"))
    ok(cli("space", "add-member", "--space", "acme", "--email", "owner@example.com", "--json"))
    ok(cli("client", "delete", client_id, "--json"))
    data = ok(cli("audit", "--json"))
    names = [e["event"] for e in data["events"]]
    assert names[:8] == [
        "client.deleted",
        "space.member_added",
        "space.created",
        "key.rotated",
        "client.secret_rotated",
        "client.updated",
        "client.created",
        "user.created",
    ]
    for e in data["events"][:8]:
        assert (e["actor_type"], e["actor"]) == ("cli", operator()), e
    updated = data["events"][5]
    assert updated["target"] == client_id and updated["details"] == {"name": "Renamed"}
    created = data["events"][6]["details"]
    assert created["grant_types"] == ["client_credentials"] and "secret" not in str(created)
    assert client["client_secret"] not in str(data)
    assert data["next_cursor"] is None


def test_filters_and_pages(cli: Cli) -> None:
    for n in range(5):
        create_user(cli, f"u{n}@example.com")
    first = ok(cli("audit", "--event", "user", "--limit", "2", "--json"))
    assert [e["target"] for e in first["events"]] == ["u4@example.com", "u3@example.com"]
    second = ok(
        cli("audit", "--event", "user", "--limit", "2", "--cursor", first["next_cursor"], "--json")
    )
    assert [e["target"] for e in second["events"]] == ["u2@example.com", "u1@example.com"]
    assert ok(cli("audit", "--target", "u0@example.com", "--json"))["events"][0]["event"] == (
        "user.created"
    )
    assert ok(cli("audit", "--since", "1h", "--json"))["events"]
    assert ok(cli("audit", "--until", "2000-01-01", "--json"))["events"] == []
    assert ok(cli("audit", "--since", "2999-01-01T00:00Z", "--json"))["events"] == []
    text = cli("audit", "--limit", "2")
    assert text.exit_code == 0
    lines = text.stdout.splitlines()
    assert lines[0].split() == ["TIME", "EVENT", "ACTOR", "ADDRESS", "TARGET", "DETAILS"]
    assert " UTC  user.created  cli:" in lines[1]
    assert "older events: add --cursor " in text.stdout
    none = cli("audit", "--event", "consent")
    assert none.exit_code == 0 and none.stdout.strip() == "no audit events match"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--since", "yesterday"], "--since 'yesterday' must be a time"),
        (["--until", "5 parsecs"], "--until '5 parsecs' must be a time"),
        (["--cursor", "abc"], "is not a cursor"),
        (["--cursor", "9" * 30], "is not a cursor"),
    ],
)
def test_bad_options_are_one_line_errors(cli: Cli, args: list[str], says: str) -> None:
    out = cli("audit", *args)
    assert out.exit_code in (1, 2) and says in out.error


def test_audit_of_a_missing_database_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "none" / "authgate.db"
    out = make_cli({"AUTHGATE_DATABASE_URL": f"sqlite:///{path}"})("audit")
    assert out.exit_code == 3 and "create it with `authgate db upgrade`" in out.error
    assert list(tmp_path.iterdir()) == []
