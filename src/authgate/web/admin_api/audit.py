"""``/audit``: the audit log, newest first, filtered as ``authgate audit`` filters it."""

import contextlib
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, Security
from pydantic import BaseModel

from authgate.audit.events import EVENT_CHARS, TEXT_CHARS, AuditQuery
from authgate.audit.log import AuditLog
from authgate.web.admin_api import paging
from authgate.web.admin_api.auth import AdminBearer, Caller

READ = ["authgate:audit:read"]
Time = Annotated[int | None, Query(ge=0, le=2**62, description="Unix time, in seconds.")]


class EventOut(BaseModel):
    id: int
    at: int
    event: str
    actor_type: str
    actor: str | None
    address: str | None
    target_type: str | None
    target: str | None
    request_id: str | None
    details: dict[str, Any]


def router(audit: AuditLog, bearer: AdminBearer) -> APIRouter:
    api = APIRouter(prefix="/audit", tags=["audit"])

    @api.get("", operation_id="listAuditEvents")
    async def list_events(
        request: Request,
        response: Response,
        caller: Annotated[Caller, Security(bearer, scopes=READ)],
        since: Time = None,
        until: Time = None,
        event: Annotated[
            str | None,
            Query(max_length=EVENT_CHARS, description="A name, or a subject: `client`."),
        ] = None,
        actor: Annotated[str | None, Query(max_length=TEXT_CHARS)] = None,
        target: Annotated[str | None, Query(max_length=TEXT_CHARS)] = None,
        limit: paging.Limit = 100,
        cursor: paging.Cursor = None,
    ) -> paging.Page[EventOut]:
        """Events newest first (``since`` and ``until`` bound their time)."""
        # What was just done is in the answer; if the database refuses, the writer
        # retries and the page shows what is stored.
        with contextlib.suppress(Exception):
            await audit.flush()
        page = await audit.page(
            AuditQuery(
                limit=limit,
                before=paging.one_key(cursor),
                since=since,
                until=until,
                event=event,
                actor=actor,
                target=target,
            )
        )
        next_cursor = None if page.next_cursor is None else paging.encode([page.next_cursor])
        paging.link_next(request, response, next_cursor)
        return paging.Page[EventOut](
            items=[EventOut(**e.to_dict()) for e in page.events], next_cursor=next_cursor
        )

    return api
