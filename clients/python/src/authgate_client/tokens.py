"""The token a token endpoint answered (RFC 6749 §5.1), in a form an app can store."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

#: the fields of RFC 6749 §5.1, OpenID Connect Core §3.1.3.3 and RFC 8693 §2.2.1
_KNOWN = frozenset(
    {
        "access_token",
        "token_type",
        "expires_in",
        "expires_at",
        "refresh_token",
        "scope",
        "id_token",
        "issued_token_type",
        "id_token_claims",
    }
)


@dataclass(frozen=True)
class Token:
    """An access token with what came with it.

    ``expires_at`` is a Unix time computed when the answer arrived (``None``: the server
    gave no lifetime, as for Cobot's tokens that never expire). ``extra`` holds any other
    field of the answer (Cloud BOT's ``username``). The secrets are left out of ``repr``,
    so a token in a log line or a traceback shows none.
    """

    access_token: str = field(repr=False)
    token_type: str = "Bearer"
    expires_at: float | None = None
    refresh_token: str | None = field(default=None, repr=False)
    scope: str | None = None
    id_token: str | None = field(default=None, repr=False)
    issued_token_type: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: the id token's claims, once this client validated it (not stored by ``to_dict``)
    id_token_claims: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_response(cls, data: Mapping[str, Any], *, now: float | None = None) -> Token:
        """A token endpoint's JSON answer (or an implicit response's fragment), with
        ``expires_in`` turned into ``expires_at`` at ``now`` (default: the current time)."""
        expires_in = data.get("expires_in")
        seconds: float | None
        try:
            seconds = float(expires_in) if expires_in not in (None, "") else None
        except (TypeError, ValueError):
            seconds = None
        at = data.get("expires_at")
        expires_at = (
            (time.time() if now is None else now) + seconds
            if seconds is not None
            else (float(at) if isinstance(at, int | float) else None)
        )
        return cls(
            access_token=str(data["access_token"]),
            token_type=str(data.get("token_type") or "Bearer"),
            expires_at=expires_at,
            refresh_token=_opt_str(data.get("refresh_token")),
            scope=_opt_str(data.get("scope")),
            id_token=_opt_str(data.get("id_token")),
            issued_token_type=_opt_str(data.get("issued_token_type")),
            extra={k: v for k, v in data.items() if k not in _KNOWN},
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Token:
        """The inverse of :meth:`to_dict`: a token the app stored."""
        return cls.from_response({k: v for k, v in data.items() if k != "expires_in"})

    def to_dict(self) -> dict[str, Any]:
        """Every field, JSON-ready, with ``expires_at`` (absolute) instead of
        ``expires_in``: what a token store keeps."""
        data: dict[str, Any] = {"access_token": self.access_token, "token_type": self.token_type}
        for name in ("expires_at", "refresh_token", "scope", "id_token", "issued_token_type"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        return {**self.extra, **data}

    def expires_in(self, *, now: float | None = None) -> float | None:
        """Seconds left (negative once expired); ``None`` for a token without a lifetime."""
        if self.expires_at is None:
            return None
        return self.expires_at - (time.time() if now is None else now)

    def is_expired(self, leeway: float = 0, *, now: float | None = None) -> bool:
        """Expired, or expiring within ``leeway`` seconds."""
        left = self.expires_in(now=now)
        return left is not None and left <= leeway

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset((self.scope or "").split())

    def with_refresh_token(self, refresh_token: str | None) -> Token:
        """RFC 6749 §6: when a refresh answer has no new refresh token, the old one stays."""
        if self.refresh_token is not None or refresh_token is None:
            return self
        return replace(self, refresh_token=refresh_token)


def _opt_str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)
