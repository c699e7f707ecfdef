"""RFC 7591 §3 initial access tokens: what an operator hands out so that someone may
register a client at ``/oauth/register``.

A token is ``<id>.<secret>`` (like every token of authgate): only the secret's SHA-256 is
stored, compared in constant time. It may expire and may allow a number of
registrations; each registration reserves one use first, atomically, and gives it back
if the registration is refused, so that a token of one use registers exactly one client
however many requests race for it. The CLI creates them (``authgate client initial-token``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from authgate.audit.events import INITIAL_TOKEN_CREATED, INITIAL_TOKEN_REVOKED, Actor
from authgate.audit.log import AuditLog
from authgate.crypto.tokens import digest, format_token, matches, new_secret, parse_token
from authgate.errors import InvalidToken
from authgate.protocol.rules import RegistrationError
from authgate.storage.registrations import InitialAccessToken, InitialTokenStore

#: the longest an initial access token may live, and the most uses it may allow
MAX_SECONDS = 10 * 365 * 24 * 3600
MAX_USES = 1_000_000
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"([0-9]{1,12})([smhdw]?)")


def parse_duration(value: str) -> int | None:
    """``never`` → ``None``; ``90``, ``90s``, ``30m``, ``12h``, ``1d``, ``2w`` → seconds."""
    text = value.strip().lower()
    if text == "never":
        return None
    match = _DURATION.fullmatch(text) if text.isascii() else None
    if match is None:
        raise RegistrationError(
            f"expiry {value[:20]!r} must be seconds, or a number with s, m, h, d or w "
            "(1d), or never",
            field="expires",
        )
    seconds = int(match.group(1)) * _UNITS[match.group(2) or "s"]
    if not 0 < seconds <= MAX_SECONDS:
        raise RegistrationError("an expiry must be between 1 second and 10 years", field="expires")
    return seconds


class RefusedToken(InvalidToken):
    """RFC 6750 §3.1 ``invalid_token`` for a token that is not an access token (an initial
    or a registration access token), worded for it."""

    def __init__(self, description: str) -> None:
        super().__init__("invalid")
        self.description = description


#: the one answer for an unknown, forged, expired or used-up initial access token
REFUSED = "the initial access token is unknown, expired or used up"


@dataclass(frozen=True, slots=True)
class IssuedInitialToken:
    #: shown once, never stored
    token: str
    row: InitialAccessToken


class InitialTokens:
    def __init__(
        self,
        store: InitialTokenStore,
        clock: Callable[[], float],
        *,
        audit: AuditLog | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._audit = audit

    def now(self) -> int:
        return int(self._clock())

    async def create(
        self,
        *,
        expires_in: int | None,
        max_uses: int | None,
        actor: Actor | None = None,
    ) -> IssuedInitialToken:
        """A new token; ``expires_in`` seconds (``None``: never), ``max_uses``
        registrations (``None``: any number)."""
        if expires_in is not None and not 0 < expires_in <= MAX_SECONDS:
            raise RegistrationError(
                "an expiry must be between 1 second and 10 years", field="expires"
            )
        if max_uses is not None and not 0 < max_uses <= MAX_USES:
            raise RegistrationError(
                f"uses must be between 1 and {MAX_USES} (leave it out for no limit)",
                field="uses",
            )
        secret = new_secret()
        now = self.now()
        actor = actor or Actor.system()
        row = await self._store.create(
            digest(secret),
            now,
            None if expires_in is None else now + expires_in,
            max_uses,
            actor.name,
        )
        if self._audit is not None:
            self._audit.record(
                INITIAL_TOKEN_CREATED,
                actor,
                target_type="initial_token",
                target=row.id,
                expires_at=row.expires_at,
                max_uses=row.max_uses,
            )
        return IssuedInitialToken(format_token(row.id, secret), row)

    async def reserve(self, token: str) -> InitialAccessToken:
        """Take one use of ``token`` (RFC 7591 §3: the registration's authorization);
        :class:`InvalidToken` when it is unknown, forged, expired or used up (the same
        answer for each, as RFC 6750 §3.1 words it)."""
        parsed = parse_token(token)
        row = None if parsed is None else await self._store.get(parsed[0])
        if parsed is None or row is None or not matches(parsed[1], row.secret_digest):
            raise RefusedToken(REFUSED)
        if not await self._store.reserve(row.id, self.now()):
            raise RefusedToken(REFUSED)
        return row

    async def page(self, *, after: int | None, limit: int) -> list[InitialAccessToken]:
        """Tokens by creation (expired and used-up ones too, until revoked)."""
        return await self._store.page(after=after, limit=limit)

    async def get(self, token_id: int) -> InitialAccessToken | None:
        return await self._store.get(token_id)

    async def revoke(self, token_id: int, *, actor: Actor) -> bool:
        """Delete the token (``False``: there was none): registrations that reserved a
        use of it already go on; no new one can. The clients it registered stay."""
        if not await self._store.delete(token_id):
            return False
        if self._audit is not None:
            self._audit.record(
                INITIAL_TOKEN_REVOKED, actor, target_type="initial_token", target=token_id
            )
        return True

    async def release(self, row: InitialAccessToken) -> None:
        """Give back the use a refused registration reserved."""
        await self._store.release(row.id)
