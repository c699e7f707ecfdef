"""Signing users in to authgate's own pages: sessions and throttled password checks."""

from __future__ import annotations

from collections.abc import Callable

from authgate.crypto.tokens import digest, format_token, matches, new_secret, parse_token
from authgate.domain import Session, SpaceId, TokenId, User
from authgate.protocol.password_check import (
    CheckUnavailable,
    PasswordCheck,
    TooManyFailures,
    WrongCredentials,
)
from authgate.storage.base import SessionStore


class LoginFailed(Exception):
    def __init__(self, message: str, retry_after: int = 0, *, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        self.status = status


def _wait_text(seconds: int) -> str:
    minutes = (seconds + 59) // 60
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


class SessionManager:
    def __init__(
        self,
        sessions: SessionStore,
        passwords: PasswordCheck,
        *,
        lifetime: int,
        clock: Callable[[], float],
    ) -> None:
        self._sessions = sessions
        self._passwords = passwords
        self.lifetime = lifetime
        self._clock = clock

    async def login(
        self, email: str, password: str, address: str, space_id: SpaceId | None = None
    ) -> tuple[str, User]:
        """A new session token for the user on the issuer of ``space_id``, or
        :class:`LoginFailed` with a clear message."""
        try:
            user = await self._passwords.check(email, password, address=address, space_id=space_id)
        except TooManyFailures as exc:
            raise LoginFailed(
                "Too many failed sign-in attempts. Please wait "
                f"{_wait_text(exc.retry_after)} and try again.",
                exc.retry_after,
                status=429,
            ) from None
        except CheckUnavailable as exc:
            raise LoginFailed(
                "The server is busy. Please try again in a moment.", exc.retry_after, status=503
            ) from None
        except WrongCredentials:
            raise LoginFailed("The e-mail address or password is not correct.") from None
        now = int(self._clock())
        secret = new_secret()
        session_id = await self._sessions.create(
            digest(secret), user.id, now, now + self.lifetime, space_id
        )
        return format_token(session_id, secret), user

    async def current(self, token: str | None, space_id: SpaceId | None = None) -> Session | None:
        """The live session of ``token`` on the issuer of ``space_id`` (a session belongs
        to the issuer it was signed in on)."""
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
        return session if session.space_id == space_id else None

    async def logout(self, token: str | None, space_id: SpaceId | None = None) -> None:
        session = await self.current(token, space_id)
        if session is not None:
            await self._sessions.revoke(session.id, int(self._clock()))
