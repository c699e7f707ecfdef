"""``authgate serve``: the HTTP server."""

from __future__ import annotations

import json
import logging
import os
from typing import Annotated

import typer

from authgate.cli.common import (
    ConfigOption,
    ProfileOption,
    fail,
    run_with,
    settings_from,
    unreachable,
)
from authgate.services import Services
from authgate.settings import Settings, SettingsError


async def signing_key(services: Services) -> None:
    await services.keys.ensure()


def announce(settings: Settings, text: str, level: int = logging.INFO) -> None:
    """A line of the server's own, in the format of its log (``log_format``)."""
    if settings.log_format == "json":
        from authgate.logs import JsonFormatter

        record = logging.LogRecord("authgate", level, __file__, 0, text, None, None)
        text = JsonFormatter().format(record)
    typer.echo(text)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1, max=64)] = 1,
    config: ConfigOption = None,
    profile: ProfileOption = None,
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

    settings = settings_from(config, profile)
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
    down = None if demo else unreachable(settings)
    if down is None:
        # Once, before the workers start: on an empty database each would create its own key.
        run_with(settings, signing_key, create=True)
    else:
        # The workers wait for it (and check its schema then): 503 and /readyz say so.
        announce(
            settings,
            f"authgate: warning: the database does not answer ({down}): serving 503 until it does",
        )
    uvicorn_config = server.server_config(
        settings, host=host, port=port, workers=workers, access_log=access_log
    )
    sockets = []
    try:
        sockets.append(server.listen(host, port))
        if settings.metrics_port is not None:
            sockets.append(server.listen(settings.metrics_host or host, settings.metrics_port))
    except server.CannotListen as exc:
        for sock in sockets:
            sock.close()
        fail(str(exc), 4)
    address = server.display_address(host, port)
    announce(settings, f"authgate serving on http://{address} (issuer {settings.issuer})")
    announce(
        settings,
        f"developer portal {settings.issuer}/developer, accounts {settings.issuer}/account",
    )
    if settings.metrics_port is not None:
        where = server.display_address(settings.metrics_host or host, settings.metrics_port)
        announce(settings, f"metrics on http://{where}/metrics")
    with server.metrics_directory(workers, settings):
        started = server.run(uvicorn_config, *sockets)
    if not started:
        raise typer.Exit(3)
