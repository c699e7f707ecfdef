"""Signing users in to authgate's own pages: sessions and throttled password checks."""

from __future__ import annotations

from collections.abc import Callable

from authgate.crypto.passwords import verify_password
from authgate.crypto.tokens import digest, format_token, matches, new_secret, parse_token
from authgate.domain import Session, TokenId, User
from authgate.protocol.throttle import FailureThrottle
from authgate.storage.base import SessionStore, UserStore


class LoginFailed(Exception):
    def __init__(self, message: str, retry_after: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class SessionManager:
    def __init__(
        self,
        users: UserStore,
        sessions: SessionStore,
        *,
        per_account: FailureThrottle,
        per_address: FailureThrottle,
        lifetime: int,
        clock: Callable[[], float],
    ) -> None:
        self._users = users
        self._sessions = sessions
        self._per_account = per_account
        self._per_address = per_address
        self.lifetime = lifetime
        self._clock = clock

    async def login(self, email: str, password: str, address: str) -> tuple[str, User]:
        """A new session token for the user, or :class:`LoginFailed` with a clear message."""
        account_key = "login:" + email.strip().lower()[:320]
        address_key = "address:" + address
        wait = max(
            await self._per_account.retry_after(account_key),
            await self._per_address.retry_after(address_key),
        )
        if wait:
            minutes = (wait + 59) // 60
            raise LoginFailed(
                "Too many failed sign-in attempts. Please wait "
                f"{minutes} minute{'s' if minutes != 1 else ''} and try again.",
                wait,
            )
        user = await self._users.by_email(email) if len(email) <= 320 else None
        ok = await verify_password(user.password_hash if user else None, password[:1024])
        if user is None or not ok or not user.is_active:
            await self._per_account.failed(account_key)
            await self._per_address.failed(address_key)
            raise LoginFailed("The e-mail address or password is not correct.")
        await self._per_account.succeeded(account_key)
        now = int(self._clock())
        secret = new_secret()
        session_id = await self._sessions.create(digest(secret), user.id, now, now + self.lifetime)
        return format_token(session_id, secret), user

    async def current(self, token: str | None) -> Session | None:
        parsed = parse_token(token) if token else None
        if parsed is None:
            return None
        session_id, secret = parsed
        found = await self._sessions.get(TokenId(session_id))
        if found is None:
            return None
        session, secret_digest = found
        if not matches(secret, secret_digest) or session.expires_at <= self._clock():
            return None
        return session

    async def logout(self, token: str | None) -> None:
        session = await self.current(token)
        if session is not None:
            await self._sessions.revoke(session.id, int(self._clock()))
