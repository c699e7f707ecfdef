"""Recording audit events without slowing the request that causes them.

:meth:`AuditLog.record` is a plain call: it cleans the event and queues it. A writer task
(:meth:`AuditLog.run`, in the server's lifespan) appends what is queued in one transaction
per batch, after the request that caused it has been answered; the CLI writes its events
when it closes (:meth:`AuditLog.close`), before it prints its result. While the database is
unreachable, events wait in memory (at most :attr:`AuditLog.max_pending`; the oldest are
dropped beyond that, counted and logged) and are written once it answers.

The writer also deletes events older than the retention (``audit_retention_days``), once an
hour. An event lost to a crash is one not yet written: at most the last moment's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from authgate.audit.events import (
    Actor,
    AuditPage,
    AuditQuery,
    NewAuditEvent,
    TargetType,
    clean_details,
    storable_text,
)
from authgate.logs import REQUEST_ID
from authgate.redis_pool import OutageLog
from authgate.storage.base import AuditStore

log = logging.getLogger("authgate.audit")

Observer = Callable[[NewAuditEvent], None]
DAY = 86400


class AuditLog:
    #: events written in one transaction at most
    BATCH = 500
    #: seconds between attempts while the database does not answer
    BACKOFF = (0.25, 0.5, 1.0, 2.0, 5.0)
    #: seconds between deletions of events past the retention, and before the first (not
    #: while a server starts)
    PRUNE_EVERY = 3600.0
    PRUNE_FIRST = 60.0

    def __init__(
        self,
        store: AuditStore,
        clock: Callable[[], float],
        *,
        retention_days: int = 0,
        max_pending: int = 10_000,
    ) -> None:
        self._store = store
        self._clock = clock
        self.retention_days = retention_days
        self.max_pending = max_pending
        self._pending: deque[NewAuditEvent] = deque()
        self._wake = asyncio.Event()
        self._flushing = asyncio.Lock()
        self._observers: list[Observer] = []
        self._stopping = False
        #: events dropped because too many were waiting for the database
        self.dropped = 0
        self._outage = OutageLog(
            log,
            "audit log (database)",
            f"events wait in memory (at most {max_pending}) until it answers",
        )

    def observe(self, observer: Observer) -> None:
        """``observer(event)`` runs for every event recorded (metrics count them)."""
        self._observers.append(observer)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def record(
        self,
        event: str,
        actor: Actor,
        *,
        target_type: TargetType | None = None,
        target: object = None,
        **details: Any,
    ) -> None:
        """Queue one event. Never raises, never waits: the caller's work is done already."""
        try:
            new = NewAuditEvent(
                at=int(self._clock()),
                event=event,
                actor=Actor(
                    actor.type,
                    None if actor.name is None else storable_text(actor.name),
                    None if actor.address is None else storable_text(actor.address, 64),
                ),
                target_type=target_type,
                target=None if target is None else storable_text(target),
                details=clean_details(details),
                request_id=REQUEST_ID.get(),
            )
        except Exception:  # a bug here must not fail the request that was audited
            log.exception("could not record the audit event %s", event)
            return
        for observer in self._observers:
            try:
                observer(new)
            except Exception:
                log.exception("audit observer failed on %s", event)
        if len(self._pending) >= self.max_pending:
            self._pending.popleft()
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.error(
                    "audit log: %d events dropped, the database is not answering", self.dropped
                )
        self._pending.append(new)
        self._wake.set()

    async def flush(self) -> None:
        """Write every queued event now; raises what the store raised if it could not
        (the events stay queued). One flush at a time: when it returns, what was recorded
        before it is written, also a batch the writer task had taken already (the admin
        API's audit page reads right after)."""
        async with self._flushing:
            await self._flush()

    async def _flush(self) -> None:
        while self._pending:
            batch = [self._pending.popleft() for _ in range(min(self.BATCH, len(self._pending)))]
            try:
                await self._store.append(batch)
            except Exception:
                if not await self._one_by_one(batch):
                    raise
            self._outage.succeeded()

    async def _one_by_one(self, batch: list[NewAuditEvent]) -> bool:
        """A batch failed: write its events alone. One the database refuses while others
        go in is dropped (and logged); if none goes in, the database is away: the batch
        goes back to the queue's head, in order, and False is returned."""
        written = False
        failed: list[NewAuditEvent] = []
        for event in batch:
            try:
                await self._store.append([event])
                written = True
            except Exception:
                failed.append(event)
        if not written:
            self._pending.extendleft(reversed(batch))
            return False
        for event in failed:
            log.error("audit log: the database refused an event %s; dropped", event.event)
        return True

    async def page(self, query: AuditQuery) -> AuditPage:
        """Events as stored (those still queued are not yet: :meth:`flush` first)."""
        return await self._store.page(query)

    async def prune(self) -> int:
        """Delete the events past the retention; 0 when events are kept forever."""
        if self.retention_days <= 0:
            return 0
        return await self._store.delete_before(int(self._clock()) - self.retention_days * DAY)

    async def run(self) -> None:
        """Until :meth:`stop`: write what is queued, soon after it is; prune hourly."""
        loop = asyncio.get_running_loop()
        next_prune = loop.time() + self.PRUNE_FIRST
        failures = 0
        while not self._stopping:
            timeout = max(0.0, next_prune - loop.time())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
            self._wake.clear()
            try:
                await self.flush()
                if loop.time() >= next_prune:
                    next_prune = loop.time() + self.PRUNE_EVERY
                    pruned = await self.prune()
                    if pruned:
                        log.info("audit log: deleted %d events past the retention", pruned)
            except Exception as exc:
                self._outage.failed(exc)
                await asyncio.sleep(self.BACKOFF[min(failures, len(self.BACKOFF) - 1)])
                failures += 1
                self._wake.set()  # try again
            else:
                failures = 0

    async def stop(self, writer: asyncio.Task[None] | None) -> None:
        """End the writer, then write what is left (a last attempt)."""
        self._stopping = True
        self._wake.set()
        if writer is not None:
            await asyncio.wait({writer}, timeout=5)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer
        await self.close()

    async def close(self) -> None:
        """Write what is queued (the CLI's events); log, never raise, if it cannot."""
        try:
            await self.flush()
        except Exception as exc:
            log.error(
                "audit log: %d events could not be written (%s)",
                len(self._pending),
                type(exc).__name__,
            )
