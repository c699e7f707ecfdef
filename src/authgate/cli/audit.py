"""``authgate audit``: the audit log, newest first."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from authgate.audit.events import AuditEvent, AuditQuery
from authgate.cli.common import (
    ConfigOption,
    JsonOption,
    ProfileOption,
    fail,
    run_with,
    settings_from,
    table,
    utc,
)
from authgate.services import Services
from authgate.storage.sql.audit import MAX_PAGE

_RELATIVE = re.compile(r"^(\d{1,9})\s*([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_when(value: str, now: int, option: str) -> int:
    """``30m``, ``2h``, ``7d`` (ago), or an ISO 8601 date or time (UTC unless it says)."""
    text = value.strip()
    relative = _RELATIVE.match(text.lower())
    if relative:
        return now - int(relative.group(1)) * _UNITS[relative.group(2)]
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        fail(
            f"{option} {value[:40]!r} must be a time like 2026-12-01T14:00, a date like "
            "2026-12-01, or an age like 30m, 2h, 7d"
        )
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp())


def details_text(details: dict[str, Any]) -> str:
    parts = []
    for key, value in details.items():
        if value is None or value == [] or value == "":
            continue
        shown = ",".join(map(str, value)) if isinstance(value, list) else value
        if isinstance(shown, bool):
            shown = "yes" if shown else "no"
        parts.append(f"{key}={shown}")
    return " ".join(parts)


def event_row(event: AuditEvent) -> tuple[str, ...]:
    actor = event.actor.name or "-"
    if event.actor.type not in ("user",):
        actor = f"{event.actor.type}:{actor}"
    target = "-" if event.target is None else f"{event.target_type}:{event.target}"
    return (
        utc(event.at),
        event.event,
        actor,
        event.actor.address or "-",
        target,
        details_text(event.details),
    )


def audit(
    since: Annotated[
        str | None,
        typer.Option(
            metavar="WHEN", help="Only events at or after WHEN: 2026-12-01T14:00, 2026-12-01, 2h."
        ),
    ] = None,
    until: Annotated[
        str | None, typer.Option(metavar="WHEN", help="Only events before WHEN.")
    ] = None,
    event: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help="Only this event (sign_in.failed), or every event of a subject (client).",
        ),
    ] = None,
    actor: Annotated[
        str | None,
        typer.Option(metavar="NAME", help="Only events by this actor (an e-mail, a client id)."),
    ] = None,
    target: Annotated[
        str | None,
        typer.Option(
            metavar="NAME", help="Only events about this target (an e-mail, a client id, a kid)."
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option(metavar="N", min=1, max=MAX_PAGE, help="Events per page.")
    ] = 50,
    cursor: Annotated[
        str | None,
        typer.Option(metavar="CURSOR", help="Continue after a page: its next_cursor."),
    ] = None,
    as_json: JsonOption = False,
    config: ConfigOption = None,
    profile: ProfileOption = None,
) -> None:
    """Show the audit log, newest first: sign-ins, consents, token reuse, changes to
    clients, keys, users and spaces, with who made them and from where."""
    before = None
    if cursor is not None:
        if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 19):
            fail(f"--cursor {cursor[:40]!r} is not a cursor that authgate audit printed")
        before = int(cursor)
    now = int(time.time())
    query = AuditQuery(
        limit=limit,
        before=before,
        since=None if since is None else parse_when(since, now, "--since"),
        until=None if until is None else parse_when(until, now, "--until"),
        event=event,
        actor=actor,
        target=target,
    )
    settings = settings_from(config, profile)

    async def work(services: Services) -> tuple[list[AuditEvent], int | None]:
        page = await services.audit.page(query)
        return page.events, page.next_cursor

    events, next_cursor = run_with(settings, work)
    more = None if next_cursor is None else str(next_cursor)
    if as_json:
        data = {"events": [e.to_dict() for e in events], "next_cursor": more}
        typer.echo(json.dumps(data, indent=2))
        return
    if not events:
        typer.echo("no audit events" + (" match" if since or until or event or actor else ""))
        return
    header = ("TIME", "EVENT", "ACTOR", "ADDRESS", "TARGET", "DETAILS")
    typer.echo(table(header, [event_row(e) for e in events]))
    if more is not None:
        typer.echo(f"\nolder events: add --cursor {more}")
