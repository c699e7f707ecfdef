"""The console's audit log (``/admin/audit``): events newest first, filtered by event
(a name, or its subject alone: ``client``), actor, target and a start date, a page at a
time (the cursor is the oldest event's id seen)."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

from authgate.audit.events import EVENT_CHARS, EVENTS, TEXT_CHARS, AuditQuery
from authgate.web.admin_console.base import CONSOLE, PAGE_SIZE, ConsoleBase, cursor, query_text

AUDIT = CONSOLE + "/audit"


def since_of(text: str) -> int | None:
    """``2026-12-01`` or ``2026-12-01T15:30`` (UTC) as a Unix time; ``None`` for anything
    else (the page says it was not understood)."""
    for shape in ("%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"):
        try:
            return int(datetime.strptime(text, shape).replace(tzinfo=UTC).timestamp())
        except ValueError:
            continue
    return None


class AuditPages(ConsoleBase):
    async def list(self, request: Request) -> Response:
        gate = await self._gate(request, AUDIT)
        if isinstance(gate, Response):
            return gate
        site, me = gate
        event = query_text(request, "event")[:EVENT_CHARS]
        actor = query_text(request, "actor")[:TEXT_CHARS]
        target = query_text(request, "target")[:TEXT_CHARS]
        since_text = query_text(request, "since")[:20]
        since = since_of(since_text) if since_text else None
        errors = (
            {"since": "Give a date as 2026-12-01, or 2026-12-01T15:30 (UTC)."}
            if (since_text and since is None)
            else {}
        )
        # What was just done is on the page; if the database refuses, the writer retries.
        with contextlib.suppress(Exception):
            await self._services.audit.flush()
        page = await self._services.audit.page(
            AuditQuery(
                limit=PAGE_SIZE,
                before=cursor(request, "before"),
                since=since,
                event=event or None,
                actor=actor or None,
                target=target or None,
            )
        )
        filters = {"event": event, "actor": actor, "target": target, "since": since_text}
        return self._page(
            request,
            site,
            me,
            "admin_audit.html",
            400 if errors else 200,
            area="audit",
            events=[(e, json.dumps(e.details, sort_keys=True)) for e in page.events],
            filters=filters,
            query={k: v for k, v in filters.items() if v},
            subjects=sorted({name.split(".")[0] for name in EVENTS}),
            event_names=EVENTS,
            errors=errors,
            first=cursor(request, "before") is None,
            next_before=page.next_cursor,
        )
