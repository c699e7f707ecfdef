"""The console's spaces (``/admin/spaces``): the list, creating a space, a space's page
with its members, adding a member, changing a member's role and revoked scopes at the
revision the form was shown at, and removing a member (after a confirmation page)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from authgate.domain import Membership, Role, Space, User, UserId
from authgate.errors import OAuthError
from authgate.protocol.admin.errors import Conflict, NotFound, PreconditionFailed
from authgate.protocol.admin.spaces import SpaceError
from authgate.protocol.user_admin import AccountError
from authgate.web.admin_console.base import (
    CONSOLE,
    STALE,
    ConsoleBase,
    revision_of,
)
from authgate.web.pages.signed_in import PageForm, SignedIn
from authgate.web.pages.signed_in_pages import actor_of
from authgate.web.pages.site import Site

SPACES = CONSOLE + "/spaces"
_ROLES: tuple[Role, ...] = ("member", "admin")


def space_path(space: Space, tail: str = "") -> str:
    return f"{SPACES}/{space.slug}{tail}"


def space_revision(space: Space) -> str:
    """What the space's forms carry as its revision: a digest of what can change in it
    (spaces have no revision column)."""
    shown = json.dumps([space.name, sorted(space.domains)])
    return hashlib.sha256(shown.encode()).hexdigest()[:20]


def role_of(text: str) -> Role | None:
    return next((role for role in _ROLES if role == text), None)


class SpacePages(ConsoleBase):
    async def _space(
        self, request: Request, tail: str = ""
    ) -> tuple[Site, SignedIn, Space] | Response:
        slug = request.path_params.get("slug", "")[:63]
        return await self._found(request, f"{SPACES}/{slug}{tail}", lambda: self._find(slug))

    async def _find(self, slug: str) -> Space | None:
        try:
            return await self._services.space_admin.get(slug[:63])
        except NotFound:
            return None

    async def _posted_space(
        self, request: Request, tail: str = ""
    ) -> tuple[Site, SignedIn, PageForm, Space] | Response:
        slug = request.path_params.get("slug", "")[:63]
        found = await self._posted_found(
            request, f"{SPACES}/{slug}{tail}", lambda: self._find(slug)
        )
        if isinstance(found, Response):
            return found
        site, me, form, space = found
        if space is None:
            return self.not_found(request)
        return site, me, form, space

    async def _member_of(self, request: Request, space: Space) -> tuple[User, Membership] | None:
        raw = request.path_params.get("user_id", "")
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
            return None
        user = await self._services.users.by_id(UserId(int(raw)))
        if user is None:
            return None
        member = await self._services.space_admin.membership(space, user)
        return None if member is None else (user, member)

    # ------------------------------------------------------------------ spaces

    async def list(self, request: Request) -> Response:
        gate = await self._gate(request, SPACES)
        if isinstance(gate, Response):
            return gate
        site, me = gate
        return await self._list(request, site, me, {}, {})

    async def _list(
        self,
        request: Request,
        site: Site,
        me: SignedIn,
        form: dict[str, str],
        errors: dict[str, str],
    ) -> Response:
        spaces = sorted(await self._services.space_admin.all(), key=lambda s: s.slug)
        issuers = self._services.issuers
        return self._page(
            request,
            site,
            me,
            "admin_spaces.html",
            400 if errors else 200,
            area="spaces",
            notice="" if errors else self._notice(request, me).get("notice", ""),
            spaces=[(s, issuers.space_issuer(s).url) for s in spaces],
            form=form,
            errors=errors,
        )

    async def create(self, request: Request) -> Response:
        found = await self._posted(request, SPACES)
        if isinstance(found, Response):
            return found
        site, me, posted = found
        typed = {k: posted.get(k) for k in ("slug", "name", "domains")}
        domains = [d.strip() for d in typed["domains"].replace(",", "\n").splitlines() if d.strip()]
        try:
            space = await self._services.space_admin.create(
                typed["slug"].strip(), typed["name"], domains, actor=actor_of(request, me)
            )
        except (SpaceError, Conflict) as exc:
            text = exc.description or ""
            field = (
                "slug"
                if text.startswith(("slug", "a space with slug"))
                else ("name" if "name" in text else "domains")
            )
            return await self._list(request, site, me, typed, {field: text})
        return self._done(
            site, me, space_path(space), notice=f"The space {space.name} was created."
        )

    async def show(self, request: Request) -> Response:
        found = await self._space(request)
        if isinstance(found, Response):
            return found
        site, me, space = found
        return await self._show(request, site, me, space, {}, {})

    async def _show(
        self,
        request: Request,
        site: Site,
        me: SignedIn,
        space: Space,
        form: dict[str, str],
        errors: dict[str, str],
        status: int | None = None,
    ) -> Response:
        members = []
        for member in await self._services.space_admin.members(space):
            user = await self._services.users.by_id(member.user_id)
            if user is not None:
                members.append((user, member))
        return self._page(
            request,
            site,
            me,
            "admin_space.html",
            status or (400 if errors else 200),
            area="spaces",
            notice="" if errors else self._notice(request, me).get("notice", ""),
            space=space,
            issuer=self._services.issuers.space_issuer(space).url,
            members=members,
            catalog=sorted(self._services.settings.scope_catalog.items()),
            form=form,
            errors=errors,
            space_revision=space_revision(space),
        )

    # ------------------------------------------------------------------ members

    async def add_member(self, request: Request) -> Response:
        found = await self._posted_space(request)
        if isinstance(found, Response):
            return found
        site, me, posted, space = found
        typed = {"email": posted.get("email"), "role": posted.get("role", "member")}
        role = role_of(typed["role"])
        try:
            user = await self._services.user_admin.find(typed["email"])
        except AccountError:
            return await self._show(
                request, site, me, space, typed, {"email": "No user has this e-mail address."}
            )
        if role is None:
            return await self._show(request, site, me, space, typed, {"role": "Choose a role."})
        if await self._services.space_admin.membership(space, user) is not None:
            errors = {"email": f"{user.email} is a member already; change them below."}
            return await self._show(request, site, me, space, typed, errors)
        # Two adds sent at once: the second replaces the first's row with the same values.
        await self._services.space_admin.put_member(
            space, user, actor=actor_of(request, me), role=role
        )
        return self._done(site, me, space_path(space), notice=f"{user.email} was added.")

    async def update_member(self, request: Request) -> Response:
        found = await self._posted_space(request)
        if isinstance(found, Response):
            return found
        site, me, posted, space = found
        held = await self._member_of(request, space)
        if held is None:
            return self._done(site, me, space_path(space), notice="That member is gone.")
        user, member = held
        if revision_of(posted) != member.revision:
            return await self._stale(request, site, me, space, user)
        role = role_of(posted.get("role"))
        if role is None:
            errors = {f"role-{user.id}": "Choose a role."}
            return await self._show(request, site, me, space, {}, errors)
        revoked = set(posted.get("revoked_scopes").split())
        try:
            await self._services.space_admin.update_member(
                space,
                user,
                actor=actor_of(request, me),
                role=role,
                revoke=sorted(revoked - member.revoked_scopes),
                restore=sorted(member.revoked_scopes - revoked),
                revision=member.revision,
            )
        except PreconditionFailed:
            return await self._stale(request, site, me, space, user)
        except NotFound:
            return self._done(site, me, space_path(space), notice="That member is gone.")
        except OAuthError as exc:
            errors = {f"scopes-{user.id}": exc.description or "not a scope of the catalog"}
            return await self._show(request, site, me, space, {}, errors)
        return self._done(site, me, space_path(space), notice=f"{user.email} was saved.")

    async def _stale(
        self, request: Request, site: Site, me: SignedIn, space: Space, user: User
    ) -> Response:
        errors = {f"member-{user.id}": f"{user.email}'s membership {STALE}"}
        return await self._show(request, site, me, space, {}, errors, 409)

    def _ask(
        self, request: Request, site: Site, me: SignedIn, space: Space, **context: Any
    ) -> Response:
        crumbs = [("Spaces", SPACES), (space.name, space_path(space))]
        return self._confirm(request, site, me, area="spaces", crumbs=crumbs, status=409, **context)

    async def confirm_remove(self, request: Request) -> Response:
        found = await self._space(request)
        if isinstance(found, Response):
            return found
        site, me, space = found
        held = await self._member_of(request, space)
        if held is None:
            return self.not_found(request)
        user, member = held
        return self._ask(
            request,
            site,
            me,
            space,
            title=f"Remove {user.email} from {space.name}?",
            message="They lose the space's rights at once: tokens bound to the space stop "
            "working for them. Their account stays.",
            action=space_path(space, f"/members/{user.id}/remove"),
            button="Remove member",
            revision=member.revision,
        )

    async def remove_member(self, request: Request) -> Response:
        found = await self._posted_space(request)
        if isinstance(found, Response):
            return found
        site, me, posted, space = found
        held = await self._member_of(request, space)
        if held is None:  # removed already (a form sent twice)
            return self._done(site, me, space_path(space))
        user, member = held
        try:
            await self._services.space_admin.remove_member(
                space, user, actor=actor_of(request, me), revision=revision_of(posted)
            )
        except PreconditionFailed:
            return self._ask(
                request,
                site,
                me,
                space,
                title=f"Remove {user.email} from {space.name}?",
                message="Their role or rights changed meanwhile; check the space's page.",
                action=space_path(space, f"/members/{user.id}/remove"),
                button="Remove member",
                revision=member.revision,
                error="The membership changed meanwhile: confirm again to remove it as it is now.",
            )
        except NotFound:
            pass
        return self._done(site, me, space_path(space), notice=f"{user.email} was removed.")
