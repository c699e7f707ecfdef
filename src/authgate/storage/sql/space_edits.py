"""Renaming a space, changing its custom domains and deleting it (SpaceEditStore):
each only while the space is as the administrator's form showed it (its name and domains),
checked in the write's own transaction. Spaces have no revision column; what they hold
that can change is the name and the domains, so those are the revision.

Deleting a space deletes, by the schema's cascades, its domains, memberships, sessions,
codes and the tokens bound to it; consents on its issuer go too."""

from __future__ import annotations

from typing import Any

from authgate.domain import Space
from authgate.storage.base import DomainTaken, SpaceChanged
from authgate.storage.sql.driver import Database


class SqlSpaceEdits:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def _hold(self, tx: Any, seen: Space) -> None:
        """Lock the space's row (PostgreSQL; SQLite's write transaction is exclusive) and
        check it is as ``seen``, else :class:`SpaceChanged`."""
        held = await tx.execute(
            "UPDATE spaces SET name = name WHERE id = $1 AND name = $2", seen.id, seen.name
        )
        rows = await tx.fetch("SELECT domain FROM space_domains WHERE space_id = $1", seen.id)
        if not held or {row["domain"] for row in rows} != set(seen.domains):
            raise SpaceChanged(seen.slug)

    async def update(self, seen: Space, name: str, domains: tuple[str, ...]) -> None:
        async with self._db.transaction() as tx:
            await self._hold(tx, seen)
            for domain in domains:
                other = await tx.fetchval(
                    "SELECT space_id FROM space_domains WHERE domain = $1", domain
                )
                if other is not None and other != seen.id:
                    raise DomainTaken(domain)
            await tx.execute("UPDATE spaces SET name = $1 WHERE id = $2", name, seen.id)
            await tx.execute("DELETE FROM space_domains WHERE space_id = $1", seen.id)
            for domain in domains:
                await tx.execute(
                    "INSERT INTO space_domains (domain, space_id) VALUES ($1, $2)",
                    domain,
                    seen.id,
                )

    async def delete(self, seen: Space) -> None:
        async with self._db.transaction() as tx:
            await self._hold(tx, seen)
            await tx.execute("DELETE FROM consents WHERE space_id = $1", seen.id)
            await tx.execute("DELETE FROM spaces WHERE id = $1", seen.id)
