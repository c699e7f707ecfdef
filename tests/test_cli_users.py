"""``authgate user list | show | update | disable | enable | set-password | delete`` and
``authgate --version``: on SQLite and PostgreSQL, each with ``--json`` (one object) and
one-line errors."""

from __future__ import annotations

import subprocess
from importlib.metadata import version

import pytest

from tests.test_cli import AUTHGATE, SECRET_KEY, Cli, create_user, make_cli, ok


@pytest.fixture
def cli(database_url: str) -> Cli:
    return make_cli({"AUTHGATE_DATABASE_URL": database_url, "AUTHGATE_SECRET_KEY": SECRET_KEY})


def test_version() -> None:
    done = subprocess.run(
        [AUTHGATE, "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0 and done.stdout == f"authgate {version('authgate')}\n"


def test_list_pages_and_searches(cli: Cli) -> None:
    assert ok(cli("user", "list", "--json")) == {"users": [], "next_cursor": None}
    empty = cli("user", "list")
    assert empty.exit_code == 0 and "authgate user create" in empty.stdout
    for name in ("ann", "bob", "cat_x", "dan"):
        create_user(cli, f"{name}@example.com")
    first = ok(cli("user", "list", "--limit", "3", "--json"))
    assert [u["email"] for u in first["users"]] == [
        "ann@example.com",
        "bob@example.com",
        "cat_x@example.com",
    ]
    assert first["users"][0]["active"] is True and first["next_cursor"]
    rest = ok(cli("user", "list", "--after", first["next_cursor"], "--json"))
    assert [u["email"] for u in rest["users"]] == ["dan@example.com"]
    assert rest["next_cursor"] is None
    # "_" is a character here, not LIKE's wildcard.
    assert [u["email"] for u in ok(cli("user", "list", "--search", "T_X", "--json"))["users"]] == [
        "cat_x@example.com"
    ]
    assert ok(cli("user", "list", "--search", "a_n", "--json"))["users"] == []
    text = cli("user", "list").stdout.splitlines()
    assert text[0].split() == ["ID", "EMAIL", "NAME", "ACTIVE", "VERIFIED", "ADMIN", "CREATED"]
    assert text[1].split()[1:4] == ["ann@example.com", "-", "yes"]
    assert text[1].rstrip().endswith(" UTC")


def test_show_by_email_or_id(cli: Cli) -> None:
    user = create_user(cli, "ann@example.com")
    ok(cli("space", "create", "--slug", "acme", "--name", "Acme", "--json"))
    ok(cli("space", "add-member", "--space", "acme", "--email", "ann@example.com", "--json"))
    client = ok(
        cli(
            "client",
            "create",
            *("--name", "Own", "--grant", "client_credentials", "--owner", "ann@example.com"),
            "--json",
        )
    )
    by_email = ok(cli("user", "show", "ANN@example.com", "--json"))
    assert ok(cli("user", "show", str(user["id"]), "--json")) == by_email
    assert by_email["spaces"] == [{"slug": "acme", "role": "member"}]
    assert by_email["owned_clients"] == [client["client_id"]]
    assert by_email["holdings"]["access_tokens"] == 1  # the client's test token
    assert by_email["holdings"]["memberships"] == 1
    text = cli("user", "show", "ann@example.com").stdout
    assert "acme (member)" in text and " UTC" in text and "access tokens" in text


def test_update(cli: Cli) -> None:
    create_user(cli, "ann@example.com")
    create_user(cli, "bob@example.com")
    data = ok(
        cli(
            "user",
            "update",
            "ann@example.com",
            *("--email", "Anna@Example.com", "--name", "Anna", "--email-verified"),
            "--json",
        )
    )
    assert (data["email"], data["name"], data["email_verified"]) == (
        "anna@example.com",
        "Anna",
        True,
    )
    assert cli("user", "show", "ann@example.com").error.startswith("no user 'ann@example.com'")
    taken = cli("user", "update", "anna@example.com", "--email", "bob@example.com")
    assert "already exists" in taken.error
    assert "nothing to change" in cli("user", "update", "anna@example.com").error
    audit = ok(cli("audit", "--event", "user.updated", "--json"))["events"][0]
    assert audit["details"] == {
        "previous_email": "ann@example.com",
        "new_email": "anna@example.com",
        "name": "Anna",
        "email_verified": True,
    }


def test_disable_enable_and_set_password(cli: Cli) -> None:
    create_user(cli, "ann@example.com")
    ok(
        cli(
            "client",
            "create",
            "--name",
            "Own",
            "--grant",
            "client_credentials",
            "--owner",
            "ann@example.com",
            "--json",
        )
    )
    disabled = ok(cli("user", "disable", "ann@example.com", "--json"))
    assert disabled == {
        "email": "ann@example.com",
        "active": False,
        "revoked": {"sessions": 0, "access_tokens": 1, "refresh_tokens": 0, "codes": 0},
    }
    assert ok(cli("user", "show", "ann@example.com", "--json"))["active"] is False
    assert ok(cli("user", "show", "ann@example.com", "--json"))["holdings"]["access_tokens"] == 0
    assert ok(cli("user", "enable", "ann@example.com", "--json"))["active"] is True
    # What was revoked stays revoked.
    assert ok(cli("user", "show", "ann@example.com", "--json"))["holdings"]["access_tokens"] == 0
    changed = ok(
        cli("user", "set-password", "ann@example.com", "--password", "a new password", "--json")
    )
    assert changed == {"email": "ann@example.com", "password_set": True}
    assert (
        "8 to 1024" in cli("user", "set-password", "ann@example.com", "--password", "short").error
    )
    events = [e["event"] for e in ok(cli("audit", "--event", "user", "--json"))["events"]]
    assert events == ["user.password_set", "user.enabled", "user.disabled", "user.created"]
    disabled_event = ok(cli("audit", "--event", "user.disabled", "--json"))["events"][0]
    assert disabled_event["details"] == {
        "revoked_sessions": 0,
        "revoked_access": 1,
        "revoked_refresh": 0,
        "deleted_codes": 0,
    }
    assert "a new password" not in cli("audit", "--json").stdout


def test_delete_refuses_to_orphan_clients_silently(cli: Cli) -> None:
    create_user(cli, "ann@example.com")
    own = ok(
        cli(
            "client",
            "create",
            "--name",
            "Own",
            "--grant",
            "client_credentials",
            "--owner",
            "ann@example.com",
            "--json",
        )
    )
    refused = cli("user", "delete", "ann@example.com")
    assert refused.exit_code == 1
    assert (
        "owns 1 client" in refused.error and "--delete-clients or --keep-clients" in refused.error
    )
    assert (
        "contradicts"
        in cli("user", "delete", "ann@example.com", "--delete-clients", "--keep-clients").error
    )
    kept = ok(cli("user", "delete", "ann@example.com", "--keep-clients", "--json"))
    assert kept["deleted"] is True and kept["deleted_clients"] == []
    client = ok(cli("client", "show", own["client_id"], "--json"))
    assert client["owner_id"] is None and "test_access_token" not in client
    assert cli("user", "show", "ann@example.com").exit_code == 1


def test_delete_with_clients(cli: Cli) -> None:
    create_user(cli, "ann@example.com")
    own = ok(
        cli(
            "client",
            "create",
            "--name",
            "Own",
            "--grant",
            "client_credentials",
            "--owner",
            "ann@example.com",
            "--json",
        )
    )
    done = ok(cli("user", "delete", "ann@example.com", "--delete-clients", "--json"))
    assert done["deleted_clients"] == [own["client_id"]]
    assert done["removed"]["access_tokens"] == 1
    assert cli("client", "show", own["client_id"]).exit_code == 1
    events = ok(cli("audit", "--json"))["events"]
    assert [e["event"] for e in events[:2]] == ["user.deleted", "client.deleted"]
    assert events[0]["details"]["deleted_clients"] == [own["client_id"]]


@pytest.mark.parametrize(
    "command", ["show", "update", "disable", "enable", "delete", "set-password"]
)
def test_unknown_user_is_one_line(cli: Cli, command: str) -> None:
    extra = {"update": ["--name", "x"], "set-password": ["--password", "long enough"]}
    out = cli("user", command, "nobody@example.com", *extra.get(command, []))
    assert out.exit_code == 1
    assert out.error == "no user 'nobody@example.com' (an e-mail address or an id)"
