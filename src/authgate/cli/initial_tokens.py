"""``authgate client initial-token``: RFC 7591 §3 initial access tokens, with which
someone may register a client at ``/oauth/register`` (``dynamic_registration``); and
``authgate client registration-token``, a new RFC 7592 registration access token for a
client that lost its own."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from authgate.cli.clients import TAKES_CLIENT_ID, ClientIdArgument, client_app
from authgate.cli.common import (
    ConfigOption,
    JsonOption,
    ProfileOption,
    cli_actor,
    emit,
    fail,
    run_with,
    settings_from,
    utc,
)
from authgate.errors import OAuthError
from authgate.protocol.initial_tokens import MAX_USES, parse_duration
from authgate.services import Services


@client_app.command("initial-token")
def client_initial_token(
    expires: Annotated[
        str,
        typer.Option(
            metavar="DURATION",
            help="How long it can be used: seconds, or 30m, 12h, 1d, 2w; or never.",
        ),
    ] = "1d",
    uses: Annotated[
        int | None,
        typer.Option(metavar="N", help="How many clients it may register (default: any number)."),
    ] = None,
    as_json: JsonOption = False,
    config: ConfigOption = None,
    profile: ProfileOption = None,
) -> None:
    """Create an initial access token for dynamic registration (RFC 7591 §3). It is shown
    once; only its digest is stored."""
    try:
        expires_in = parse_duration(expires)
    except OAuthError as exc:
        fail(exc.description)
    if uses is not None and not 0 < uses <= MAX_USES:
        fail(f"--uses must be between 1 and {MAX_USES}")
    settings = settings_from(config, profile)

    async def work(services: Services) -> dict[str, Any]:
        issued = await services.initial_tokens.create(
            expires_in=expires_in, max_uses=uses, actor=cli_actor()
        )
        return {
            "initial_access_token": issued.token,
            "id": issued.row.id,
            "expires_at": issued.row.expires_at,
            "uses": issued.row.max_uses,
        }

    data = run_with(settings, work)
    mode = settings.dynamic_registration
    expiry = "never expires" if data["expires_at"] is None else f"expires {utc(data['expires_at'])}"
    count = "any number of clients" if uses is None else f"{uses} client{'s' * (uses != 1)}"
    warning = (
        "\nNote: dynamic_registration is off, so /oauth/register does not answer yet."
        if mode == "off"
        else ""
    )
    emit(
        as_json,
        data,
        f"initial access token: {data['initial_access_token']}\n"
        f"It registers {count} at /oauth/register and {expiry}.\n"
        f"It is shown only now: keep it safe.{warning}",
    )


@client_app.command("registration-token", context_settings=TAKES_CLIENT_ID)
def client_registration_token(
    client_id: ClientIdArgument,
    as_json: JsonOption = False,
    config: ConfigOption = None,
    profile: ProfileOption = None,
) -> None:
    """Give a client registered at /oauth/register a new registration access token
    (RFC 7592); the old one stops working at once. It is shown once."""
    settings = settings_from(config, profile)

    async def work(services: Services) -> str:
        return await services.dynamic_registration.reissue(client_id, actor=cli_actor())

    token = run_with(settings, work)
    emit(
        as_json,
        {"client_id": client_id, "registration_access_token": token},
        f"new registration access token: {token}\nIt is shown only now: keep it safe.",
    )
