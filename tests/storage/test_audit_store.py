"""The audit store on every backend: append in batches, page newest first by cursor, filter,
delete past the retention; and the recorder in front of it."""

from __future__ import annotations

import asyncio
from typing import Any

from authgate.audit.events import (
    EVENT_CHARS,
    EVENTS,
    Actor,
    AuditQuery,
    NewAuditEvent,
    clean_details,
)
from authgate.audit.log import AuditLog
from authgate.storage.sql.audit import SqlAuditStore
from authgate.storage.sql.driver import Database

NOW = 1_800_000_000


def event(at: int, name: str = "sign_in.failed", **details: Any) -> NewAuditEvent:
    return NewAuditEvent(
        at=at,
        event=name,
        actor=Actor("user", f"u{at}@example.com", "192.0.2.1"),
        target_type="user",
        target=f"u{at}@example.com",
        details=details,
        request_id=f"req-{at}",
    )


async def test_append_and_read_back_newest_first(db: Database) -> None:
    store = SqlAuditStore(db)
    await store.append([event(NOW, reason="wrong_password"), event(NOW + 1, "client.created")])
    page = await store.page(AuditQuery())
    assert [e.event for e in page.events] == ["client.created", "sign_in.failed"]
    older = page.events[1]
    assert older.at == NOW and older.actor == Actor("user", f"u{NOW}@example.com", "192.0.2.1")
    assert older.details == {"reason": "wrong_password"}
    assert older.request_id == f"req-{NOW}"
    assert older.target == f"u{NOW}@example.com" and older.target_type == "user"
    assert page.events[0].id > older.id
    assert page.next_cursor is None


async def test_pages_by_cursor_without_gaps_or_repeats(db: Database) -> None:
    store = SqlAuditStore(db)
    await store.append([event(NOW + i) for i in range(25)])
    seen: list[int] = []
    cursor = None
    for _ in range(10):
        page = await store.page(AuditQuery(limit=10, before=cursor))
        seen += [e.at for e in page.events]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [NOW + i for i in reversed(range(25))]
    # Events written while paging appear on the first page, not in the middle of the walk.
    await store.append([event(NOW + 100)])
    first = await store.page(AuditQuery(limit=10))
    assert first.events[0].at == NOW + 100


async def test_filters(db: Database) -> None:
    store = SqlAuditStore(db)
    await store.append(
        [
            event(NOW, "sign_in.failed"),
            event(NOW + 10, "client.created"),
            event(NOW + 20, "client.deleted"),
            event(NOW + 30, "user.disabled"),
        ]
    )

    async def names(**query: Any) -> list[str]:
        return [e.event for e in (await store.page(AuditQuery(**query))).events]

    assert await names(event="client") == ["client.deleted", "client.created"]
    assert await names(event="client.created") == ["client.created"]
    assert await names(event="clien") == []
    assert await names(since=NOW + 10, until=NOW + 30) == ["client.deleted", "client.created"]
    assert await names(actor=f"u{NOW + 30}@example.com") == ["user.disabled"]
    assert await names(target=f"u{NOW}@example.com") == ["sign_in.failed"]
    assert await names(target="no\x00such") == []


async def test_delete_before_is_the_retention(db: Database) -> None:
    store = SqlAuditStore(db)
    await store.append([event(NOW), event(NOW + 5), event(NOW + 10)])
    assert await store.delete_before(NOW + 6) == 2
    assert [e.at for e in (await store.page(AuditQuery())).events] == [NOW + 10]


async def test_every_event_name_fits_its_column() -> None:
    assert len(set(EVENTS)) == len(EVENTS)
    assert max(map(len, EVENTS)) <= EVENT_CHARS


def test_every_event_constant_is_listed() -> None:
    """EVENTS is what the console's filter offers and the width tests cover: an event
    defined beside it but left out of it would be written yet unlisted."""
    from authgate.audit import events

    defined = {
        value
        for name, value in vars(events).items()
        if name.isupper() and isinstance(value, str) and "." in value and " " not in value
    }
    assert defined == set(EVENTS)


