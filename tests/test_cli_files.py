"""The files authgate makes: only ``serve`` and ``db upgrade`` create a database, and what
they create (database, its WAL and shared-memory files, key file, folders) is readable by
its owner alone, whatever the umask."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from authgate.storage.sql.driver import open_database
from tests.test_cli import make_cli

MISSING = "create it with `authgate db upgrade` or `authgate serve`"

#: Every command that reads or changes a database but must not create one.
NON_CREATING = [
    ["client", "list"],
    ["client", "show", "some-client"],
    ["client", "create", "--name", "X", "--grant", "client_credentials"],
    ["client", "update", "some-client", "--name", "Y"],
    ["client", "rotate-secret", "some-client"],
    ["client", "delete", "some-client"],
    ["user", "create", "--email", "a@example.com", "--password", "long enough"],
    ["user", "list"],
    ["user", "show", "a@example.com"],
    ["user", "update", "a@example.com", "--name", "A"],
    ["user", "disable", "a@example.com"],
    ["user", "enable", "a@example.com"],
    ["user", "set-password", "a@example.com", "--password", "long enough"],
    ["user", "delete", "a@example.com"],
    ["audit"],
    ["db", "current"],
    ["keys", "list"],
    ["keys", "rotate"],
    ["space", "list"],
    ["space", "show", "acme"],
    ["space", "create", "--slug", "acme", "--name", "Acme"],
    ["space", "add-member", "--space", "acme", "--email", "a@example.com"],
]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def everything_in(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*"))


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The common default umask, under which new files are world-readable unless asked."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.parametrize("command", NON_CREATING, ids=lambda c: " ".join(c[:2]))
def test_commands_in_an_empty_folder_create_nothing(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    out = make_cli({})(*command)  # the default database, sqlite:///data/authgate.db
    assert out.exit_code == 3
    assert out.error == f"no database at data/authgate.db: {MISSING}"
    assert everything_in(tmp_path) == []


@pytest.mark.parametrize("command", NON_CREATING, ids=lambda c: " ".join(c[:2]))
def test_a_database_in_a_missing_folder_is_not_created(command: list[str], tmp_path: Path) -> None:
    path = tmp_path / "nonexistent" / "dir" / "x.db"
    out = make_cli({"AUTHGATE_DATABASE_URL": f"sqlite:///{path}"})(*command)
    assert out.exit_code == 3
    assert out.error == f"no database at {path}: {MISSING}"
    assert everything_in(tmp_path) == []


def test_db_upgrade_creates_a_private_database_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, umask_022: None
) -> None:
    monkeypatch.chdir(tmp_path)
    cli = make_cli({})
    assert cli("db", "upgrade").exit_code == 0
    data = tmp_path / "data"
    assert mode(data) == 0o700
    assert mode(data / "authgate.db") == 0o600
    assert mode(data / "authgate.secret") == 0o600
    # Now the other commands work, with the key made by db upgrade.
    created = cli("client", "create", "--name", "X", "--grant", "client_credentials")
    assert created.exit_code == 0, created.stderr
    listed = cli("client", "list")
    assert listed.exit_code == 0 and "X" in listed.stdout
    assert {p.name for p in data.iterdir()} <= {
        "authgate.db",
        "authgate.db-wal",
        "authgate.db-shm",
        "authgate.secret",
    }


def test_every_folder_created_for_the_database_is_private(tmp_path: Path, umask_022: None) -> None:
    path = tmp_path / "a" / "b" / "x.db"
    assert make_cli({"AUTHGATE_DATABASE_URL": f"sqlite:///{path}"})("db", "upgrade").exit_code == 0
    assert (mode(tmp_path / "a"), mode(tmp_path / "a" / "b")) == (0o700, 0o700)


def test_wal_and_shared_memory_files_are_private(tmp_path: Path, umask_022: None) -> None:
    path = tmp_path / "x.db"
    assert make_cli({"AUTHGATE_DATABASE_URL": f"sqlite:///{path}"})("db", "upgrade").exit_code == 0

    def modes() -> dict[str, int]:
        return {p.name: mode(p) for p in tmp_path.iterdir()}

    async def inspect() -> dict[str, int]:
        db = await open_database(f"sqlite:///{path}")
        try:
            await db.execute("DELETE FROM users WHERE id = $1", -1)  # a write: the WAL exists
            return modes()
        finally:
            await db.close()

    private = {"x.db": 0o600, "x.db-wal": 0o600, "x.db-shm": 0o600, "x.secret": 0o600}
    assert asyncio.run(inspect()) == private


def test_open_database_creates_a_private_file_only_when_asked(
    tmp_path: Path, umask_022: None
) -> None:
    path = tmp_path / "new" / "x.db"
    with pytest.raises(OSError, match="no database"):
        asyncio.run(open_database(f"sqlite:///{path}"))
    assert everything_in(tmp_path) == []

    async def create() -> None:
        db = await open_database(f"sqlite:///{path}", create=True)
        await db.close()

    asyncio.run(create())
    assert (mode(path.parent), mode(path)) == (0o700, 0o600)


def test_an_existing_database_without_a_key_file_says_how_to_make_one(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    cli = make_cli({"AUTHGATE_DATABASE_URL": f"sqlite:///{path}"})
    assert cli("db", "upgrade").exit_code == 0
    (tmp_path / "x.secret").unlink()
    out = cli("client", "list")
    assert out.exit_code == 2
    assert "AUTHGATE_SECRET_KEY" in out.error and "authgate db upgrade" in out.error
    assert not (tmp_path / "x.secret").exists()
    assert cli("db", "upgrade").exit_code == 0  # makes a new key
    assert cli("client", "list").exit_code == 0
