"""What an administrator does to a user beyond editing: disable and enable them, set
their password, end their sessions and grants, delete them. Disabling and deleting ask
first (a confirmation page); a password the console makes is shown once."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from authgate.domain import TokenId, User
from authgate.protocol.admin.errors import NotFound
from authgate.protocol.user_admin import (
    AccountError,
    OwnedClients,
    OwnsClients,
    checked_password,
)
from authgate.storage.base import RevisionMismatch
from authgate.web.admin_console.base import revision_of
from authgate.web.admin_console.users import USERS, UserPagesBase, new_password, user_path
from authgate.web.pages.signed_in import SignedIn
from authgate.web.pages.signed_in_pages import actor_of
from authgate.web.pages.site import Site

_SELF = "You cannot {} your own account here: another administrator can."


class UserActions(UserPagesBase):
    def _ask(
        self, request: Request, site: Site, me: SignedIn, user: User, **context: Any
    ) -> Response:
        crumbs = [("Users", USERS), (user.email, user_path(user))]
        return self._confirm(
            request, site, me, area="users", crumbs=crumbs, revision=user.revision, **context
        )

    # ------------------------------------------------------------------ disable, enable

    async def confirm_disable(self, request: Request) -> Response:
        found = await self._user(request, "/disable")
        if isinstance(found, Response):
            return found
        site, me, user = found
        return self._ask(
            request,
            site,
            me,
            user,
            title=f"Disable {user.email}?",
            message="They can no longer sign in, and every session, access token and "
            "refresh token they hold is revoked at once. Enabling them again later does not "
            "bring those back.",
            action=user_path(user, "/disable"),
            button="Disable user",
        )

    async def disable(self, request: Request) -> Response:
        found = await self._posted_user(request, "/disable")
        if isinstance(found, Response):
            return found
        site, me, _, user = found
        if user.id == me.user.id:
            return self._done(site, me, user_path(user), notice=_SELF.format("disable"))
        if not user.is_active:
            return self._done(site, me, user_path(user), notice=f"{user.email} is disabled.")
        held = await self._services.user_admin.disable(user, actor=actor_of(request, me))
        return self._done(
            site,
            me,
            user_path(user),
            notice=f"{user.email} is disabled; {held.sessions} sessions and "
            f"{held.access_tokens + held.refresh_tokens} tokens were revoked.",
        )

    async def enable(self, request: Request) -> Response:
        found = await self._posted_user(request)
        if isinstance(found, Response):
            return found
        site, me, _, user = found
        if not user.is_active:
            await self._services.user_admin.enable(user, actor=actor_of(request, me))
        return self._done(site, me, user_path(user), notice=f"{user.email} may sign in again.")

    # ------------------------------------------------------------------ password

    async def password(self, request: Request) -> Response:
        found = await self._posted_user(request)
        if isinstance(found, Response):
            return found
        site, me, form, user = found
        typed = form.get("new_password")
        try:
            if typed:
                checked_password(typed)
        except AccountError as exc:
            return await self._user_page(
                request, site, me, user, {"new_password": exc.description or "not accepted"}
            )
        password = typed or new_password()
        await self._services.user_admin.set_password(user, password, actor=actor_of(request, me))
        flash = {"user_id": str(user.id), "notice": f"{user.email} has a new password."}
        if not typed:
            flash["password"] = password
        return self._done(site, me, user_path(user), **flash)

    # ------------------------------------------------------------------ sessions, grants

    async def revoke_session(self, request: Request) -> Response:
        found = await self._posted_user(request)
        if isinstance(found, Response):
            return found
        site, me, _, user = found
        raw = request.path_params.get("session_id", "")
        notice = "That session has ended already."
        if raw.isascii() and raw.isdigit() and len(raw) <= 18:
            try:
                await self._services.user_access.revoke_session(
                    user, TokenId(int(raw)), actor=actor_of(request, me)
                )
                notice = "The session was ended: that browser is signed out."
            except NotFound:
                pass
        return self._done(site, me, user_path(user, "#sessions"), notice=notice)

    async def revoke_sessions(self, request: Request) -> Response:
        found = await self._posted_user(request)
        if isinstance(found, Response):
            return found
        site, me, _, user = found
        count = await self._services.user_access.revoke_sessions(user, actor=actor_of(request, me))
        return self._done(
            site, me, user_path(user, "#sessions"), notice=f"{count} sessions were ended."
        )

    async def revoke_grants(self, request: Request) -> Response:
        found = await self._posted_user(request)
        if isinstance(found, Response):
            return found
        site, me, _, user = found
        count = await self._services.user_access.revoke_grants(user, actor=actor_of(request, me))
        return self._done(
            site,
            me,
            user_path(user, "#grants"),
            notice=f"No app can use {user.email}'s account any more ({count} tokens revoked).",
        )

    async def revoke_grant(self, request: Request) -> Response:
        found = await self._posted_user(request)
        if isinstance(found, Response):
            return found
        site, me, _, user = found
        client_id = request.path_params.get("client_id", "")[:200]
        try:
            client = await self._services.client_admin.get(client_id)
        except NotFound:
            return self._done(site, me, user_path(user, "#grants"), notice="That app is gone.")
        count = await self._services.user_access.revoke_grant(
            user, client, actor=actor_of(request, me)
        )
        return self._done(
            site,
            me,
            user_path(user, "#grants"),
            notice=f"{client.name} can no longer use {user.email}'s account "
            f"({count} tokens revoked).",
        )

    # ------------------------------------------------------------------ delete

    async def confirm_delete(self, request: Request) -> Response:
        found = await self._user(request, "/delete")
        if isinstance(found, Response):
            return found
        site, me, user = found
        return await self._delete_page(request, site, me, user)

    async def _delete_page(
        self, request: Request, site: Site, me: SignedIn, user: User, **context: Any
    ) -> Response:
        owned = await self._services.user_admin.owned_clients(user)
        held = await self._services.user_admin.holdings(user)
        return self._ask(
            request,
            site,
            me,
            user,
            title=f"Delete {user.email}?",
            message="This cannot be undone. Their sessions, tokens, consents and space "
            f"memberships go with them ({held.sessions} sessions, "
            f"{held.access_tokens + held.refresh_tokens} live tokens, {held.memberships} "
            "memberships).",
            action=user_path(user, "/delete"),
            button="Delete user",
            typed_name=user.email,
            owned=owned,
            **context,
        )

    async def delete(self, request: Request) -> Response:
        raw = request.path_params.get("user_id", "")
        found = await self._posted(request, f"{USERS}/{raw[:20]}/delete")
        if isinstance(found, Response):
            return found
        site, me, form = found
        user = await self._find(raw)
        if user is None:  # deleted already (a form sent twice)
            return self._done(site, me, USERS)
        typed = form.get("confirm")
        if user.id == me.user.id:
            return self._done(site, me, user_path(user), notice=_SELF.format("delete"))
        if typed.strip().lower() != user.email:
            return await self._delete_page(
                request, site, me, user, confirm=typed, error="Type the e-mail address exactly."
            )
        choice = form.get("owned_clients", "refuse")
        owned: OwnedClients = (
            "delete" if choice == "delete" else "keep" if choice == "keep" else "refuse"
        )
        if revision_of(form) != user.revision:
            return await self._delete_page(
                request, site, me, user, confirm=typed, error=self._stale_text()
            )
        try:
            await self._services.user_admin.delete(
                user, actor=actor_of(request, me), owned_clients=owned, revision=user.revision
            )
        except RevisionMismatch:
            fresh = await self._find(str(user.id))
            if fresh is None:
                return self._done(site, me, USERS)
            return await self._delete_page(
                request, site, me, fresh, confirm=typed, error=self._stale_text()
            )
        except OwnsClients as exc:
            return await self._delete_page(
                request, site, me, user, confirm=typed, error=exc.description
            )
        return self._done(site, me, USERS, notice=f"{user.email} was deleted.")

    @staticmethod
    def _stale_text() -> str:
        return "This user changed meanwhile; check what the page says now and confirm again."
