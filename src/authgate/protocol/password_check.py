"""One throttled password check, shared by the password grant and the sign-in page.

Every attempt reserves its place in each budget (per account name, per client address
and, for the grant, per client) before the Argon2 verification runs, and the places are
kept as failures unless the password is right. So however the guesses are sent, at most
the configured number per key are verified in a window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from authgate.audit.events import SIGN_IN_FAILED, SIGN_IN_SUCCEEDED, Actor
from authgate.audit.log import AuditLog
from authgate.crypto.passwords import PasswordVerifier, VerifierBusy
from authgate.domain import SpaceId, User
from authgate.protocol.throttle import FailureThrottle, Reservation, Throttled, ThrottleUnavailable
from authgate.storage.base import UserStore

#: Longer e-mail addresses cannot exist (RFC 5321 §4.5.3.1); longer passwords cannot
#: have been set (``user create`` takes at most 1024 characters).
MAX_EMAIL = 320
MAX_PASSWORD = 1024

Budget = Literal["account", "address", "client"]


class WrongCredentials(Exception):
    """Unknown e-mail, wrong password or disabled account: callers cannot tell which."""


class TooManyFailures(Exception):
    def __init__(self, budget: Budget, retry_after: int) -> None:
        super().__init__(f"too many failures per {budget}")
        self.budget = budget
        self.retry_after = retry_after


class CheckUnavailable(Exception):
    """The verifier is saturated or the shared counters are unreachable: try again soon."""

    retry_after = 1


@dataclass(frozen=True)
class PasswordThrottles:
    per_account: FailureThrottle
    per_address: FailureThrottle
    per_client: FailureThrottle | None = None


@dataclass(frozen=True, slots=True)
class Budgeted:
    budget: Budget
    throttle: FailureThrottle
    key: str
    reservation: Reservation


def account_key(email: str) -> str:
    return email.strip().lower()[:MAX_EMAIL]


def attempted_name(email: str) -> str:
    """What the audit log keeps of a name no account has: the name if it looks like an
    e-mail address; anything else may be a password typed into the wrong field."""
    name = email.strip()
    if "@" in name and len(name) <= MAX_EMAIL and not any(c.isspace() for c in name):
        return name.lower()
    return "[not an e-mail address]"


class PasswordCheck:
    def __init__(
        self,
        users: UserStore,
        verifier: PasswordVerifier,
        throttles: PasswordThrottles,
        *,
        audit: AuditLog | None = None,
        via: str = "sign_in_page",
    ) -> None:
        self._users = users
        self._verifier = verifier
        self._throttles = throttles
        self._audit = audit
        #: where the password was given, as the audit log says: sign_in_page, password_grant
        self._via = via

    def _record(
        self,
        event: str,
        name: str,
        address: str,
        client: str | None,
        space_id: SpaceId | None,
        **details: object,
    ) -> None:
        if self._audit is None:
            return
        extra = {k: v for k, v in (("client_id", client), ("space_id", space_id)) if v}
        self._audit.record(
            event,
            Actor("user", name, address),
            target_type="user",
            target=name,
            via=self._via,
            **extra,
            **details,
        )

    async def _reserve_all(self, email: str, address: str, client: str | None) -> list[Budgeted]:
        wanted: list[tuple[Budget, FailureThrottle, str]] = [
            ("account", self._throttles.per_account, account_key(email)),
            ("address", self._throttles.per_address, address),
        ]
        if client is not None and self._throttles.per_client is not None:
            wanted.append(("client", self._throttles.per_client, client))
        taken: list[Budgeted] = []
        try:
            for budget, throttle, key in wanted:
                taken.append(Budgeted(budget, throttle, key, await throttle.reserve(key)))
        except Throttled as exc:
            await _release(taken)
            raise TooManyFailures(wanted[len(taken)][0], exc.retry_after) from None
        except ThrottleUnavailable:
            await _release(taken)
            raise CheckUnavailable from None
        return taken

    async def check(
        self,
        email: str,
        password: str,
        *,
        address: str,
        client: str | None = None,
        space_id: SpaceId | None = None,
    ) -> User:
        """The user whose password this is, or one of this module's exceptions. Every
        outcome but a busy verifier is an audit event (the password is never in it)."""
        try:
            taken = await self._reserve_all(email, address, client)
        except TooManyFailures as exc:
            self._record(
                SIGN_IN_FAILED,
                attempted_name(email),
                address,
                client,
                space_id,
                reason="throttled",
                budget=exc.budget,
            )
            raise
        user = await self._users.by_email(email) if len(email) <= MAX_EMAIL else None
        try:
            ok = len(password) <= MAX_PASSWORD and await self._verifier.verify(
                user.password_hash if user else None, password
            )
        except VerifierBusy:
            await _release(taken)  # nothing was checked
            raise CheckUnavailable from None
        except BaseException:
            await _release(taken)
            raise
        if user is None or not ok or not user.is_active:
            reason = "unknown_user" if user is None else "wrong_password" if not ok else "disabled"
            name = attempted_name(email) if user is None else user.email
            self._record(SIGN_IN_FAILED, name, address, client, space_id, reason=reason)
            raise WrongCredentials
        self._record(SIGN_IN_SUCCEEDED, user.email, address, client, space_id)
        # Knowing the password ends the account's lockout; the other budgets only get
        # this attempt's place back.
        for item in taken:
            if item.budget == "account":
                await item.throttle.reset(item.key)
            else:
                await item.throttle.release(item.reservation)
        return user


async def _release(taken: list[Budgeted]) -> None:
    for item in taken:
        await item.throttle.release(item.reservation)
