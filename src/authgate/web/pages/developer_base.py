"""What the developer portal's pages (``/developer``) share: the sign-in gate, the page
frame, checked forms, the redirect after a POST, and the app a request names, which must
be the signed-in person's own."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from authgate.audit.events import Actor
from authgate.domain import Client
from authgate.protocol.developer import AppForm
from authgate.services import Services
from authgate.web.context import request_context
from authgate.web.pages.account import login_url
from authgate.web.pages.render import Pages, duration
from authgate.web.pages.signed_in import Flash, PageForm, SignedIn, checked_form, signed_in
from authgate.web.pages.site import Site, site_of

PORTAL = "/developer"
APPS = "/developer/apps"
_MULTI = frozenset({"grant_types", "scopes"})
#: the CSRF purpose of every portal form
PURPOSE = "developer"


def app_path(client_id: str, tail: str = "") -> str:
    return f"{APPS}/{quote(client_id, safe='')}{tail}"


def app_form(form: PageForm) -> AppForm:
    return AppForm(
        name=form.get("name"),
        description=form.get("description"),
        homepage_url=form.get("homepage_url"),
        logo_url=form.get("logo_url"),
        privacy_url=form.get("privacy_url"),
        redirect_uris=form.get("redirect_uris"),
        public=form.get("client_type") == "public",
        grant_types=tuple(dict.fromkeys(form.all("grant_types"))),
        scopes=tuple(dict.fromkeys(form.all("scopes"))),
        token_lifetime=form.get("token_lifetime"),
    )


class PortalBase:
    def __init__(self, services: Services, pages: Pages) -> None:
        self._services = services
        self._portal = services.developer
        self._pages = pages
        self._flash = Flash(services.box)
        settings = services.settings
        self._authorize_url = settings.issuer + settings.authorize_endpoint
        self._token_url = settings.issuer + settings.token_endpoint

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

    def not_found(self, request: Request) -> Response:
        site = site_of(request)
        return self._pages.render(site.issuer, "not_found.html", 404, home=site.url("/"))

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
            section="developer",
            user=me.user,
            notice=notice,
            csrf_token=self._services.csrf.token(me.token, PURPOSE),
            logout_csrf_token=self._services.csrf.token(me.token, "logout"),
            **context,
        )
        Flash.clear(request, response, self._pages.framing.cookies(site.issuer))
        return response

    async def _form(self, request: Request, site: Site, me: SignedIn) -> PageForm | Response:
        """The posted form, once its CSRF token is checked; else the page that says so."""
        return await checked_form(self._services, self._pages, request, site, me, PURPOSE, _MULTI)

    def _done(self, site: Site, me: SignedIn, path: str, **flash: str) -> Response:
        response = self._pages.redirect(site.issuer, path)
        if flash:
            flags = self._pages.framing.cookies(site.issuer)
            self._flash.put(response, flags, me.user, **flash)
        return response

    async def _owned(self, me: SignedIn, request: Request) -> Client | None:
        return await self._portal.owned(me.user, request.path_params.get("client_id", ""))

    def _form_context(self) -> dict[str, Any]:
        lifetime = self._services.minter.default_access_lifetime
        return {
            "flows": self._portal.flows(),
            "base_flows": self._portal.base_flows(),
            "catalog": sorted(self._portal.catalog.items()),
            "lifetimes": self._portal.lifetimes,
            "default_lifetime": "never expire" if lifetime is None else duration(lifetime),
        }

    async def _owned_app(
        self, request: Request, tail: str = ""
    ) -> tuple[Site, SignedIn, Client] | Response:
        """The signed-in owner and the app the path names (at ``app_path(id, tail)``), or
        the answer instead: the gate's, or a 404 when the app is not theirs."""
        client_id = request.path_params.get("client_id", "")
        gate = await self._gate(request, app_path(client_id, tail))
        if isinstance(gate, Response):
            return gate
        site, me = gate
        client = await self._owned(me, request)
        if client is None:
            return self.not_found(request)
        return site, me, client

    async def _posted(
        self, request: Request, back: str
    ) -> tuple[Site, SignedIn, PageForm] | Response:
        """A form posted by the signed-in person (its CSRF token checked), or the answer
        instead: the gate's (continuing to ``back``), or the page saying the form is bad."""
        gate = await self._gate(request, back)
        if isinstance(gate, Response):
            return gate
        site, me = gate
        posted = await self._form(request, site, me)
        if isinstance(posted, Response):
            return posted
        return site, me, posted

    async def _app_post(
        self, request: Request, back: str
    ) -> tuple[Site, SignedIn, PageForm, Client | None] | Response:
        """A form posted about one app: the signed-in owner, the checked form, the app
        (``None`` when it is not theirs or no longer exists)."""
        client_id = request.path_params.get("client_id", "")
        found = await self._posted(request, app_path(client_id, back))
        if isinstance(found, Response):
            return found
        site, me, posted = found
        return site, me, posted, await self._owned(me, request)

    async def _owned_post(
        self, request: Request, back: str
    ) -> tuple[Site, SignedIn, PageForm, Client] | Response:
        """As :meth:`_app_post`, with a 404 when the app is not the owner's."""
        found = await self._app_post(request, back)
        if isinstance(found, Response):
            return found
        site, me, posted, client = found
        if client is None:
            return self.not_found(request)
        return site, me, posted, client


def actor_of(request: Request, me: SignedIn) -> Actor:
    """The signed-in developer, as the audit log names them."""
    return Actor("user", me.user.email, request_context(request).client_address)
