"""The audit log's store over SQLite and PostgreSQL: append in batches, page by cursor,
delete what is older than the retention."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, cast

from authgate.audit.events import (
    Actor,
    ActorType,
    AuditEvent,
    AuditPage,
    AuditQuery,
    NewAuditEvent,
    TargetType,
)
from authgate.storage.sql.driver import Database, Row
from authgate.text import storable

_COLUMNS = "id, at, event, actor_type, actor, address, target_type, target, request_id, details"
_INSERT = (
    "INSERT INTO audit_events (at, event, actor_type, actor, address, target_type, target, "
    "request_id, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
)
#: the most events one page holds
MAX_PAGE = 1000


def _event(row: Row) -> AuditEvent:
    try:
        details = json.loads(row["details"])
    except ValueError:
        details = {}
    return AuditEvent(
        id=row["id"],
        at=row["at"],
        event=row["event"],
        actor=Actor(cast(ActorType, row["actor_type"]), row["actor"], row["address"]),
        target_type=cast(TargetType | None, row["target_type"]),
        target=row["target"],
        request_id=row["request_id"],
        details=details if isinstance(details, dict) else {},
    )


def _values(event: NewAuditEvent) -> tuple[Any, ...]:
    return (
        event.at,
        event.event,
        event.actor.type,
        event.actor.name,
        event.actor.address,
        event.target_type,
        event.target,
        event.request_id,
        json.dumps(event.details, separators=(",", ":"), sort_keys=True),
    )


class SqlAuditStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def append(self, events: Sequence[NewAuditEvent]) -> None:
        """Write ``events`` in one transaction (one commit for a whole batch)."""
        if not events:
            return
        async with self._db.transaction() as tx:
            for event in events:
                await tx.execute(_INSERT, *_values(event))

    async def page(self, query: AuditQuery) -> AuditPage:
        where: list[str] = []
        args: list[Any] = []

        def add(condition: str, value: Any) -> None:
            args.append(value)
            where.append(condition.replace("?", f"${len(args)}"))

        if query.before is not None:
            add("id < ?", query.before)
        if query.since is not None:
            add("at >= ?", query.since)
        if query.until is not None:
            add("at < ?", query.until)
        for name, value in (("actor", query.actor), ("target", query.target)):
            if value is not None:
                if not storable(value):
                    return AuditPage([], None)
                add(f"{name} = ?", value)
        if query.event is not None:
            if not storable(query.event):
                return AuditPage([], None)
            if "." in query.event:
                add("event = ?", query.event)
            else:
                # A subject alone: every event of it ("client" → "client.created" …).
                prefix = query.event + "."
                args.append(len(prefix))
                add(f"substr(event, 1, ${len(args)}) = ?", prefix)
        limit = max(1, min(query.limit, MAX_PAGE))
        sql = f"SELECT {_COLUMNS} FROM audit_events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        args.append(limit + 1)
        sql += f" ORDER BY id DESC LIMIT ${len(args)}"
        rows = await self._db.fetch(sql, *args)
        events = [_event(row) for row in rows[:limit]]
        more = len(rows) > limit
        return AuditPage(events, events[-1].id if more and events else None)

    async def delete_before(self, before: int) -> int:
        """Delete the events that happened before ``before`` (the retention)."""
        return await self._db.execute("DELETE FROM audit_events WHERE at < $1", before)
