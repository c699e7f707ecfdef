"""What the admin console's pages (``/admin``) share: the gate (signed in on the root
issuer, with the server-admin role), the page frame and its navigation, checked forms,
the redirect with a one-time notice after a POST, and cursors of the lists.

The console is a set of pages over the admin services (``protocol/admin``, ``UserAdmin``,
``KeyRing``, ``AuditLog``), as the admin REST API is: every change goes through them with
the signed-in administrator as the audit log's actor."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from authgate.web.pages.signed_in import PageForm, SignedIn
from authgate.web.pages.signed_in_pages import SignedInPages
from authgate.web.pages.site import Site

T = TypeVar("T")
Find = Callable[[], Awaitable[T | None]]

CONSOLE = "/admin"
#: the CSRF purpose of every console form (a portal form's token does not pass here)
PURPOSE = "admin-console"
#: items per page of a list
PAGE_SIZE = 50
#: the longest search text or filter value a list takes (longer is cut)
MAX_QUERY = 200
#: the most a cursor may be (ids are below 2**62)
MAX_CURSOR = 2**62
STALE = (
    "changed meanwhile (another administrator, or another tab, saved it first). Nothing was "
    "saved: the form now shows what is stored. Make your change again if it still applies."
)


def cursor(request: Request, name: str = "after") -> int | None:
    """A list's cursor from the query string: the last id seen, or ``None`` (the first
    page) for anything that is not a plain non-negative number."""
    text = request.query_params.get(name, "")
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    value = int(text)
    return value if 0 < value < MAX_CURSOR else None


def query_text(request: Request, name: str) -> str:
    """A search or filter value from the query string, stripped, without control
    characters (PostgreSQL refuses NUL in text) and cut to its bound."""
    text = request.query_params.get(name, "")[: MAX_QUERY * 4]
    return "".join(c for c in text if c.isprintable()).strip()[:MAX_QUERY]


def revision_of(form: PageForm) -> int:
    """The revision a form was shown at (0, which no row has, when it is missing)."""
    text = form.get("revision")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else 0


class ConsoleBase(SignedInPages):
    """The console's shared steps; one subclass per resource page."""

    purpose = PURPOSE
    section = "admin"

    async def _gate(self, request: Request, back: str) -> tuple[Site, SignedIn] | Response:
        """The signed-in administrator, or the answer instead: the portal's (a 404 on a
        space's issuer, the sign-in page for anyone signed out), or a 403 page for anyone
        without the admin role."""
        gate = await super()._gate(request, back)
        if isinstance(gate, Response):
            return gate
        site, me = gate
        if not me.user.is_admin:
            return self._pages.render_page(
                site.issuer,
                "admin_forbidden.html",
                403,
                section="",
                user=me.user,
                logout_csrf_token=self._services.csrf.token(me.token, "logout"),
            )
        return site, me

    async def _found(
        self, request: Request, back: str, find: Find[T]
    ) -> tuple[Site, SignedIn, T] | Response:
        """The administrator and what the path names (``find()``), or the answer
        instead: the gate's (continuing to ``back``), or a 404 when there is no such thing."""
        gate = await self._gate(request, back)
        if isinstance(gate, Response):
            return gate
        found = await find()
        if found is None:
            return self.not_found(request)
        return (*gate, found)

    async def _posted_found(
        self, request: Request, back: str, find: Find[T]
    ) -> tuple[Site, SignedIn, PageForm, T | None] | Response:
        """A checked form about what the path names (``None``: it no longer exists, as
        when a form is sent twice)."""
        posted = await self._posted(request, back)
        if isinstance(posted, Response):
            return posted
        return (*posted, await find())

    def _confirm(
        self,
        request: Request,
        site: Site,
        me: SignedIn,
        *,
        area: str,
        crumbs: list[tuple[str, str]],
        status: int = 400,
        **context: Any,
    ) -> Response:
        """A confirmation page (``admin_confirm.html``): ``title``, ``message``,
        ``action``, ``button``, ``back``; optional ``typed_name`` to type, ``revision``,
        ``hidden`` fields; with an ``error``, answered with ``status``."""
        return self._page(
            request,
            site,
            me,
            "admin_confirm.html",
            status if context.get("error") else 200,
            area=area,
            crumbs=crumbs,
            back=crumbs[-1][1],
            **context,
        )

    def _notice(self, request: Request, me: SignedIn) -> dict[str, Any]:
        return self._flash.take(request, me.user)
