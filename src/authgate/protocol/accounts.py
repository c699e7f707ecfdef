"""A signed-in user's own account: profile, e-mail address, password, and the apps that
hold a grant for them (connected apps)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from authgate.audit.events import (
    CONSENT_REVOKED,
    USER_PASSWORD_SET,
    USER_UPDATED,
    Actor,
)
from authgate.audit.log import AuditLog
from authgate.crypto.passwords import PasswordVerifier, VerifierBusy, hash_password
from authgate.domain import Client, SpaceId, TokenId, User, UserGrant
from authgate.protocol import rules, space_fields
from authgate.protocol.password_check import (
    CheckUnavailable,
    PasswordCheck,
    TooManyFailures,
    WrongCredentials,
)
from authgate.protocol.rules import RegistrationError
from authgate.storage.base import (
    ClientStore,
    EmailTaken,
    GrantStore,
    SessionStore,
    SpaceStore,
    UserStore,
)


@dataclass(frozen=True, slots=True)
class ConnectedApp:
    """One app that holds a grant for the user, on one issuer (the root or a space)."""

    client: Client
    grant: UserGrant
    #: the space's name, ``None`` on the root issuer
    space_name: str | None
    #: (scope, description) in name order
    scopes: tuple[tuple[str, str], ...]


class WrongPassword(RegistrationError):
    """The password given to confirm a change is not the user's."""


def _field_value(field: str, check: Callable[[str], str | None], value: str) -> str | None:
    try:
        return check(value)
    except ValueError as exc:
        raise RegistrationError(str(exc), field=field) from None


