"""A space's own settings in the console: renaming it and changing its domains at the
revision the form was shown at, and deleting it after typing its slug
(``services.space_edits``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from authgate.domain import Space
from authgate.protocol.admin.errors import Conflict, PreconditionFailed
from authgate.protocol.admin.spaces import SpaceError
from authgate.services import Services
from authgate.web.admin_console.base import STALE
from authgate.web.admin_console.spaces import SPACES, SpacePages, space_path, space_revision
from authgate.web.pages.render import Pages
from authgate.web.pages.signed_in import SignedIn
from authgate.web.pages.signed_in_pages import actor_of
from authgate.web.pages.site import Site


def domains_of(text: str) -> list[str]:
    return [d.strip() for d in text.replace(",", "\n").splitlines() if d.strip()]


class SpaceSettingsPages(SpacePages):
    def __init__(self, services: Services, pages: Pages) -> None:
        super().__init__(services, pages)
        self._edits = services.space_edits

    async def update(self, request: Request) -> Response:
        found = await self._posted_space(request)
        if isinstance(found, Response):
            return found
        site, me, posted, space = found
        typed = {"space_name": posted.get("space_name"), "domains": posted.get("domains")}
        stale = {"space_name": f"This space {STALE}"}
        if posted.get("revision") != space_revision(space):
            return await self._show(request, site, me, space, {}, stale, 409)
        try:
            await self._edits.update(
                space,
                typed["space_name"],
                domains_of(typed["domains"]),
                actor=actor_of(request, me),
            )
        except PreconditionFailed:
            fresh = await self._find(space.slug) or space
            return await self._show(request, site, me, fresh, {}, stale, 409)
        except (SpaceError, Conflict) as exc:
            text = exc.description or ""
            field = "space_name" if "name" in text else "domains"
            return await self._show(request, site, me, space, typed, {field: text})
        return self._done(site, me, space_path(space), notice="The space was saved.")

    async def confirm_delete(self, request: Request) -> Response:
        found = await self._space(request, "/delete")
        if isinstance(found, Response):
            return found
        site, me, space = found
        return self._delete_page(request, site, me, space, "", "")

    def _delete_page(
        self, request: Request, site: Site, me: SignedIn, space: Space, typed: str, error: str
    ) -> Response:
        return self._confirm(
            request,
            site,
            me,
            area="spaces",
            crumbs=[("Spaces", SPACES), (space.name, space_path(space))],
            title=f"Delete the space {space.name}?",
            message="This cannot be undone. Its issuer stops answering, its members lose "
            "their memberships, and every session, code and token bound to it, and every "
            "consent given on its issuer, is deleted. The users and clients stay.",
            action=space_path(space, "/delete"),
            button="Delete space",
            typed_name=space.slug,
            confirm=typed,
            error=error,
            hidden={"revision": space_revision(space)},
        )

    async def delete(self, request: Request) -> Response:
        slug = request.path_params.get("slug", "")[:63]
        found = await self._posted_found(
            request, f"{SPACES}/{slug}/delete", lambda: self._find(slug)
        )
        if isinstance(found, Response):
            return found
        site, me, posted, space = found
        if space is None:  # deleted already (a form sent twice)
            return self._done(site, me, SPACES)
        typed = posted.get("confirm")
        if typed.strip() != space.slug:
            return self._delete_page(request, site, me, space, typed, "Type the slug exactly.")
        stale = "The space changed meanwhile; check what the page says now and confirm again."
        if posted.get("revision") != space_revision(space):
            return self._delete_page(request, site, me, space, typed, stale)
        try:
            await self._edits.delete(space, actor=actor_of(request, me))
        except PreconditionFailed:
            fresh = await self._find(space.slug)
            if fresh is None:
                return self._done(site, me, SPACES)
            return self._delete_page(request, site, me, fresh, typed, stale)
        return self._done(site, me, SPACES, notice=f"The space {space.name} was deleted.")
