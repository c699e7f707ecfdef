"""The ``authgate`` command."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import sqlite3
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import asyncpg
import typer
from sqlalchemy.exc import SQLAlchemyError, StatementError
from typer.core import TyperGroup

from authgate.crypto.passwords import hash_password
from authgate.domain import Client, RefreshPolicy
from authgate.errors import OAuthError
from authgate.services import Services, build_services
from authgate.settings import Settings, SettingsError, load_settings
from authgate.storage.base import EmailTaken
from authgate.storage.sql.driver import NoDatabase, open_database

T = TypeVar("T")

#: Typer raises click's exceptions: click's own, or (newer Typer) those of its copy of click.
click_errors = importlib.import_module(typer.BadParameter.__module__)


def report(message: str) -> None:
    """Every error, authgate's or click's, is printed alike: ``authgate: error: ...``."""
    typer.echo(f"authgate: error: {message}", err=True)


def name_values(command: Any) -> None:
    """Show an option's value in help by its name (``--port PORT``), as click does, rather
    than by Typer's type labels (``<int>``, ``<list[str]>``, ``<bool>`` for flags)."""
    for param in command.params:
        if param.metavar is None and not getattr(param, "is_flag", False):
            param.metavar = (param.name or "value").upper()
    for sub in getattr(command, "commands", {}).values():
        name_values(sub)


class AuthgateGroup(TyperGroup):
    """The ``authgate`` command: click's usage errors in authgate's style, exit status 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        name_values(self)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        run = partial(
            super().main, args, prog_name, complete_var, False, windows_expand_args, **extra
        )
        if not standalone_mode:
            return run()
        try:
            code = run()
        except getattr(click_errors, "NoArgsIsHelpError", ()) as exc:  # help, not an error
            exc.show()
            sys.exit(exc.exit_code)
        except click_errors.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else "authgate"
            report(f"{exc.format_message()}\nTry '{where} --help'.")
            sys.exit(2)
        except click_errors.ClickException as exc:
            report(exc.format_message())
            sys.exit(exc.exit_code)
        except typer.Abort:
            report("aborted")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


ABOUT = "OAuth 2.0 authorization server for API platforms."
app = typer.Typer(
    name="authgate",
    cls=AuthgateGroup,
    help=ABOUT,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True, rich_markup_mode=None)
user_app = typer.Typer(help="Users (resource owners).", no_args_is_help=True, rich_markup_mode=None)
client_app = typer.Typer(
    help="Clients (registered apps).", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(client_app, name="client")

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
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object, nothing else.")]


def fail(message: str, code: int = 1) -> NoReturn:
    report(message)
    raise typer.Exit(code)


def settings_from(config: Path | None) -> Settings:
    if config is not None:
        os.environ["AUTHGATE_CONFIG"] = str(config)
    try:
        return load_settings()
    except SettingsError as exc:
        fail(str(exc), 2)


@app.callback()
def root(config: ConfigOption = None) -> None:
    """OAuth 2.0 authorization server for API platforms."""
    if config is not None:
        os.environ["AUTHGATE_CONFIG"] = str(config)


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


def emit(as_json: bool, data: dict[str, Any], text: str) -> None:
    if as_json:
        typer.echo(json.dumps(data, indent=2, sort_keys=False))
    else:
        typer.echo(text)


# ---------------------------------------------------------------------------- serve / db


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1, max=64)] = 1,
    config: ConfigOption = None,
    demo: Annotated[bool, typer.Option(help="Create demo data on first start, print it.")] = False,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = True,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            metavar="IPS",
            help="Proxies whose X-Forwarded-For is trusted: comma-separated IP addresses "
            "or networks. Overrides forwarded_allow_ips (default: none).",
        ),
    ] = None,
) -> None:
    """Run the HTTP server (uvicorn)."""
    from authgate.web import server

    settings = settings_from(config)
    if forwarded_allow_ips is not None:
        proxies = [p.strip() for p in forwarded_allow_ips.split(",") if p.strip()]
        os.environ["AUTHGATE_FORWARDED_ALLOW_IPS"] = json.dumps(proxies)
        settings = settings_from(None)
    if "issuer" not in settings.model_fields_set:
        # No issuer configured: the address served on is the public one.
        shown = "127.0.0.1" if host in {"0.0.0.0", "::"} else host  # noqa: S104
        os.environ["AUTHGATE_ISSUER"] = f"http://{shown}:{port}"
        settings = settings_from(None)
    try:
        # On SQLite this creates the key file once, before workers start, to share it.
        settings.resolved_secret_key(create=True)
    except SettingsError as exc:
        fail(str(exc), 2)
    if demo:
        from authgate.demo import describe, ensure_demo

        os.environ["AUTHGATE_DEMO"] = "true"
        settings = settings_from(None)

        data = run_with(settings, ensure_demo, create=True)
        typer.echo(describe(data, settings))
        typer.echo("")
    else:
        prepare(settings, create=True)
    uvicorn_config = server.server_config(
        settings, host=host, port=port, workers=workers, access_log=access_log
    )
    try:
        sock = server.listen(host, port)
    except server.CannotListen as exc:
        fail(str(exc), 4)
    address = server.display_address(host, port)
    typer.echo(f"authgate serving on http://{address} (issuer {settings.issuer})")
    if not server.run(uvicorn_config, sock):
        raise typer.Exit(3)


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Create the database or apply the schema migrations (Alembic) to it."""
    from authgate.storage.sql import migrate

    settings = settings_from(config)
    with database_errors(settings):
        revision = migrate.upgrade(settings.database_url)
    key_file(settings)
    emit(as_json, {"revision": revision}, f"database is at revision {revision}")


