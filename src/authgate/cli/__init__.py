"""The ``authgate`` command: one module per group of sub-commands."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from functools import partial
from importlib.metadata import version
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

import authgate.cli.space_members  # noqa: F401  (adds the member commands to space_app)
from authgate.cli.admin import admin_app
from authgate.cli.audit import audit
from authgate.cli.clients import client_app
from authgate.cli.common import (
    ConfigOption,
    JsonOption,
    ProfileOption,
    emit,
    fail,
    prepare,
    report,
    run_with,
    settings_from,
    table,
    utc,
)
from authgate.cli.db import db_app
from authgate.cli.keys import keys_app
from authgate.cli.profiles import profile_app
from authgate.cli.serve import serve
from authgate.cli.spaces import space_app
from authgate.cli.users import user_app

__all__ = [
    "ConfigOption",
    "JsonOption",
    "app",
    "emit",
    "fail",
    "main",
    "prepare",
    "run_with",
    "settings_from",
    "table",
    "utc",
]

#: Typer raises click's exceptions: click's own, or (newer Typer) those of its copy of click.
click_errors = importlib.import_module(typer.BadParameter.__module__)


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
app.command()(serve)
app.command()(audit)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(client_app, name="client")
app.add_typer(keys_app, name="keys")
app.add_typer(space_app, name="space")
app.add_typer(profile_app, name="profile")
app.add_typer(admin_app, name="admin")


def show_version(value: bool) -> None:
    if value:
        typer.echo(f"authgate {version('authgate')}")
        raise typer.Exit()


@app.callback()
def root(
    config: ConfigOption = None,
    profile: ProfileOption = None,
    show: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", is_eager=True, callback=show_version
        ),
    ] = False,
) -> None:
    """OAuth 2.0 authorization server for API platforms."""
    if config is not None:
        os.environ["AUTHGATE_CONFIG"] = str(config)
    if profile is not None:
        os.environ["AUTHGATE_PROFILE"] = profile


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
