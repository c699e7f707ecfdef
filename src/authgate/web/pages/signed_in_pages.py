"""The frame of the root issuer's signed-in pages with forms (the developer portal, the
admin console): the sign-in gate, the page with its CSRF tokens, checked forms, and the
redirect with a one-time notice after a POST. Each set of pages names its CSRF purpose
(a form of one does not pass in another) and its nav section."""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response

from authgate.audit.events import Actor
from authgate.services import Services
from authgate.web.context import request_context
from authgate.web.pages.account import login_url
from authgate.web.pages.render import Pages
from authgate.web.pages.signed_in import Flash, PageForm, SignedIn, checked_form, signed_in
from authgate.web.pages.site import Site, site_of


def actor_of(request: Request, me: SignedIn) -> Actor:
    """The signed-in person, as the audit log names them."""
    return Actor("user", me.user.email, request_context(request).client_address)


class SignedInPages:
    #: the CSRF purpose of these pages' forms
    purpose: ClassVar[str]
    #: base.html's nav entry these pages belong to
    section: ClassVar[str]
    #: form fields that may repeat (checkboxes)
    multi: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, services: Services, pages: Pages) -> None:
        self._services = services
        self._pages = pages
        self._flash = Flash(services.box)

    def not_found(self, request: Request) -> Response:
        site = site_of(request)
        return self._pages.render(site.issuer, "not_found.html", 404, home=site.url("/"))

    async def _gate(self, request: Request, back: str) -> tuple[Site, SignedIn] | Response:
        """The root issuer's signed-in person, or the answer instead: a 404 on a space's
        issuer, the sign-in page (continuing to ``back``) for anyone signed out."""
        site = site_of(request)
        if site.issuer.space is not None:
            return self.not_found(request)
        me = await signed_in(self._services, request, site)
        if me is None:
            return self._pages.redirect(site.issuer, login_url(site, back))
        return site, me

    def _page(
        self,
        request: Request,
        site: Site,
        me: SignedIn,
        template: str,
        status: int = 200,
        *,
        images: tuple[str | None, ...] = (),
        notice: str = "",
        **context: Any,
    ) -> Response:
        response = self._pages.render_page(
            site.issuer,
            template,
            status,
            images=images,
            script=True,
            uses_script=True,
            section=self.section,
            user=me.user,
            notice=notice,
            csrf_token=self._services.csrf.token(me.token, self.purpose),
            logout_csrf_token=self._services.csrf.token(me.token, "logout"),
            **context,
        )
        Flash.clear(request, response, self._pages.framing.cookies(site.issuer))
        return response

    async def _checked_form(
        self, request: Request, site: Site, me: SignedIn
    ) -> PageForm | Response:
        """The posted form, once its CSRF token is checked; else the page that says so."""
        return await checked_form(
            self._services, self._pages, request, site, me, self.purpose, self.multi
        )

    async def _posted(
        self, request: Request, back: str
    ) -> tuple[Site, SignedIn, PageForm] | Response:
        """A form posted by the signed-in person (its CSRF token checked), or the answer
        instead: the gate's (continuing to ``back``), or the page saying the form is bad."""
        gate = await self._gate(request, back)
        if isinstance(gate, Response):
            return gate
        site, me = gate
        posted = await self._checked_form(request, site, me)
        if isinstance(posted, Response):
            return posted
        return site, me, posted

    def _done(self, site: Site, me: SignedIn, path: str, **flash: str) -> Response:
        """The redirect after a POST, with a notice (or a secret) for the next page."""
        response = self._pages.redirect(site.issuer, path)
        if flash:
            flags = self._pages.framing.cookies(site.issuer)
            self._flash.put(response, flags, me.user, **flash)
        return response