class Accounts:
    def __init__(
        self,
        users: UserStore,
        sessions: SessionStore,
        grants: GrantStore,
        clients: ClientStore,
        spaces: SpaceStore,
        passwords: PasswordCheck,
        verifier: PasswordVerifier,
        catalog: Mapping[str, str],
        clock: Callable[[], float],
        *,
        audit: AuditLog | None = None,
    ) -> None:
        self._audit = audit
        self._users = users
        self._sessions = sessions
        self._grants = grants
        self._clients = clients
        self._spaces = spaces
        self._passwords = passwords
        self._verifier = verifier
        self._catalog = catalog
        self._clock = clock

    def _now(self) -> int:
        return int(self._clock())

    def _record(
        self, event: str, user: User, address: str | None, target: str, **details: object
    ) -> None:
        """The user's own changes are audit events, as an operator's are (actor: the user)."""
        if self._audit is not None:
            self._audit.record(
                event,
                Actor("user", user.email, address),
                target_type="client" if event == CONSENT_REVOKED else "user",
                target=target,
                via="account_page",
                **details,
            )

    @staticmethod
    def profile_errors(*, name: str, picture: str, phone: str) -> dict[str, str]:
        """Every bad field of a profile at once, by field."""
        errors: dict[str, str] = {}
        checks: list[tuple[str, Callable[[str], object], str]] = [
            ("name", rules.person_name, name),
            ("picture", space_fields.picture, picture),
            ("phone_number", space_fields.phone, phone),
        ]
        for field, check, value in checks:
            try:
                check(value)
            except RegistrationError as exc:
                errors[field] = exc.description
            except ValueError as exc:
                errors[field] = str(exc)
        return errors

    async def update_profile(
        self, user: User, *, name: str, picture: str, phone: str, address: str | None = None
    ) -> User:
        """The user's name, picture (an https URL) and phone number; ``""`` clears one."""
        checked_name = rules.person_name(name)
        checked_picture = _field_value("picture", space_fields.picture, picture)
        checked_phone = _field_value("phone_number", space_fields.phone, phone)
        updated = await self._users.update_profile(
            user.id, name=checked_name, picture=checked_picture, phone_number=checked_phone
        )
        if updated is None:
            raise RegistrationError("this account no longer exists")
        changed = {
            field: getattr(updated, field)
            for field in ("name", "picture", "phone_number")
            if getattr(updated, field) != getattr(user, field)
        }
        if changed:
            self._record(USER_UPDATED, user, address, updated.email, **changed)
        return updated

    async def _check_password(self, user: User, password: str, address: str, field: str) -> None:
        """The user's own password, through the sign-in page's throttles: this form is no
        way around them."""
        try:
            await self._passwords.check(user.email, password, address=address)
        except WrongCredentials:
            raise WrongPassword("The password is not correct.", field=field) from None
        except TooManyFailures as exc:
            minutes = (exc.retry_after + 59) // 60
            raise RegistrationError(
                f"Too many wrong passwords. Please wait {minutes} minute"
                f"{'s' if minutes != 1 else ''} and try again.",
                field=field,
            ) from None
        except CheckUnavailable:
            raise RegistrationError(
                "The server is busy. Please try again in a moment.", field=field
            ) from None

    async def change_email(self, user: User, email: str, password: str, address: str) -> User:
        """A new login address, confirmed by the password (a stolen session alone cannot
        take the account over)."""
        new = rules.email(email)
        if new.lower() == user.email:
            return user
        await self._check_password(user, password, address, "email_password")
        try:
            updated = await self._users.set_email(user.id, new)
        except EmailTaken:
            raise RegistrationError(
                "Another account uses this e-mail address.", field="email"
            ) from None
        if updated is None:
            raise RegistrationError("this account no longer exists")
        self._record(
            USER_UPDATED,
            user,
            address,
            updated.email,
            previous_email=user.email,
            new_email=updated.email,
            email_verified=updated.email_verified,
        )
        return updated

    async def change_password(
        self, user: User, current: str, new: str, *, session_id: TokenId, address: str
    ) -> bool:
        """RFC 9700 §4.14.2: a new password revokes the user's other sessions and every
        refresh token. ``False`` when it was already changed to ``new`` (the form sent
        twice): nothing more is done."""
        rules.password(new, field="new_password")
        try:
            await self._check_password(user, current, address, "current_password")
        except WrongPassword:
            # Counted as a failure like any wrong password, so this is no unthrottled
            # way to test a guess either.
            fresh = await self._users.by_email(user.email)
            try:
                already = fresh is not None and await self._verifier.verify(
                    fresh.password_hash, new
                )
            except VerifierBusy:
                already = False
            if already:
                return False
            raise
        hashed = await asyncio.to_thread(hash_password, new)
        await self._users.set_password(user.id, hashed)
        now = self._now()
        sessions = await self._sessions.revoke_others(user.id, session_id, now)
        refresh = await self._grants.revoke_refresh_tokens(user.id, now)
        self._record(
            USER_PASSWORD_SET,
            user,
            address,
            user.email,
            revoked_sessions=sessions,
            revoked_refresh=refresh,
        )
        return True

    async def connected_apps(self, user: User) -> list[ConnectedApp]:
        """Every app holding a consent or a live token of the user, per issuer."""
        found: list[ConnectedApp] = []
        spaces: dict[SpaceId, str | None] = {}
        for grant in await self._grants.of_user(user.id, self._now()):
            client = await self._clients.by_pk(grant.client_pk)
            if client is None:
                continue
            name = None
            if grant.space_id is not None:
                if grant.space_id not in spaces:
                    space = await self._spaces.by_id(grant.space_id)
                    spaces[grant.space_id] = None if space is None else space.name
                name = spaces[grant.space_id] or "a deleted space"
            scopes = tuple((s, self._catalog.get(s, s)) for s in sorted(grant.scopes))
            found.append(ConnectedApp(client, grant, name, scopes))
        return found

    async def revoke_app(
        self, user: User, client_id: str, *, address: str | None = None
    ) -> Client | None:
        """The app's consents, codes, refresh and access tokens for the user, at once;
        ``None`` if there is no such app."""
        client = await self._clients.by_client_id(client_id)
        if client is None:
            return None
        revoked = await self._grants.revoke(user.id, client.pk, self._now())
        self._record(CONSENT_REVOKED, user, address, client.client_id, revoked_tokens=revoked)
        return client
