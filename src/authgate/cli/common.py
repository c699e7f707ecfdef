"""What every ``authgate`` command shares: options, errors, the database, output."""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import socket
import sqlite3
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import asyncpg
import typer
from sqlalchemy.exc import SQLAlchemyError, StatementError

from authgate import profiles
from authgate.audit.events import Actor
from authgate.errors import OAuthError
from authgate.services import Services, build_services
from authgate.settings import Settings, SettingsError, load_settings
from authgate.storage.sql.driver import NoDatabase, open_database

T = TypeVar("T")


def report(message: str) -> None:
    """Every error, authgate's or click's, is printed alike: ``authgate: error: ...``."""
    typer.echo(f"authgate: error: {message}", err=True)


def group(about: str) -> typer.Typer:
    """A group of sub-commands (``authgate client ...``)."""
    return typer.Typer(help=about, no_args_is_help=True, rich_markup_mode=None)


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        metavar="FILE",
        help="TOML settings file (also AUTHGATE_CONFIG).",
        exists=True,
        dir_okay=False,
        envvar="AUTHGATE_CONFIG",
    ),
]
ProfileOption = Annotated[
    str | None,
    typer.Option(
        "--profile",
        metavar="NAME",
        help="Platform profile: "
        + ", ".join(profiles.names())
        + " (also AUTHGATE_PROFILE; `authgate profile list`).",
        envvar="AUTHGATE_PROFILE",
        show_envvar=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object, nothing else.")]


def fail(message: str, code: int = 1) -> NoReturn:
    report(message)
    raise typer.Exit(code)


def settings_from(config: Path | None, profile: str | None = None) -> Settings:
    """The settings, after the command's ``--config`` and ``--profile`` (kept in the
    environment, which workers inherit)."""
    if config is not None:
        os.environ["AUTHGATE_CONFIG"] = str(config)
    if profile is not None:
        os.environ["AUTHGATE_PROFILE"] = profile
    try:
        return load_settings()
    except SettingsError as exc:
        fail(str(exc), 2)


#: What a database that is missing, unreachable, misconfigured or not a database raises.
DATABASE_ERRORS = (OSError, sqlite3.Error, asyncpg.PostgresError, asyncpg.InterfaceError)


@contextmanager
def database_errors(settings: Settings, *, connecting: bool = True) -> Iterator[None]:
    """Turn database failures into one clear line and exit code 3, not a traceback.

    While ``connecting``, a ``ValueError`` too: drivers raise it for a malformed URL.
    """
    caught: tuple[type[Exception], ...] = (*DATABASE_ERRORS, SQLAlchemyError)
    if connecting:
        caught = (*caught, ValueError)
    try:
        yield
    except NoDatabase as exc:
        fail(f"{exc}: create it with `authgate db upgrade` or `authgate serve`", 3)
    except caught as exc:
        reason = exc.orig if isinstance(exc, StatementError) and exc.orig is not None else exc
        text = str(reason).strip().splitlines()[0] if str(reason).strip() else type(exc).__name__
        fail(f"cannot open the database {settings.database_url!r}: {text}", 3)


def unreachable(settings: Settings) -> str | None:
    """Why PostgreSQL does not answer now (a refused or timed-out connection, a server
    starting or shutting down), or None: it answers, or the URL is SQLite's, or the problem
    is one that waiting will not fix (which opening the database then reports)."""
    if settings.is_sqlite:
        return None
    from authgate.storage.sql.driver import PG_OUTAGES

    async def attempt() -> None:
        conn = await asyncpg.connect(settings.database_url, timeout=settings.database_timeout)
        await conn.close()

    try:
        asyncio.run(attempt())
    except PG_OUTAGES as exc:
        return type(exc).__name__
    except Exception:  # noqa: S110 - reported by the next step, with its own message
        pass
    return None


def prepare(settings: Settings, *, create: bool = False) -> None:
    """Upgrade SQLite automatically, refuse an outdated PostgreSQL schema. Only ``create``
    (``serve``, ``db upgrade``) makes a missing SQLite database and its key file."""
    from authgate.storage.sql.migrate import OutdatedSchema, check_schema

    try:
        with database_errors(settings):
            check_schema(settings.database_url, create=create)
    except OutdatedSchema as exc:
        fail(str(exc), 3)
    if create:
        key_file(settings)


def key_file(settings: Settings) -> None:
    """On SQLite without a configured key, generate the key file if it is missing."""
    if not settings.is_sqlite:
        return
    try:
        settings.resolved_secret_key(create=True)
    except SettingsError as exc:
        fail(str(exc), 2)


def run_with(
    settings: Settings, work: Callable[[Services], Awaitable[T]], *, create: bool = False
) -> T:
    prepare(settings, create=create)

    async def main() -> T:
        db = await open_database(settings.database_url, synchronous=settings.sqlite_synchronous)
        services = None
        try:
            services = build_services(settings, db)
            return await work(services)
        finally:
            if services is not None:
                await services.close()
            await db.close()

    try:
        with database_errors(settings, connecting=False):
            return asyncio.run(main())
    except SettingsError as exc:
        fail(str(exc), 2)
    except OAuthError as exc:
        fail(exc.description or exc.error)


def cli_actor() -> Actor:
    """Who runs this command, as the audit log names an operator: ``osuser@host``."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name, no passwd entry (containers)
        user = f"uid {os.getuid()}"
    return Actor("cli", f"{user}@{socket.gethostname()}")


def emit(as_json: bool, data: dict[str, Any], text: str) -> None:
    if as_json:
        typer.echo(json.dumps(data, indent=2, sort_keys=False))
    else:
        typer.echo(text)


def emit_list(
    as_json: bool,
    name: str,
    items: list[dict[str, Any]],
    empty: str,
    header: Sequence[str],
    row: Callable[[dict[str, Any]], Sequence[str]],
) -> None:
    """``{name: items}`` as JSON, else ``empty`` or a table of one ``row`` per item."""
    if as_json:
        typer.echo(json.dumps({name: items}, indent=2))
    else:
        typer.echo(table(header, [row(item) for item in items]) if items else empty)


def utc(timestamp: int) -> str:
    """Unix seconds as ISO 8601 in UTC, to the second: ``2026-12-01 14:53:30 UTC``."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns as wide as their longest value, two spaces apart."""
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    )
