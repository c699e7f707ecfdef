"""Renaming a space, changing its domains and deleting it. The values are checked with
the rules of ``authgate space create`` (``protocol/space_fields``); each change is made
only while the space is as the caller read it, drops every worker's cached spaces and
tokens (``Invalidation.changed``), and is recorded in the audit log with the
administrator."""

from __future__ import annotations

from collections.abc import Iterable

from authgate.audit.events import SPACE_DELETED, SPACE_UPDATED, Actor
from authgate.audit.log import AuditLog
from authgate.domain import Space
from authgate.invalidation import Invalidation
from authgate.protocol import space_fields
from authgate.protocol.admin.errors import Conflict, PreconditionFailed
from authgate.protocol.admin.spaces import SpaceError
from authgate.storage.base import DomainTaken, SpaceChanged, SpaceEditStore


class SpaceEdits:
    def __init__(
        self,
        store: SpaceEditStore,
        invalidation: Invalidation,
        audit: AuditLog,
        *,
        issuer: str,
        base_domain: str | None,
    ) -> None:
        self._store = store
        self._invalidation = invalidation
        self._audit = audit
        self._issuer = issuer
        self._base_domain = base_domain

    def checked(self, name: str, domains: Iterable[str]) -> tuple[str, tuple[str, ...]]:
        """The name and domains as stored; :class:`SpaceError` naming the bad one."""
        try:
            title = space_fields.name(name, "space name")
            hosts = tuple(
                dict.fromkeys(
                    space_fields.domain(d, self._issuer, self._base_domain) for d in domains
                )
            )
        except ValueError as exc:
            raise SpaceError(str(exc)) from None
        if title is None:
            raise SpaceError("the space name must not be empty")
        return title, hosts

    async def update(self, seen: Space, name: str, domains: Iterable[str], *, actor: Actor) -> None:
        title, hosts = self.checked(name, domains)
        try:
            await self._store.update(seen, title, hosts)
        except SpaceChanged:
            raise PreconditionFailed("the space changed since it was read") from None
        except DomainTaken as exc:
            raise Conflict(f"another space serves {exc.args[0]!r}") from None
        await self._invalidation.changed()
        changed: dict[str, object] = {}
        if title != seen.name:
            changed.update(previous_name=seen.name, name=title)
        if set(hosts) != set(seen.domains):
            changed.update(previous_domains=list(seen.domains), domains=list(hosts))
        if changed:
            self._audit.record(
                SPACE_UPDATED, actor, target_type="space", target=seen.slug, **changed
            )

    async def delete(self, seen: Space, *, actor: Actor) -> None:
        """Delete the space and what belongs to it (memberships, sessions, tokens bound to
        it, consents on its issuer); its issuer answers 404 from then on."""
        try:
            await self._store.delete(seen)
        except SpaceChanged:
            raise PreconditionFailed("the space changed since it was read") from None
        await self._invalidation.changed()
        self._audit.record(
            SPACE_DELETED, actor, target_type="space", target=seen.slug, name=seen.name
        )
