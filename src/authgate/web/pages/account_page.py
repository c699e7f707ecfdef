"""The account page (``/account``): the signed-in person's connected apps (revoking one),
profile, e-mail address and password. Like the portal's, every form has a CSRF token and
answers with a redirect, or with the page again and a message beside each bad field
(what was typed is kept, passwords aside)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from authgate.domain import Client, User
from authgate.protocol.accounts import ConnectedApp
from authgate.protocol.rules import RegistrationError
from authgate.services import Services
from authgate.web.context import request_context
from authgate.web.pages.account import login_url
from authgate.web.pages.render import Pages
from authgate.web.pages.signed_in import Flash, PageForm, SignedIn, checked_form, signed_in
from authgate.web.pages.site import Site, site_of

ACCOUNT = "/account"
PURPOSE = "account"


@dataclass
class AppCard:
    """One app and what it holds, per issuer."""

    client: Client
    grants: list[ConnectedApp] = field(default_factory=list)


@dataclass(frozen=True)
class Profile:
    """The profile forms' values: the stored ones, or what was typed."""

    name: str
    picture: str
    phone_number: str
    email: str

    @classmethod
    def of(cls, user: User) -> Profile:
        return cls(user.name, user.picture or "", user.phone_number or "", user.email)


class AccountSettingsPages:
    def __init__(self, services: Services, pages: Pages, not_found: Any) -> None:
        self._services = services
        self._accounts = services.accounts
        self._pages = pages
        self._flash = Flash(services.box)
        self._not_found = not_found

    async def _gate(self, request: Request) -> tuple[Site, SignedIn] | Response:
        site = site_of(request)
        if site.issuer.space is not None:
            response: Response = self._not_found(request)
            return response
        me = await signed_in(self._services, request, site)
        if me is None:
            return self._pages.redirect(site.issuer, login_url(site, ACCOUNT))
        return site, me

    async def _form(self, request: Request, site: Site, me: SignedIn) -> PageForm | Response:
        return await checked_form(self._services, self._pages, request, site, me, PURPOSE)

    def _done(self, site: Site, me: SignedIn, notice: str, anchor: str = "") -> Response:
        response = self._pages.redirect(site.issuer, ACCOUNT + anchor)
        self._flash.put(response, self._pages.framing.cookies(site.issuer), me.user, notice=notice)
        return response

    async def page(
        self,
        request: Request,
        site: Site | None = None,
        me: SignedIn | None = None,
        *,
        profile: Profile | None = None,
        errors: dict[str, str] | None = None,
    ) -> Response:
        if site is None or me is None:
            gate = await self._gate(request)
            if isinstance(gate, Response):
                return gate
            site, me = gate
        notice = "" if errors else self._flash.take(request, me.user).get("notice", "")
        cards: dict[int, AppCard] = {}
        for app in await self._accounts.connected_apps(me.user):
            cards.setdefault(app.client.pk, AppCard(app.client)).grants.append(app)
        apps = list(cards.values())
        shown = profile or Profile.of(me.user)
        response = self._pages.render_page(
            site.issuer,
            "account.html",
            400 if errors else 200,
            images=(shown.picture, *(card.client.logo_url for card in apps)),
            section="account",
            user=me.user,
            notice=notice,
            apps=apps,
            profile=shown,
            errors=errors or {},
            csrf_token=self._services.csrf.token(me.token, PURPOSE),
            logout_csrf_token=self._services.csrf.token(me.token, "logout"),
        )
        Flash.clear(request, response, self._pages.framing.cookies(site.issuer))
        return response

    async def _posted(self, request: Request) -> tuple[Site, SignedIn, PageForm] | Response:
        gate = await self._gate(request)
        if isinstance(gate, Response):
            return gate
        site, me = gate
        form = await self._form(request, site, me)
        if isinstance(form, Response):
            return form
        return site, me, form

    async def profile(self, request: Request) -> Response:
        posted = await self._posted(request)
        if isinstance(posted, Response):
            return posted
        site, me, form = posted
        typed = Profile(
            form.get("name"), form.get("picture"), form.get("phone_number"), me.user.email
        )
        errors = self._accounts.profile_errors(
            name=typed.name, picture=typed.picture, phone=typed.phone_number
        )
        if not errors:
            try:
                await self._accounts.update_profile(
                    me.user,
                    name=typed.name,
                    picture=typed.picture,
                    phone=typed.phone_number,
                    address=request_context(request).client_address,
                )
            except RegistrationError as exc:
                errors[exc.field or ""] = exc.description
        if errors:
            return await self.page(request, site, me, profile=typed, errors=errors)
        return self._done(site, me, "Your profile was saved.")

    async def email(self, request: Request) -> Response:
        posted = await self._posted(request)
        if isinstance(posted, Response):
            return posted
        site, me, form = posted
        typed = Profile.of(me.user)
        typed = Profile(typed.name, typed.picture, typed.phone_number, form.get("email"))
        address = request_context(request).client_address
        try:
            changed = await self._accounts.change_email(
                me.user, form.get("email"), form.get("email_password"), address
            )
        except RegistrationError as exc:
            errors = {exc.field or "email": exc.description}
            return await self.page(request, site, me, profile=typed, errors=errors)
        # The same message when it was already this address (the form sent twice).
        return self._done(site, me, f"You now sign in with {changed.email}.")

    async def password(self, request: Request) -> Response:
        posted = await self._posted(request)
        if isinstance(posted, Response):
            return posted
        site, me, form = posted
        new = form.get("new_password")
        errors: dict[str, str] = {}
        if new != form.get("confirm_password"):
            errors["confirm_password"] = "The two new passwords are not the same."
        try:
            if not errors:
                await self._accounts.change_password(
                    me.user,
                    form.get("current_password"),
                    new,
                    session_id=me.session.id,
                    address=request_context(request).client_address,
                )
        except RegistrationError as exc:
            errors[exc.field or "new_password"] = exc.description
        if errors:
            return await self.page(request, site, me, errors=errors)
        return self._done(
            site,
            me,
            "Your password was changed. You were signed out everywhere else, and apps must "
            "ask you again for new tokens.",
        )

    async def revoke(self, request: Request) -> Response:
        posted = await self._posted(request)
        if isinstance(posted, Response):
            return posted
        site, me, _ = posted
        client_id = request.path_params.get("client_id", "")
        client = await self._accounts.revoke_app(
            me.user, client_id[:100], address=request_context(request).client_address
        )
        if client is None:
            return self._done(site, me, "That app is gone already.", "#apps")
        return self._done(site, me, f"{client.name} can no longer use your account.", "#apps")
