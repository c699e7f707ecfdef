"""Managing users as operators do: the rules shared by the CLI, the admin API and the
admin console.

Disabling a user both revokes and refuses. At disable time, in one transaction, every
session, access token and refresh token of the user is revoked and their unredeemed codes
are deleted: durable, visible to introspection and to every worker, and enabling the user
again brings none of them back. At check time, a disabled user's token, session or
password is refused anyway (the bearer check, introspection, UserInfo, the sign-in page,
the password, refresh and code grants): that covers a refresh that raced with the
disabling, and a worker's cached copy of a token row (``token_cache_seconds``).

Deleting a user deletes what they hold (sessions, codes, tokens, consents, memberships:
the database cascades). Clients they own are not deleted silently: the caller says
``owned_clients="delete"`` (the clients and every token issued to them go too) or
``"keep"`` (they stay, without an owner, and lose their test token); by default a user who
owns clients is not deleted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Literal

from authgate.audit.events import (
    CLIENT_DELETED,
    USER_CREATED,
    USER_DELETED,
    USER_DISABLED,
    USER_ENABLED,
    USER_PASSWORD_SET,
    USER_UPDATED,
    Actor,
)
from authgate.audit.log import AuditLog
from authgate.crypto.passwords import hash_password
from authgate.domain import Client, User, UserId
from authgate.errors import InvalidRequest
from authgate.protocol import rules
from authgate.protocol.admin.errors import Conflict, NotFound
from authgate.protocol.rules import RegistrationError
from authgate.storage.base import (
    ClientStore,
    EmailTaken,
    RevisionMismatch,
    UserHoldings,
    UserStore,
)

OwnedClients = Literal["refuse", "delete", "keep"]
MAX_EMAIL = 320


class AccountError(InvalidRequest):
    """A user cannot be found or changed as asked; the message says why."""


class EmailInUse(AccountError, Conflict):
    """Another user has the e-mail address."""


class OwnsClients(AccountError, Conflict):
    """The user owns clients, and the caller did not say what becomes of them."""


def _ruled(check: Callable[[str], str], value: str) -> str:
    """A value through the registration rules (protocol/rules.py), which the CLI, the
    portal and the account page share."""
    try:
        return check(value)
    except RegistrationError as exc:
        raise AccountError(exc.description) from None


def checked_email(email: str) -> str:
    """An e-mail address as stored (lowercased, so it must still fit 320 characters)."""
    return _ruled(rules.email, email)


def checked_password(password: str) -> str:
    """8 to 1024 characters, not only spaces."""
    return _ruled(rules.password, password)


def checked_name(name: str) -> str:
    return _ruled(rules.person_name, name)


class UserAdmin:
    def __init__(
        self,
        users: UserStore,
        clients: ClientStore,
        audit: AuditLog,
        clock: Callable[[], float],
    ) -> None:
        self._users = users
        self._clients = clients
        self._audit = audit
        self._clock = clock

    def _now(self) -> int:
        return int(self._clock())

    async def find(self, ref: str) -> User:
        """A user by e-mail address or by id (digits)."""
        text = ref.strip()
        user = None
        if text.isascii() and text.isdigit() and len(text) <= 18:
            user = await self._users.by_id(UserId(int(text)))
        elif len(text) <= MAX_EMAIL:
            user = await self._users.by_email(text)
        if user is None:
            raise AccountError(f"no user {text[:MAX_EMAIL]!r} (an e-mail address or an id)")
        return user

    async def get(self, user_id: UserId) -> User:
        """A user by id (the admin API's and console's URLs name users by id)."""
        user = await self._users.by_id(user_id)
        if user is None:
            raise NotFound(f"no user with id {user_id}")
        return user

    async def page(
        self, *, after: UserId | None, limit: int, search: str | None = None
    ) -> list[User]:
        """Users by id, those after ``after``; ``search`` is a part of the e-mail address
        or the name, in any case."""
        return await self._users.page(after=after, limit=limit, search=search)

    async def owned_clients(self, user: User) -> list[Client]:
        return [c for c in await self._clients.all() if c.owner_id == user.id]

    async def holdings(self, user: User) -> UserHoldings:
        return await self._users.holdings(user.id, self._now())

    async def create(self, email: str, password: str, name: str, *, actor: Actor) -> User:
        email = checked_email(email)
        hashed = await asyncio.to_thread(hash_password, checked_password(password))
        try:
            user = await self._users.create(email, checked_name(name), hashed, self._now())
        except EmailTaken:
            raise EmailInUse(f"a user with e-mail {email!r} already exists") from None
        self._audit.record(
            USER_CREATED, actor, target_type="user", target=user.email, user_id=user.id
        )
        return user

    async def update(
        self,
        user: User,
        *,
        actor: Actor,
        email: str | None = None,
        name: str | None = None,
        email_verified: bool | None = None,
        is_admin: bool | None = None,
        revision: int | None = None,
    ) -> User:
        """Change the given fields. A new e-mail address is the user's new login name;
        ``is_admin`` makes them a server administrator (the admin console lets them in).
        With ``revision``, only while the user is at it (:class:`RevisionMismatch`)."""
        try:
            updated = await self._users.update(
                user.id,
                email=None if email is None else checked_email(email),
                name=None if name is None else checked_name(name),
                email_verified=email_verified,
                is_admin=is_admin,
                revision=revision,
            )
        except EmailTaken as exc:
            raise EmailInUse(f"a user with e-mail {exc.args[0]!r} already exists") from None
        if updated is None:
            raise AccountError(f"no user {user.email!r}")
        changed = {
            field: getattr(updated, field)
            for field in ("email", "name", "email_verified", "is_admin")
            if getattr(updated, field) != getattr(user, field)
        }
        if changed:
            if "email" in changed:
                changed = {"previous_email": user.email, **changed, "new_email": updated.email}
                del changed["email"]
            self._audit.record(
                USER_UPDATED, actor, target_type="user", target=updated.email, **changed
            )
        return updated

    async def disable(self, user: User, *, actor: Actor) -> UserHoldings:
        """Disable the user and revoke what they hold (see the module's text)."""
        revoked = await self._users.disable(user.id, self._now())
        if revoked is None:
            raise AccountError(f"no user {user.email!r}")
        self._audit.record(
            USER_DISABLED,
            actor,
            target_type="user",
            target=user.email,
            revoked_sessions=revoked.sessions,
            revoked_access=revoked.access_tokens,
            revoked_refresh=revoked.refresh_tokens,
            deleted_codes=revoked.codes,
        )
        return revoked

    async def enable(self, user: User, *, actor: Actor) -> None:
        """The user may sign in again; what was revoked stays revoked."""
        if not await self._users.enable(user.id):
            raise AccountError(f"no user {user.email!r}")
        self._audit.record(USER_ENABLED, actor, target_type="user", target=user.email)

    async def set_password(self, user: User, password: str, *, actor: Actor) -> None:
        """A new password; sessions and tokens are kept (disable the user to end them)."""
        hashed = await asyncio.to_thread(hash_password, checked_password(password))
        await self._users.set_password(user.id, hashed)
        self._audit.record(USER_PASSWORD_SET, actor, target_type="user", target=user.email)

    async def delete(
        self,
        user: User,
        *,
        actor: Actor,
        owned_clients: OwnedClients = "refuse",
        revision: int | None = None,
    ) -> tuple[UserHoldings, list[str]]:
        """Delete the user and what they hold; returns what went, and the ids of the
        clients deleted with them. With ``revision``, only while the user is at it
        (:class:`RevisionMismatch`, checked before their clients go)."""
        if revision is not None and revision != user.revision:
            raise RevisionMismatch(user.id)
        owned = await self.owned_clients(user)
        if owned and owned_clients == "refuse":
            ids = ", ".join(c.client_id for c in owned[:5]) + (", …" if len(owned) > 5 else "")
            raise OwnsClients(
                f"{user.email} owns {len(owned)} client{'s' if len(owned) > 1 else ''} "
                f"({ids}): delete them with the user, or keep them without an owner"
            )
        held = await self._users.holdings(user.id, self._now())
        deleted: list[str] = []
        if owned_clients == "delete":
            for client in owned:
                if await self._clients.delete(client.client_id):
                    deleted.append(client.client_id)
                    self._audit.record(
                        CLIENT_DELETED,
                        actor,
                        target_type="client",
                        target=client.client_id,
                        name=client.name,
                        with_owner=user.email,
                    )
        if not await self._users.delete(user.id, revision):
            raise AccountError(f"no user {user.email!r}")
        self._audit.record(
            USER_DELETED,
            actor,
            target_type="user",
            target=user.email,
            user_id=user.id,
            deleted_clients=deleted,
            kept_clients=[c.client_id for c in owned] if owned_clients == "keep" else [],
            sessions=held.sessions,
            access=held.access_tokens,
            refresh=held.refresh_tokens,
            codes=held.codes,
            consents=held.consents,
            memberships=held.memberships,
        )
        return held, deleted
