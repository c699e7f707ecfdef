"""Spaces (tenants) and their members as an administrator manages them, with the rules of
``authgate space``: slugs are DNS labels, domains are host names outside the issuer's,
members' profiles are checked as the account page checks them, and revoked scopes must be
in the catalog (a typo must not pass as a revoked right)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from authgate.audit.events import (
    SPACE_CREATED,
    SPACE_MEMBER_ADDED,
    SPACE_MEMBER_REMOVED,
    SPACE_MEMBER_UPDATED,
    Actor,
)
from authgate.audit.log import AuditLog
from authgate.domain import Membership, Role, Space, User
from authgate.errors import InvalidRequest
from authgate.protocol import space_fields
from authgate.protocol.admin.errors import Conflict, NotFound, PreconditionFailed
from authgate.protocol.issuers import valid_slug
from authgate.storage.base import RevisionMismatch, SlugTaken, SpaceStore

V = TypeVar("V")


class SpaceError(InvalidRequest):
    """A space or member value is not acceptable; the message says which and why."""


def _checked(check: Callable[..., V], *args: Any) -> V:
    try:
        return check(*args)
    except ValueError as exc:
        raise SpaceError(str(exc)) from None


class SpaceAdmin:
    def __init__(
        self,
        spaces: SpaceStore,
        audit: AuditLog,
        clock: Callable[[], float],
        *,
        issuer: str,
        base_domain: str | None,
        catalog: Mapping[str, str],
    ) -> None:
        self._spaces = spaces
        self._audit = audit
        self._clock = clock
        self._issuer = issuer
        self._base_domain = base_domain
        self._catalog = catalog

    async def create(self, slug: str, name: str, domains: Iterable[str], *, actor: Actor) -> Space:
        if not valid_slug(slug):
            raise SpaceError(
                f"slug {slug[:80]!r} must be a DNS label: 1 to 63 lowercase letters, digits "
                "or hyphens, not starting or ending with a hyphen"
            )
        title = _checked(space_fields.name, name, "space name")
        if title is None:
            raise SpaceError("the space name must not be empty")
        hosts = tuple(
            dict.fromkeys(
                _checked(space_fields.domain, d, self._issuer, self._base_domain) for d in domains
            )
        )
        try:
            space = await self._spaces.create(slug, title, hosts, int(self._clock()))
        except SlugTaken:
            these = " or one of these domains" if hosts else ""
            raise Conflict(f"a space with slug {slug!r}{these} already exists") from None
        self._audit.record(
            SPACE_CREATED,
            actor,
            target_type="space",
            target=space.slug,
            name=space.name,
            domains=list(space.domains),
        )
        return space

    async def all(self) -> list[Space]:
        return await self._spaces.all()

    async def get(self, slug: str) -> Space:
        space = await self._spaces.by_slug(slug) if valid_slug(slug) else None
        if space is None:
            raise NotFound(f"no space with slug {slug[:80]!r}")
        return space

    async def members(self, space: Space) -> list[Membership]:
        return await self._spaces.members(space.id)

    async def membership(self, space: Space, user: User) -> Membership | None:
        return await self._spaces.membership(space.id, user.id)

    async def member(self, space: Space, user: User) -> Membership:
        found = await self._spaces.membership(space.id, user.id)
        if found is None:
            raise NotFound(f"{user.email} is not a member of space {space.slug}")
        return found

    def _record(
        self, event: str, actor: Actor, space: Space, user: User, member: Membership | None
    ) -> None:
        rights: dict[str, Any] = {}
        if member is not None:
            rights = {"role": member.role, "revoked_scopes": sorted(member.revoked_scopes)}
        self._audit.record(
            event, actor, target_type="user", target=user.email, space=space.slug, **rights
        )

    async def put_member(
        self,
        space: Space,
        user: User,
        *,
        actor: Actor,
        role: Role | None = None,
        name: str | None = None,
        picture: str | None = None,
        phone_number: str | None = None,
        revision: int | None = None,
    ) -> tuple[Membership, bool]:
        """Add the user to the space, or change their membership (as ``space add-member``:
        values given replace the old ones, ``""`` clears one, values left out are kept).
        Returns the membership and whether it is new."""
        changes: dict[str, str | None] = {}
        if name is not None:
            changes["name"] = _checked(space_fields.name, name)
        if picture is not None:
            changes["picture"] = _checked(space_fields.picture, picture)
        if phone_number is not None:
            changes["phone_number"] = _checked(space_fields.phone, phone_number)
        old = await self._spaces.membership(space.id, user.id)
        if revision is not None and (old is None or old.revision != revision):
            raise PreconditionFailed("the membership changed since it was read")
        if old is None:
            new = Membership(
                space_id=space.id,
                user_id=user.id,
                role=role or "member",
                name=changes.get("name"),
                picture=changes.get("picture"),
                phone_number=changes.get("phone_number"),
                created_at=int(self._clock()),
            )
        else:
            new = dataclasses.replace(
                old,
                role=role or old.role,
                name=changes.get("name", old.name),
                picture=changes.get("picture", old.picture),
                phone_number=changes.get("phone_number", old.phone_number),
            )
        member = await self._write(new, revision)
        self._record(
            SPACE_MEMBER_ADDED if old is None else SPACE_MEMBER_UPDATED, actor, space, user, member
        )
        return member, old is None

    async def update_member(
        self,
        space: Space,
        user: User,
        *,
        actor: Actor,
        role: Role | None = None,
        revoke: Iterable[str] = (),
        restore: Iterable[str] = (),
        revision: int | None = None,
    ) -> Membership:
        """Change a member's role or revoked scopes (as ``space update-member``)."""
        revoked, restored = self._scope_names(revoke), self._scope_names(restore)
        if both := sorted(revoked & restored):
            raise SpaceError(f"scope {both[0]!r} is both revoked and restored: give it once")
        old = await self.member(space, user)
        if revision is not None and old.revision != revision:
            raise PreconditionFailed("the membership changed since it was read")
        member = await self._write(
            dataclasses.replace(
                old,
                role=role or old.role,
                revoked_scopes=(old.revoked_scopes - restored) | revoked,
            ),
            revision,
        )
        self._record(SPACE_MEMBER_UPDATED, actor, space, user, member)
        return member

    async def remove_member(
        self, space: Space, user: User, *, actor: Actor, revision: int | None = None
    ) -> None:
        await self.member(space, user)
        try:
            removed = await self._spaces.remove_member(space.id, user.id, revision)
        except RevisionMismatch:
            raise PreconditionFailed("the membership changed since it was read") from None
        if not removed:
            raise NotFound(f"{user.email} is not a member of space {space.slug}")
        self._record(SPACE_MEMBER_REMOVED, actor, space, user, None)

    async def _write(self, member: Membership, revision: int | None) -> Membership:
        try:
            return await self._spaces.add_member(member, revision)
        except RevisionMismatch:
            raise PreconditionFailed("the membership changed since it was read") from None

    def _scope_names(self, values: Iterable[str]) -> frozenset[str]:
        names = frozenset(name for value in values for name in value.split())
        if unknown := sorted(names - set(self._catalog)):
            raise SpaceError(
                f"unknown scope {unknown[0][:80]!r}; the catalog has {' '.join(self._catalog)}"
            )
        return names