async def test_what_an_attacker_names_is_stored_as_given_or_cleaned(db: Database) -> None:
    """A failed sign-in records the name tried: NUL, lone surrogates and huge values are
    cleaned, so that no batch of events is refused by PostgreSQL."""
    clock = float(NOW)
    audit = AuditLog(SqlAuditStore(db), lambda: clock)
    audit.record(
        "sign_in.failed",
        Actor("user", "a\x00b\udcff" + "x" * 5000, "\x00"),
        target="t\x00",
        note="\x00\ud800",
        nested={"deep": ["\x00"]},
    )
    await audit.flush()
    (stored,) = (await audit.page(AuditQuery())).events
    assert stored.actor.name is not None and "\x00" not in stored.actor.name
    assert len(stored.actor.name) <= 320
    assert stored.target == "t\ufffd"
    assert "\x00" not in str(stored.details)


def test_details_never_keep_a_credential() -> None:
    cleaned = clean_details(
        {
            "password": "p",
            "client_secret": "s",
            "refresh_token": "r",
            "code": "c",
            "code_verifier": "v",
            "new_password": "n",
            "token_lifetime": 60,
            "access_token_format": "jwt",
            "scope": "read",
        }
    )
    assert cleaned == {
        "password": "[redacted]",
        "client_secret": "[redacted]",
        "refresh_token": "[redacted]",
        "code": "[redacted]",
        "code_verifier": "[redacted]",
        "new_password": "[redacted]",
        "token_lifetime": 60,
        "access_token_format": "jwt",
        "scope": "read",
    }


class FlakyStore(SqlAuditStore):
    """The real store, unreachable while ``down``."""

    down = False

    async def append(self, events: Any) -> None:
        if self.down:
            raise OSError("connection refused")
        await super().append(events)


async def test_events_wait_while_the_database_is_away_and_are_written_after(
    db: Database,
) -> None:
    store = FlakyStore(db)
    audit = AuditLog(store, lambda: float(NOW), max_pending=3)
    audit.BACKOFF = (0.01,)
    writer = asyncio.create_task(audit.run())
    try:
        store.down = True
        for i in range(5):
            audit.record("sign_in.failed", Actor("user", f"u{i}@example.com"))
        await asyncio.sleep(0.05)
        assert audit.pending == 3 and audit.dropped == 2  # the oldest two went
        store.down = False
        # The writer task writes them (pending drops to 0 as it takes a batch, before the
        # batch is committed: read until they are there, with room for a busy machine).
        names: list[str | None] = []
        for _ in range(500):
            names = [e.actor.name for e in (await audit.page(AuditQuery())).events]
            if names:
                break
            await asyncio.sleep(0.01)
        assert names == ["u4@example.com", "u3@example.com", "u2@example.com"]
        assert audit.pending == 0
    finally:
        await audit.stop(writer)


async def test_recording_is_cheap() -> None:
    """What a sign-in pays for its audit event: queueing it, a few microseconds."""

    class Nowhere:
        async def append(self, events: Any) -> None: ...

    audit = AuditLog(Nowhere(), lambda: float(NOW), max_pending=100_000)  # type: ignore[arg-type]
    actor = Actor("user", "ann@example.com", "192.0.2.1")
    loop = asyncio.get_running_loop()
    start = loop.time()
    for _ in range(10_000):
        audit.record("sign_in.succeeded", actor, target="ann@example.com", via="sign_in_page")
    per_event = (loop.time() - start) / 10_000
    assert per_event < 50e-6, per_event


async def test_retention_deletes_only_what_is_older(db: Database) -> None:
    store = SqlAuditStore(db)
    await store.append([event(NOW - 3 * 86400), event(NOW - 86400 + 60), event(NOW)])
    assert await AuditLog(store, lambda: float(NOW), retention_days=0).prune() == 0
    assert await AuditLog(store, lambda: float(NOW), retention_days=1).prune() == 1
    assert [e.at for e in (await store.page(AuditQuery())).events] == [NOW, NOW - 86400 + 60]
