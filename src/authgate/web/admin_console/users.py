"""The console's users (``/admin/users``): the list with search and paging, creating a
user (with a password typed or made and shown once), a user's page (status, role,
sessions, grants, spaces, owned clients) and editing them, the admin role included, at the
revision the form was shown at."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from authgate.domain import User, UserId
from authgate.protocol import user_admin as rules
from authgate.protocol.admin.errors import NotFound
from authgate.protocol.user_admin import AccountError, EmailInUse
from authgate.storage.base import RevisionMismatch
from authgate.web.admin_console.base import (
    CONSOLE,
    PAGE_SIZE,
    STALE,
    ConsoleBase,
    cursor,
    query_text,
    revision_of,
)
from authgate.web.pages.signed_in import PageForm, SignedIn
from authgate.web.pages.signed_in_pages import actor_of
from authgate.web.pages.site import Site

USERS = CONSOLE + "/users"


def user_path(user: User, tail: str = "") -> str:
    return f"{USERS}/{user.id}{tail}"


def new_password() -> str:
    """A password an administrator hands over (shown once): 16 URL-safe characters."""
    return secrets.token_urlsafe(12)


@dataclass(frozen=True)
class UserForm:
    """What the create and edit forms hold, as typed."""

    email: str = ""
    name: str = ""
    email_verified: bool = False
    is_admin: bool = False

    @classmethod
    def of(cls, user: User) -> UserForm:
        return cls(user.email, user.name, user.email_verified, user.is_admin)

    @classmethod
    def posted(cls, form: PageForm) -> UserForm:
        return cls(
            form.get("email"),
            form.get("name"),
            form.get("email_verified") == "1",
            form.get("is_admin") == "1",
        )


def field_errors(form: UserForm, password: str | None = None) -> dict[str, str]:
    """Every field's error at once (the service checks them again, with the same rules)."""
    errors: dict[str, str] = {}
    checks: list[tuple[str, Any, str]] = [
        ("email", rules.checked_email, form.email),
        ("name", rules.checked_name, form.name),
    ]
    if password:
        checks.append(("password", rules.checked_password, password))
    for name, check, value in checks:
        try:
            check(value)
        except AccountError as exc:
            errors[name] = exc.description
    return errors


class UserPagesBase(ConsoleBase):
    async def _user(
        self, request: Request, tail: str = ""
    ) -> tuple[Site, SignedIn, User] | Response:
        """The administrator and the user the path names, or the answer instead."""
        raw = request.path_params.get("user_id", "")
        return await self._found(request, f"{USERS}/{raw[:20]}{tail}", lambda: self._find(raw))

    async def _find(self, raw: str) -> User | None:
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
            return None
        try:
            return await self._services.user_admin.get(UserId(int(raw)))
        except NotFound:
            return None

    async def _posted_user(
        self, request: Request, tail: str = ""
    ) -> tuple[Site, SignedIn, PageForm, User] | Response:
        raw = request.path_params.get("user_id", "")
        found = await self._posted_found(
            request, f"{USERS}/{raw[:20]}{tail}", lambda: self._find(raw)
        )
        if isinstance(found, Response):
            return found
        site, me, form, user = found
        if user is None:
            return self.not_found(request)
        return site, me, form, user

    async def _user_page(
        self,
        request: Request,
        site: Site,
        me: SignedIn,
        user: User,
        errors: dict[str, str] | None = None,
    ) -> Response:
        """A user's page; with ``errors``, the password form's, answered with a 400."""
        flash = {} if errors else self._notice(request, me)
        mine = flash.get("user_id") == str(user.id)
        access = self._services.user_access
        spaces = {s.id: s for s in await self._services.space_admin.all()}
        grants = []
        for grant in await access.grants(user):
            client = await self._services.client_admin.by_pk(grant.client_pk)
            if client is not None:
                space = None if grant.space_id is None else spaces.get(grant.space_id)
                grants.append({"grant": grant, "client": client, "space": space})
        return self._page(
            request,
            site,
            me,
            "admin_user.html",
            400 if errors else 200,
            area="users",
            notice=flash.get("notice", "") if mine or "user_id" not in flash else "",
            shown=user,
            password=flash.get("password", "") if mine else "",
            sessions=await access.sessions(user),
            spaces=spaces,
            grants=grants,
            memberships=await self._services.spaces.spaces_of(user.id),
            owned=await self._services.user_admin.owned_clients(user),
            current_session=me.session.id,
            is_me=user.id == me.user.id,
            errors=errors or {},
        )