@db_app.command("current")
def db_current(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Show the schema revision of the database and the one this authgate needs."""
    from authgate.storage.sql import migrate

    settings = settings_from(config)
    with database_errors(settings):
        current = migrate.current_revision(settings.database_url)
    head = migrate.head_revision()
    emit(
        as_json,
        {"current": current, "head": head, "up_to_date": current == head},
        f"current revision: {current or 'none'}; this authgate needs: {head}",
    )


# ---------------------------------------------------------------------------- users


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(metavar="EMAIL", help="E-mail address (the login name).")],
    password: Annotated[
        str,
        typer.Option(
            metavar="PASSWORD",
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="Password (asked for, hidden, when omitted).",
        ),
    ],
    name: Annotated[str, typer.Option(metavar="TEXT", help="Display name.")] = "",
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Create a user who can sign in."""
    email = email.strip()
    if "@" not in email or len(email) > 320 or any(c.isspace() for c in email):
        fail(f"{email!r} is not an e-mail address")
    if not 8 <= len(password) <= 1024:
        fail("the password must have 8 to 1024 characters")
    if len(name) > 200:
        fail("the name must have at most 200 characters")
    settings = settings_from(config)

    async def work(services: Services) -> dict[str, Any]:
        try:
            user = await services.users.create(
                email,
                name.strip(),
                await asyncio.to_thread(hash_password, password),
                services.minter.now(),
            )
        except EmailTaken:
            fail(f"a user with e-mail {email!r} already exists")
        return {"id": user.id, "email": user.email, "name": user.name}

    data = run_with(settings, work)
    emit(as_json, data, f"created user {data['email']} (id {data['id']})")


# ---------------------------------------------------------------------------- clients


def client_dict(client: Client, services: Services) -> dict[str, Any]:
    lifetime = services.minter.access_lifetime(client)
    return {
        "client_id": client.client_id,
        "name": client.name,
        "type": "public" if client.is_public else "confidential",
        "redirect_uris": list(client.redirect_uris),
        "grant_types": sorted(client.grant_types),
        "scope": " ".join(sorted(client.scopes)),
        "token_lifetime": "never" if lifetime is None else lifetime,
        "refresh_policy": client.refresh_policy,
        "owner_id": client.owner_id,
        "created_at": client.created_at,
    }


def utc(timestamp: int) -> str:
    """Unix seconds as ISO 8601 in UTC, to the second: ``2026-12-01 14:53:30 UTC``."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def client_text(data: dict[str, Any]) -> str:
    lines = []
    for key, value in data.items():
        if isinstance(value, list):
            value = ", ".join(value) or "-"
        elif key == "created_at":
            value = utc(value)
        lines.append(f"{key.replace('_', ' '):<18} {value if value is not None else '-'}")
    return "\n".join(lines)


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns as wide as their longest value, two spaces apart."""
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    )


