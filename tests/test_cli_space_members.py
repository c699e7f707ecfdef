"""``authgate space update-member`` and ``remove-member``: a member's role and revoked
scopes (seed 001), text and ``--json`` output, one clear error for every mistake, and a
running server that follows the change without new tokens. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from authgate.services import Services
from tests.conftest import Factory
from tests.test_cli import SECRET_KEY, Cli, create_user, make_cli, ok
from tests.test_cli_keys_spaces import error


@pytest.fixture
def cli(database_url: str) -> Cli:
    return make_cli({"AUTHGATE_DATABASE_URL": database_url, "AUTHGATE_SECRET_KEY": SECRET_KEY})


@pytest.fixture
def acme(cli: Cli) -> Cli:
    """The space ``acme`` with alice@example.com as an admin, and bob@example.com, who is
    not a member."""
    ok(cli("space", "create", "--slug", "acme", "--name", "Acme", "--json"))
    create_user(cli, "alice@example.com")
    create_user(cli, "bob@example.com")
    args = ("--space", "acme", "--email", "alice@example.com", "--role", "admin", "--json")
    ok(cli("space", "add-member", *args, "--name", "Alice"))
    return cli


def update(cli: Cli, *args: str, email: str = "alice@example.com") -> Any:
    return cli("space", "update-member", "--space", "acme", "--email", email, *args)


def member(cli: Cli, email: str = "alice@example.com") -> Any:
    members = ok(cli("space", "show", "acme", "--json"))["members"]
    return next((m for m in members if m["email"] == email), None)


def test_revoke_and_restore_scopes(acme: Cli) -> None:
    data = ok(update(acme, "--revoke-scope", "admin", "--revoke-scope", "write", "--json"))
    assert data | {"user_id": 0, "created_at": 0} == {
        "space": "acme",
        "email": "alice@example.com",
        "role": "admin",
        "name": "Alice",
        "picture": None,
        "phone_number": None,
        "revoked_scopes": ["admin", "write"],
        "user_id": 0,
        "created_at": 0,
    }
    assert member(acme)["revoked_scopes"] == ["admin", "write"]
    out = update(acme, "--restore-scope", "write")
    assert out.exit_code == 0, out.stderr
    assert out.stdout.strip() == (
        "updated alice@example.com in space acme: role admin, revoked scopes: admin"
    )
    out = update(acme, "--restore-scope", "admin", "--role", "member")
    assert out.stdout.strip() == (
        "updated alice@example.com in space acme: role member, revoked scopes: none"
    )
    assert (member(acme)["role"], member(acme)["revoked_scopes"]) == ("member", [])


def test_revoking_twice_and_restoring_what_was_not_revoked_change_nothing(acme: Cli) -> None:
    ok(update(acme, "--revoke-scope", "admin", "--json"))
    assert ok(update(acme, "--revoke-scope", "admin", "--json"))["revoked_scopes"] == ["admin"]
    assert ok(update(acme, "--restore-scope", "read", "--json"))["revoked_scopes"] == ["admin"]


def test_update_keeps_the_profile_and_add_member_keeps_the_revoked_scopes(acme: Cli) -> None:
    ok(update(acme, "--revoke-scope", "admin", "--json"))
    args = ("--space", "acme", "--email", "alice@example.com", "--phone", "+1 555", "--json")
    readded = ok(acme("space", "add-member", *args))
    assert readded["revoked_scopes"] == ["admin"]
    assert (readded["name"], readded["phone_number"]) == ("Alice", "+1 555")


def test_show_lists_the_revoked_scopes(acme: Cli) -> None:
    ok(update(acme, "--revoke-scope", "admin", "--revoke-scope", "write", "--json"))
    lines = acme("space", "show", "acme").stdout.splitlines()
    assert lines[-2].split() == ["MEMBER", "ROLE", "NAME", "PICTURE", "PHONE", "REVOKED"]
    assert lines[-1].split() == ["alice@example.com", "admin", "Alice", "-", "-", "admin", "write"]


def test_nothing_to_change(acme: Cli) -> None:
    assert error(update(acme)) == (
        "nothing to change: give --role, --revoke-scope or --restore-scope"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "owner"], "--role must be 'admin' or 'member'"),
        (["--revoke-scope", "superuser"], "--revoke-scope: unknown scope 'superuser'"),
        (["--restore-scope", "bad\x7f"], "--restore-scope: unknown scope"),
        (
            ["--revoke-scope", "admin", "--restore-scope", "admin"],
            "scope 'admin' is both revoked and restored: give it once",
        ),
    ],
)
def test_bad_values(acme: Cli, args: list[str], message: str) -> None:
    assert message in error(update(acme, *args))
    assert (member(acme)["role"], member(acme)["revoked_scopes"]) == ("admin", [])


def test_unknown_space_user_or_member(acme: Cli) -> None:
    for command in ("update-member", "remove-member"):
        extra = ["--role", "member"] if command == "update-member" else []
        out = acme("space", command, "--space", "nope", "--email", "alice@example.com", *extra)
        assert "no space with slug 'nope'" in error(out)
        out = acme("space", command, "--space", "acme", "--email", "carol@example.com", *extra)
        assert "no user with e-mail 'carol@example.com'" in error(out)
        out = acme("space", command, "--space", "acme", "--email", "bob@example.com", *extra)
        assert error(out) == (
            "bob@example.com is not a member of space acme: add them with "
            "`authgate space add-member --space acme --email bob@example.com`"
        )
    assert member(acme, "bob@example.com") is None


def test_remove_member(acme: Cli) -> None:
    args = ("--space", "acme", "--email", "alice@example.com")
    assert ok(acme("space", "remove-member", *args, "--json")) == {
        "space": "acme",
        "email": "alice@example.com",
        "removed": True,
    }
    assert member(acme) is None
    assert "is not a member of space acme" in error(acme("space", "remove-member", *args))
    ok(acme("space", "add-member", *args, "--json"))
    out = acme("space", "remove-member", *args)
    assert out.stdout.strip() == "removed alice@example.com from space acme"


# ---------------------------------------------------------------------------- with the server


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """A cache that outlives the test: what the server sees changes only when it is told."""
    return {"token_cache_seconds": 60}


async def test_the_server_follows_cli_changes_without_new_tokens(
    acme: Cli, http: httpx.AsyncClient, services: Services, make: Factory
) -> None:
    """Seed 001: the CLI is another process. A running server sees its change once its
    cached membership expires (``token_cache_seconds``) or is dropped (``forget``)."""

    async def run(*args: str) -> Any:
        return ok(await asyncio.to_thread(acme, *args, "--json"))

    reg = await make.client(grant_types=["password"], scopes=["read", "admin"])
    assert reg.client_secret
    r = await http.post(
        "/spaces/acme/oauth/token",
        data={
            "grant_type": "password",
            "username": "alice@example.com",
            "password": "long enough",
        },
        auth=(reg.client.client_id, reg.client_secret),
    )
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == "admin read"
    bearer = {"Authorization": f"Bearer {r.json()['access_token']}"}

    async def scope() -> Any:
        me = await http.get("/api/me", headers=bearer)
        return me.json().get("scope") if me.status_code == 200 else me.status_code

    assert await scope() == "admin read"
    await run("space", "update-member", "--space", "acme", "--email", "alice@example.com",
              "--revoke-scope", "admin")  # fmt: skip
    assert await scope() == "admin read"  # cached for token_cache_seconds
    services.permissions.forget()
    assert await scope() == "read"
    await run("space", "update-member", "--space", "acme", "--email", "alice@example.com",
              "--restore-scope", "admin", "--role", "member")  # fmt: skip
    services.permissions.forget()
    assert await scope() == "read"  # admin scopes are for admins only
    await run("space", "update-member", "--space", "acme", "--email", "alice@example.com",
              "--role", "admin")  # fmt: skip
    services.permissions.forget()
    assert await scope() == "admin read"
    await run("space", "remove-member", "--space", "acme", "--email", "alice@example.com")
    services.permissions.forget()
    assert await scope() == 401
