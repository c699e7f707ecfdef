"""The developer portal (``/developer``): a signed-in person's apps, registering one, its
page (credentials, usage, snippets), editing, rotating its secret, its test token and
deleting it. Every form has a CSRF token and answers a POST with a redirect (or, for bad
input, the form again with a message next to each field and what was typed)."""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from authgate.audit.events import Actor
from authgate.crypto.tokens import matches
from authgate.domain import Client
from authgate.errors import OAuthError
from authgate.protocol.developer import AppForm, FieldErrors
from authgate.protocol.registration import RegistrationError
from authgate.services import Services
from authgate.web.context import request_context
from authgate.web.pages.account import login_url
from authgate.web.pages.render import Pages, duration
from authgate.web.pages.signed_in import Flash, PageForm, SignedIn, read_page_form, signed_in
from authgate.web.pages.site import Site, site_of
from authgate.web.pages.usage_chart import usage_chart

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


class DeveloperPages:
    def __init__(self, services: Services, pages: Pages) -> None:
        self._services = services
        self._portal = services.developer
        self._pages = pages
        self._flash = Flash(services.box)
        settings = services.settings
        self._authorize_url = settings.issuer + settings.authorize_endpoint
        self._token_url = settings.issuer + settings.token_endpoint

    # ---------------------------------------------------------------- shared

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
        try:
            form = await read_page_form(request, _MULTI)
        except OAuthError as exc:
            return self._pages.error(
                site.issuer,
                "This form could not be read",
                exc.description or "bad request",
                from_link=False,
            )
        if not self._services.csrf.check(me.token, PURPOSE, form.get("csrf_token")):
            return self._pages.error(
                site.issuer,
                "Please try again",
                "The form expired or did not come from this site.",
                403,
                from_link=False,
            )
        return form

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

    # ---------------------------------------------------------------- pages

    async def apps(self, request: Request) -> Response:
        gate = await self._gate(request, PORTAL)
        if isinstance(gate, Response):
            return gate
        site, me = gate
        notice = self._flash.take(request, me.user).get("notice", "")
        mine = await self._portal.mine(me.user)
        apps = [
            {
                "client": client,
                "last_used": last,
                "flows": [f.label for f in self._portal.usable(client)],
            }
            for client, last in mine
        ]
        return self._page(
            request,
            site,
            me,
            "developer_list.html",
            images=tuple(client.logo_url for client, _ in mine),
            notice=notice,
            apps=apps,
            issuer=self._services.settings.issuer,
            authorize_url=self._authorize_url,
            token_url=self._token_url,
        )

    async def new(self, request: Request) -> Response:
        gate = await self._gate(request, APPS + "/new")
        if isinstance(gate, Response):
            return gate
        site, me = gate
        default = AppForm(
            grant_types=("authorization_code", "refresh_token"),
            scopes=tuple(sorted(self._services.registry.default_scopes)),
        )
        return self._new_form(request, site, me, default, {})

    def _new_form(
        self, request: Request, site: Site, me: SignedIn, form: AppForm, errors: dict[str, str]
    ) -> Response:
        return self._page(
            request,
            site,
            me,
            "developer_form.html",
            400 if errors else 200,
            form=form,
            errors=errors,
            client=None,
            action=APPS,
            form_id=self._portal.forms.new_form_id(),
            **self._form_context(),
        )

    async def create(self, request: Request) -> Response:
        gate = await self._gate(request, APPS + "/new")
        if isinstance(gate, Response):
            return gate
        site, me = gate
        posted = await self._form(request, site, me)
        if isinstance(posted, Response):
            return posted
        form = app_form(posted)
        form_id = posted.get("form_id")
        errors: dict[str, str] = {}
        if posted.get("client_type", "confidential") not in ("confidential", "public"):
            errors["client_type"] = "choose confidential or public"
        if not self._portal.forms.valid_form_id(form_id):
            errors[""] = "This form expired. Please check the values and send it again."
        if not errors:
            try:
                created = await self._portal.register(
                    me.user, form, form_id, actor=_actor(request, me)
                )
            except FieldErrors as exc:
                errors = exc.errors
        if errors:
            return self._new_form(request, site, me, form, errors)
        registered = created.registered
        flash = {"created": "1", "client_id": registered.client.client_id}
        if registered.client_secret:
            flash["secret"] = registered.client_secret
        return self._done(site, me, app_path(registered.client.client_id), **flash)

    async def show(self, request: Request) -> Response:
        client_id = request.path_params.get("client_id", "")
        gate = await self._gate(request, app_path(client_id))
        if isinstance(gate, Response):
            return gate
        site, me = gate
        client = await self._owned(me, request)
        if client is None:
            return self.not_found(request)
        flash = self._flash.take(request, me.user)
        mine = flash.get("client_id") == client.client_id
        secret = flash.get("secret", "") if mine else ""
        if secret and not matches(secret, client.secret_digest):
            secret = ""  # rotated again since: that one is dead
        usage = await self._portal.usage(client)
        usable = self._portal.usable(client)
        catalog = self._services.settings.scope_catalog
        return self._page(
            request,
            site,
            me,
            "developer_app.html",
            images=(client.logo_url,),
            notice=flash.get("notice", "") if mine else "",
            client=client,
            secret=secret,
            created=mine and flash.get("created") == "1",
            test_token=self._services.registry.test_token(client),
            test_token_mark=self._portal.test_token_mark(client),
            rotate_form_id=self._portal.forms.new_form_id(),
            rotation_mark=self._portal.rotation_mark(client),
            usage=usage,
            chart=usage_chart(usage, self._services.minter.now()),
            flows=usable,
            usable={f.grant for f in usable},
            scopes=[(s, catalog.get(s, s)) for s in sorted(client.scopes)],
            lifetime=self._portal.lifetime_of(client),
            issuer=self._services.settings.issuer,
            authorize_url=self._authorize_url,
            token_url=self._token_url,
            snippet_redirect=client.redirect_uris[0] if client.redirect_uris else "REDIRECT_URI",
            snippet_scope=" ".join(sorted(client.scopes)),
        )

    async def edit(self, request: Request) -> Response:
        client_id = request.path_params.get("client_id", "")
        gate = await self._gate(request, app_path(client_id, "/edit"))
        if isinstance(gate, Response):
            return gate
        site, me = gate
        client = await self._owned(me, request)
        if client is None:
            return self.not_found(request)
        return self._edit_form(request, site, me, client, AppForm.of(client), {})

    def _edit_form(
        self,
        request: Request,
        site: Site,
        me: SignedIn,
        client: Client,
        form: AppForm,
        errors: dict[str, str],
    ) -> Response:
        return self._page(
            request,
            site,
            me,
            "developer_form.html",
            400 if errors else 200,
            images=(client.logo_url,),
            form=form,
            errors=errors,
            client=client,
            action=app_path(client.client_id),
            form_id="",
            **self._form_context(),
        )

    async def _app_post(
        self, request: Request, back: str
    ) -> tuple[Site, SignedIn, PageForm, Client | None] | Response:
        """A form posted about one app: the signed-in owner, the checked form, the app
        (``None`` when it is not theirs or no longer exists)."""
        client_id = request.path_params.get("client_id", "")
        gate = await self._gate(request, app_path(client_id, back))
        if isinstance(gate, Response):
            return gate
        site, me = gate
        posted = await self._form(request, site, me)
        if isinstance(posted, Response):
            return posted
        return site, me, posted, await self._owned(me, request)

    async def update(self, request: Request) -> Response:
        found = await self._app_post(request, "/edit")
        if isinstance(found, Response):
            return found
        site, me, posted, client = found
        if client is None:
            return self.not_found(request)
        form = app_form(posted)
        try:
            await self._portal.update(client, form, actor=_actor(request, me))
        except FieldErrors as exc:
            return self._edit_form(request, site, me, client, form, exc.errors)
        return self._done(
            site, me, app_path(client.client_id), client_id=client.client_id, notice="Saved."
        )

    async def rotate(self, request: Request) -> Response:
        found = await self._app_post(request, "")
        if isinstance(found, Response):
            return found
        site, me, posted, client = found
        if client is None:
            return self.not_found(request)
        form_id = posted.get("form_id")
        if client.is_public or not self._portal.forms.valid_form_id(form_id):
            return self._done(site, me, app_path(client.client_id))
        secret = await self._portal.rotate(
            client, form_id, posted.get("seen"), actor=_actor(request, me)
        )
        if secret is None:
            return self._done(
                site,
                me,
                app_path(client.client_id),
                client_id=client.client_id,
                notice="The secret was rotated from another page meanwhile; nothing was "
                "changed. Rotate it again if you need a new one.",
            )
        return self._done(
            site,
            me,
            app_path(client.client_id),
            client_id=client.client_id,
            secret=secret,
            notice="The old secret no longer works.",
        )

    async def test_token(self, request: Request) -> Response:
        found = await self._app_post(request, "")
        if isinstance(found, Response):
            return found
        site, me, posted, client = found
        if client is None:
            return self.not_found(request)
        await self._portal.regenerate_test_token(client, posted.get("seen"))
        return self._done(
            site,
            me,
            app_path(client.client_id),
            client_id=client.client_id,
            notice="A new test token is ready; the old one no longer works.",
        )

    async def confirm_delete(self, request: Request) -> Response:
        client_id = request.path_params.get("client_id", "")
        gate = await self._gate(request, app_path(client_id, "/delete"))
        if isinstance(gate, Response):
            return gate
        site, me = gate
        client = await self._owned(me, request)
        if client is None:
            return self.not_found(request)
        return await self._delete_page(request, site, me, client, "", "")

    async def _delete_page(
        self, request: Request, site: Site, me: SignedIn, client: Client, typed: str, error: str
    ) -> Response:
        return self._page(
            request,
            site,
            me,
            "developer_delete.html",
            400 if error else 200,
            client=client,
            usage=await self._portal.usage(client),
            confirm=typed,
            error=error,
        )

    async def delete(self, request: Request) -> Response:
        found = await self._app_post(request, "/delete")
        if isinstance(found, Response):
            return found
        site, me, posted, client = found
        if client is None:  # deleted already (a form sent twice), or never ours
            return self._done(site, me, PORTAL)
        typed = posted.get("confirm")
        if typed.strip() != client.name:
            return await self._delete_page(
                request, site, me, client, typed, "Type the app's name exactly to delete it."
            )
        with contextlib.suppress(RegistrationError):  # deleted by a request sent at once
            await self._services.registry.delete(client.client_id, actor=_actor(request, me))
        return self._done(site, me, PORTAL, notice=f"{client.name} was deleted.")


def _actor(request: Request, me: SignedIn) -> Actor:
    """The signed-in developer, as the audit log names them."""
    return Actor("user", me.user.email, request_context(request).client_address)