def lifetime_option(value: str | None) -> int | None:
    from authgate.protocol.registration import parse_lifetime

    text = (value or "").strip()
    if text.isdigit() and not text.isascii():  # int("٣") is 3
        fail(f"token lifetime {value!r} must be seconds or 'never'")
    if text.isdigit() and len(text.lstrip("0")) > 12:  # int() refuses 4300+ digits
        fail("token lifetime must be between 1 second and 10 years")
    try:
        return parse_lifetime(value)
    except OAuthError as exc:
        fail(exc.description)


#: Client ids are URL-safe base64 and may start with "-": take such an argument as the id
#: instead of failing with "no such option".
TAKES_CLIENT_ID = {"ignore_unknown_options": True}

RedirectOption = Annotated[
    list[str] | None,
    typer.Option("--redirect-uri", metavar="URI", help="Redirect URI (repeatable)."),
]
GrantOption = Annotated[
    list[str] | None,
    typer.Option(
        "--grant",
        metavar="GRANT",
        help="Grant type (repeatable): authorization_code, client_credentials, password, "
        "refresh_token, implicit.",
    ),
]
ScopeOption = Annotated[
    str | None,
    typer.Option(metavar="TEXT", help='Allowed scopes, space separated ("read write").'),
]
LifetimeOption = Annotated[
    str | None,
    typer.Option(
        "--token-lifetime", metavar="SECONDS", help="Access-token lifetime in seconds, or 'never'."
    ),
]
#: Named in the usage line only (``client show [OPTIONS] CLIENT_ID``): Typer would list it
#: with a type label, ``CLIENT_ID <str>``.
ClientIdArgument = Annotated[str, typer.Argument(metavar="CLIENT_ID", hidden=True)]


