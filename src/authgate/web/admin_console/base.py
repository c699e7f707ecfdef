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

from authgate.audit.events import Actor
from authgate.services import Services
from authgate.web.context import request_context
from authgate.web.pages.account import login_url
from authgate.web.pages.render import Pages
from authgate.web.pages.signed_in import Flash, PageForm, SignedIn, checked_form, signed_in
from authgate.web.pages.site import Site, site_of

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


def actor_of(request: Request, me: SignedIn) -> Actor:
    """The signed-in administrator, as the audit log names them."""
    return Actor("user", me.user.email, request_context(request).client_address)


class ConsoleBase:
    """The console's shared steps; one subclass per resource page."""

    def __init__(self, services: Services, pages: Pages) -> None:
        self._services = services
        self._pages = pages
        self._flash = Flash(services.box)

    def not_found(self, request: Request) -> Response:
        site = site_of(request)
        return self._pages.render(site.issuer, "not_found.html", 404, home=site.url("/"))

    async def _gate(self, request: Request, back: str) -> tuple[Site, SignedIn] | Response:
        """The signed-in administrator, or the answer instead: a 404 on a space's issuer,
        the sign-in page (continuing to ``back``) for anyone signed out, a 403 page for
        anyone without the admin role."""
        site = site_of(request)
        if site.issuer.space is not None:
            return self.not_found(request)
        me = await signed_in(self._services, request, site)
        if me is None:
            return self._pages.redirect(site.issuer, login_url(site, back))
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

    def _page(
        self,
        request: Request,
        site: Site,
        me: SignedIn,
        template: str,
        status: int = 200,
        *,
        area: str,
        images: tuple[str | None, ...] = (),
        notice: str = "",
        **context: Any,
    ) -> Response:
        """A console page; ``area`` is the console's nav entry it belongs to."""
        response = self._pages.render_page(
            site.issuer,
            template,
            status,
            images=images,
            script=True,
            uses_script=True,
            section="admin",
            area=area,
            user=me.user,
            notice=notice,
            csrf_token=self._services.csrf.token(me.token, PURPOSE),
            logout_csrf_token=self._services.csrf.token(me.token, "logout"),
            **context,
        )
        Flash.clear(request, response, self._pages.framing.cookies(site.issuer))
        return response

    async def _posted(
        self, request: Request, back: str
    ) -> tuple[Site, SignedIn, PageForm] | Response:
        """A form posted by the signed-in administrator (its CSRF token checked), or the
        answer instead: the gate's (continuing to ``back``), or the page saying the form
        is bad."""
        gate = await self._gate(request, back)
        if isinstance(gate, Response):
            return gate
        site, me = gate
        form = await checked_form(self._services, self._pages, request, site, me, PURPOSE)
        if isinstance(form, Response):
            return form
        return site, me, form

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

    def _done(self, site: Site, me: SignedIn, path: str, **flash: str) -> Response:
        """The redirect after a POST, with a notice (or a secret) for the next page."""
        response = self._pages.redirect(site.issuer, path)
        if flash:
            flags = self._pages.framing.cookies(site.issuer)
            self._flash.put(response, flags, me.user, **flash)
        return response

    def _notice(self, request: Request, me: SignedIn) -> dict[str, Any]:
        return self._flash.take(request, me.user)
