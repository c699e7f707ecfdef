"""``authgate admin bootstrap`` and ``authgate user update --admin``: the admin API's first
client and the server-admin role, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.test_cli import SECRET_KEY, Cli, create_user, make_cli, ok


@pytest.fixture
def cli(database_url: str) -> Cli:
    return make_cli({"AUTHGATE_DATABASE_URL": database_url, "AUTHGATE_SECRET_KEY": SECRET_KEY})


def test_bootstrap_prints_the_admin_client_once_with_a_curl_example(cli: Cli) -> None:
    made = cli("admin", "bootstrap")
    assert made.exit_code == 0, made.stderr
    assert "client_secret" in made.stdout and "curl" in made.stdout
    assert "scope=authgate:admin" in made.stdout and "/admin/api/v1/users" in made.stdout
    shown = ok(cli("client", "list", "--json"))["clients"]
    assert len(shown) == 1
    client = ok(cli("client", "show", shown[0]["client_id"], "--json"))
    assert client["scope"] == "authgate:admin"
    assert client["grant_types"] == ["client_credentials"]
    assert client["type"] == "confidential"


def test_a_second_bootstrap_refuses_unless_another_is_asked_for(cli: Cli) -> None:
    first = ok(cli("admin", "bootstrap", "--json"))
    assert first["client_secret"] and first["scope"] == "authgate:admin"
    again = cli("admin", "bootstrap", "--json")
    assert again.exit_code == 1
    assert first["client_id"] in again.stderr and "rotate-secret" in again.stderr
    second = ok(cli("admin", "bootstrap", "--another", "--json"))
    assert second["client_id"] != first["client_id"]


def test_ordinary_client_create_refuses_reserved_scopes(cli: Cli) -> None:
    refused = cli(
        "client",
        "create",
        "--name",
        "Sneaky",
        "--grant",
        "client_credentials",
        "--scope",
        "authgate:admin",
        "--json",
    )
    assert refused.exit_code != 0 and "authgate:admin" in refused.stderr
    assert ok(cli("client", "list", "--json"))["clients"] == []


def test_user_update_admin_flag_is_shown_by_list_and_show(cli: Cli) -> None:
    create_user(cli, "ann@example.com")
    assert ok(cli("user", "show", "ann@example.com", "--json"))["admin"] is False
    assert ok(cli("user", "update", "ann@example.com", "--admin", "--json"))["admin"] is True
    listed = ok(cli("user", "list", "--json"))["users"]
    assert listed[0]["admin"] is True
    row = cli("user", "list").stdout.splitlines()[1].split()
    assert row[5] == "yes"
    assert ok(cli("user", "update", "ann@example.com", "--no-admin", "--json"))["admin"] is False
    events = ok(cli("audit", "--event", "user.updated", "--json"))["events"]
    assert [e["details"].get("is_admin") for e in events] == [False, True]