@client_app.command("create")
def client_create(
    name: Annotated[str, typer.Option(metavar="TEXT", help="The app's name, shown to users.")],
    redirect_uri: RedirectOption = None,
    grant: GrantOption = None,
    scope: ScopeOption = None,
    public: Annotated[bool, typer.Option("--public", help="A public client (no secret).")] = False,
    token_lifetime: LifetimeOption = None,
    no_refresh: Annotated[
        bool, typer.Option("--no-refresh", help="Never issue refresh tokens.")
    ] = False,
    owner: Annotated[
        str | None,
        typer.Option(metavar="EMAIL", help="E-mail of the owner; creates a test access token."),
    ] = None,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Register a client. Its secret is shown once."""
    settings = settings_from(config)
    lifetime = lifetime_option(token_lifetime)

    async def work(services: Services) -> dict[str, Any]:
        registered = await services.registry.register(
            name,
            redirect_uris=redirect_uri or [],
            grant_types=grant or ["authorization_code"],
            scopes=None if scope is None else scope.split(),
            public=public,
            token_lifetime=lifetime,
            refresh_policy="none" if no_refresh else "rotate",
            owner_email=owner,
        )
        data = client_dict(registered.client, services)
        if registered.client_secret is not None:
            data["client_secret"] = registered.client_secret
        if registered.test_access_token is not None:
            data["test_access_token"] = registered.test_access_token
        return data

    data = run_with(settings, work)
    note = (
        "\n\nThe client secret is shown only now: keep it safe." if "client_secret" in data else ""
    )
    emit(as_json, data, client_text(data) + note)


@client_app.command("list")
def client_list(as_json: JsonOption = False, config: ConfigOption = None) -> None:
    """List registered clients."""
    settings = settings_from(config)

    async def work(services: Services) -> list[dict[str, Any]]:
        return [client_dict(c, services) for c in await services.clients.all()]

    clients = run_with(settings, work)
    if as_json:
        typer.echo(json.dumps({"clients": clients}, indent=2))
        return
    if not clients:
        typer.echo("no clients yet: create one with `authgate client create --name NAME`")
        return
    rows = [
        (c["client_id"], c["type"], ",".join(c["grant_types"]), utc(c["created_at"]), c["name"])
        for c in clients
    ]
    typer.echo(table(("CLIENT ID", "TYPE", "GRANTS", "CREATED", "NAME"), rows))


@client_app.command("show", context_settings=TAKES_CLIENT_ID)
def client_show(
    client_id: ClientIdArgument,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Show a client, with its test access token if it has one."""
    settings = settings_from(config)

    async def work(services: Services) -> dict[str, Any]:
        client = await services.registry.get(client_id)
        data = client_dict(client, services)
        test_token = services.registry.test_token(client)
        if test_token is not None:
            data["test_access_token"] = test_token
        return data

    data = run_with(settings, work)
    emit(as_json, data, client_text(data))


@client_app.command("update", context_settings=TAKES_CLIENT_ID)
def client_update(
    client_id: ClientIdArgument,
    name: Annotated[str | None, typer.Option(metavar="TEXT", help="New name.")] = None,
    redirect_uri: RedirectOption = None,
    grant: GrantOption = None,
    scope: ScopeOption = None,
    token_lifetime: LifetimeOption = None,
    refresh_policy: Annotated[
        str | None,
        typer.Option(
            "--refresh-policy",
            metavar="POLICY",
            help="rotate: refresh tokens rotate on every use; none: no refresh tokens.",
        ),
    ] = None,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Change a client. Lists given replace the old ones; tokens keep their scopes."""
    if refresh_policy not in {None, "rotate", "none"}:
        fail("--refresh-policy must be 'rotate' or 'none'")
    policy: RefreshPolicy | None = None
    if refresh_policy is not None:
        policy = "none" if refresh_policy == "none" else "rotate"
    settings = settings_from(config)
    lifetime = lifetime_option(token_lifetime)

    async def work(services: Services) -> dict[str, Any]:
        client = await services.registry.update(
            client_id,
            name=name,
            redirect_uris=redirect_uri,
            grant_types=grant,
            scopes=None if scope is None else scope.split(),
            token_lifetime=lifetime,
            refresh_policy=policy,
        )
        return client_dict(client, services)

    data = run_with(settings, work)
    emit(as_json, data, client_text(data))


@client_app.command("rotate-secret", context_settings=TAKES_CLIENT_ID)
def client_rotate_secret(
    client_id: ClientIdArgument,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Issue a new client secret; the old one stops working within seconds."""
    settings = settings_from(config)

    async def work(services: Services) -> str:
        return await services.registry.rotate_secret(client_id)

    secret = run_with(settings, work)
    emit(
        as_json,
        {"client_id": client_id, "client_secret": secret},
        f"new client_secret: {secret}\nIt is shown only now: keep it safe.",
    )


@client_app.command("delete", context_settings=TAKES_CLIENT_ID)
def client_delete(
    client_id: ClientIdArgument,
    as_json: JsonOption = False,
    config: ConfigOption = None,
) -> None:
    """Delete a client and every token issued to it."""
    settings = settings_from(config)

    async def work(services: Services) -> None:
        await services.registry.delete(client_id)

    run_with(settings, work)
    emit(as_json, {"client_id": client_id, "deleted": True}, f"deleted client {client_id}")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
