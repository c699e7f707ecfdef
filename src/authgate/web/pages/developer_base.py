"""What the developer portal's pages (``/developer``) share: the sign-in gate, the page
frame, checked forms, the redirect after a POST, and the app a request names, which must
be the signed-in person's own."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from authgate.domain import Client
from authgate.protocol.developer import AppForm
from authgate.services import Services
from authgate.web.pages.render import Pages, duration
from authgate.web.pages.signed_in import PageForm, SignedIn
from authgate.web.pages.signed_in_pages import SignedInPages
from authgate.web.pages.site import Site

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


class PortalBase(SignedInPages):
    purpose = PURPOSE
    section = "developer"
    multi = _MULTI

    def __init__(self, services: Services, pages: Pages) -> None:
        super().__init__(services, pages)
        self._portal = services.developer
        settings = services.settings
        self._authorize_url = settings.issuer + settings.authorize_endpoint
        self._token_url = settings.issuer + settings.token_endpoint

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
