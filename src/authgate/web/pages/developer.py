"""The developer portal (``/developer``): a signed-in person's apps, registering one, its
page (credentials, usage, snippets), editing, rotating its secret, its test token and
deleting it. Every form has a CSRF token and answers a POST with a redirect (or, for bad
input, the form again with a message next to each field and what was typed)."""

from __future__ import annotations

import contextlib

from starlette.requests import Request
from starlette.responses import Response

from authgate.crypto.tokens import matches
from authgate.domain import Client
from authgate.protocol.developer import AppForm, FieldErrors
from authgate.protocol.registration import RegistrationError
from authgate.web.pages.developer_base import (
    APPS,
    PORTAL,
    PortalBase,
    app_form,
    app_path,
)
from authgate.web.pages.signed_in import SignedIn
from authgate.web.pages.signed_in_pages import actor_of
from authgate.web.pages.site import Site
from authgate.web.pages.usage_chart import usage_chart

__all__ = ["APPS", "PORTAL", "DeveloperPages"]


class DeveloperPages(PortalBase):
    """The portal's handlers; :class:`PortalBase` holds what they share."""

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
        found = await self._posted(request, APPS + "/new")
        if isinstance(found, Response):
            return found
        site, me, posted = found
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
                    me.user, form, form_id, actor=actor_of(request, me)
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
        found = await self._owned_app(request)
        if isinstance(found, Response):
            return found
        site, me, client = found
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
        found = await self._owned_app(request, "/edit")
        if isinstance(found, Response):
            return found
        site, me, client = found
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

    async def update(self, request: Request) -> Response:
        found = await self._owned_post(request, "/edit")
        if isinstance(found, Response):
            return found
        site, me, posted, client = found
        form = app_form(posted)
        try:
            await self._portal.update(client, form, actor=actor_of(request, me))
        except FieldErrors as exc:
            return self._edit_form(request, site, me, client, form, exc.errors)
        return self._done(
            site, me, app_path(client.client_id), client_id=client.client_id, notice="Saved."
        )

    async def rotate(self, request: Request) -> Response:
        found = await self._owned_post(request, "")
        if isinstance(found, Response):
            return found
        site, me, posted, client = found
        form_id = posted.get("form_id")
        if client.is_public or not self._portal.forms.valid_form_id(form_id):
            return self._done(site, me, app_path(client.client_id))
        secret = await self._portal.rotate(
            client, form_id, posted.get("seen"), actor=actor_of(request, me)
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
        found = await self._owned_post(request, "")
        if isinstance(found, Response):
            return found
        site, me, posted, client = found
        await self._portal.regenerate_test_token(client, posted.get("seen"))
        return self._done(
            site,
            me,
            app_path(client.client_id),
            client_id=client.client_id,
            notice="A new test token is ready; the old one no longer works.",
        )

    async def confirm_delete(self, request: Request) -> Response:
        found = await self._owned_app(request, "/delete")
        if isinstance(found, Response):
            return found
        site, me, client = found
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
            await self._services.registry.delete(client.client_id, actor=actor_of(request, me))
        return self._done(site, me, PORTAL, notice=f"{client.name} was deleted.")