class UserPages(UserPagesBase):
    async def list(self, request: Request) -> Response:
        gate = await self._gate(request, USERS)
        if isinstance(gate, Response):
            return gate
        site, me = gate
        search = query_text(request, "q")
        after = cursor(request)
        found = await self._services.user_admin.page(
            after=None if after is None else UserId(after),
            limit=PAGE_SIZE + 1,
            search=search or None,
        )
        users = found[:PAGE_SIZE]
        return self._page(
            request,
            site,
            me,
            "admin_users.html",
            area="users",
            notice=self._notice(request, me).get("notice", ""),
            users=users,
            search=search,
            first=after is None,
            next_after=users[-1].id if len(found) > PAGE_SIZE else None,
        )

    async def new(self, request: Request) -> Response:
        gate = await self._gate(request, USERS + "/new")
        if isinstance(gate, Response):
            return gate
        site, me = gate
        return self._form(request, site, me, None, UserForm(), {})

    def _form(
        self,
        request: Request,
        site: Site,
        me: SignedIn,
        user: User | None,
        form: UserForm,
        errors: dict[str, str],
        status: int | None = None,
    ) -> Response:
        return self._page(
            request,
            site,
            me,
            "admin_user_form.html",
            status or (400 if errors else 200),
            area="users",
            user_shown=user,
            form=form,
            errors=errors,
            action=USERS if user is None else user_path(user),
        )

    async def create(self, request: Request) -> Response:
        found = await self._posted(request, USERS + "/new")
        if isinstance(found, Response):
            return found
        site, me, posted = found
        form = UserForm.posted(posted)
        typed = posted.get("password")
        password = typed or new_password()
        errors = field_errors(form, typed)
        if not errors:
            try:
                user = await self._services.user_admin.create(
                    form.email, password, form.name, actor=actor_of(request, me)
                )
                if form.email_verified or form.is_admin:
                    user = await self._services.user_admin.update(
                        user,
                        actor=actor_of(request, me),
                        email_verified=form.email_verified,
                        is_admin=form.is_admin,
                    )
            except EmailInUse as exc:
                errors["email"] = exc.description
            except AccountError as exc:
                errors[""] = exc.description
        if errors:
            return self._form(request, site, me, None, form, errors)
        flash = {"user_id": str(user.id), "notice": f"{user.email} was created."}
        if not typed:
            flash["password"] = password
        return self._done(site, me, user_path(user), **flash)

    async def show(self, request: Request) -> Response:
        found = await self._user(request)
        if isinstance(found, Response):
            return found
        return await self._user_page(request, *found)

    async def edit(self, request: Request) -> Response:
        found = await self._user(request, "/edit")
        if isinstance(found, Response):
            return found
        site, me, user = found
        return self._form(request, site, me, user, UserForm.of(user), {})

    async def update(self, request: Request) -> Response:
        found = await self._posted_user(request, "/edit")
        if isinstance(found, Response):
            return found
        site, me, posted, user = found
        form = UserForm.posted(posted)
        errors = field_errors(form)
        if user.id == me.user.id and not form.is_admin:
            errors["is_admin"] = (
                "You cannot take the admin role from yourself: another administrator can."
            )
        if revision_of(posted) != user.revision:
            return self._stale(request, site, me, user)
        if not errors:
            try:
                user = await self._services.user_admin.update(
                    user,
                    actor=actor_of(request, me),
                    email=form.email,
                    name=form.name,
                    email_verified=form.email_verified,
                    is_admin=form.is_admin,
                    revision=user.revision,
                )
            except RevisionMismatch:
                return self._stale(request, site, me, await self._find(str(user.id)) or user)
            except EmailInUse as exc:
                errors["email"] = exc.description
            except AccountError as exc:
                errors[""] = exc.description
        if errors:
            return self._form(request, site, me, user, form, errors)
        return self._done(site, me, user_path(user), user_id=str(user.id), notice="Saved.")

    def _stale(self, request: Request, site: Site, me: SignedIn, user: User) -> Response:
        """The form again, with what is stored now and why nothing was saved (409)."""
        errors = {"": f"This user {STALE}"}
        return self._form(request, site, me, user, UserForm.of(user), errors, 409)
