"""What the audit log holds: who did what to what, when, from where.

An event is written once and never changed (the store has no update). It names its actor
and its target by what an operator reads (an e-mail address, a client id, a key id),
not only by row ids, so that it still says who it was after the user or client is gone.
It never holds a token, a code, a secret or a password: :func:`clean_details` refuses
such names, and the callers pass none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Literal

from authgate.redaction import is_credential_name

#: who acts: a user (signing in, consenting), a client (at the token endpoint), an
#: operator at the command line, an administrator of the admin API, or authgate itself
ActorType = Literal["user", "client", "cli", "admin", "system"]
TargetType = Literal["user", "client", "key", "space", "token_family", "audit", "initial_token"]

# The events, by name (``{subject}.{what happened}``). Each is defined once, here.
SIGN_IN_SUCCEEDED: Final = "sign_in.succeeded"
SIGN_IN_FAILED: Final = "sign_in.failed"
CONSENT_GRANTED: Final = "consent.granted"
CONSENT_REVOKED: Final = "consent.revoked"
TOKEN_REUSE_DETECTED: Final = "token.reuse_detected"
CLIENT_CREATED: Final = "client.created"
CLIENT_UPDATED: Final = "client.updated"
CLIENT_DELETED: Final = "client.deleted"
CLIENT_SECRET_ROTATED: Final = "client.secret_rotated"
CLIENT_TOKENS_REVOKED: Final = "client.tokens_revoked"
KEY_CREATED: Final = "key.created"
KEY_ROTATED: Final = "key.rotated"
USER_CREATED: Final = "user.created"
USER_UPDATED: Final = "user.updated"
USER_DISABLED: Final = "user.disabled"
USER_ENABLED: Final = "user.enabled"
USER_DELETED: Final = "user.deleted"
USER_PASSWORD_SET: Final = "user.password_set"
USER_SESSIONS_REVOKED: Final = "user.sessions_revoked"
SPACE_CREATED: Final = "space.created"
SPACE_UPDATED: Final = "space.updated"
SPACE_DELETED: Final = "space.deleted"
SPACE_MEMBER_ADDED: Final = "space.member_added"
SPACE_MEMBER_UPDATED: Final = "space.member_updated"
SPACE_MEMBER_REMOVED: Final = "space.member_removed"
#: RFC 7591 §3: an operator created an initial access token for dynamic registration
INITIAL_TOKEN_CREATED: Final = "initial_token.created"
INITIAL_TOKEN_REVOKED: Final = "initial_token.revoked"
#: RFC 7592: an operator gave a dynamically registered client a new registration token
CLIENT_REGISTRATION_TOKEN_ISSUED: Final = "client.registration_token_issued"
#: every event name authgate writes (the column is as wide as the longest)
EVENTS: Final = (
    SIGN_IN_SUCCEEDED,
    SIGN_IN_FAILED,
    CONSENT_GRANTED,
    CONSENT_REVOKED,
    TOKEN_REUSE_DETECTED,
    CLIENT_CREATED,
    CLIENT_UPDATED,
    CLIENT_DELETED,
    CLIENT_SECRET_ROTATED,
    CLIENT_TOKENS_REVOKED,
    KEY_CREATED,
    KEY_ROTATED,
    USER_CREATED,
    USER_UPDATED,
    USER_DISABLED,
    USER_ENABLED,
    USER_DELETED,
    USER_PASSWORD_SET,
    USER_SESSIONS_REVOKED,
    SPACE_CREATED,
    SPACE_UPDATED,
    SPACE_DELETED,
    SPACE_MEMBER_ADDED,
    SPACE_MEMBER_UPDATED,
    SPACE_MEMBER_REMOVED,
    INITIAL_TOKEN_CREATED,
    INITIAL_TOKEN_REVOKED,
    CLIENT_REGISTRATION_TOKEN_ISSUED,
)
EVENT_CHARS: Final = 40
#: the longest actor, target or address kept (an e-mail address is at most 320)
TEXT_CHARS: Final = 320
#: the longest value of a detail kept
DETAIL_CHARS: Final = 1000
REDACTED: Final = "[redacted]"


def storable_text(value: object, limit: int = TEXT_CHARS) -> str:
    """``value`` as text both databases store: no NUL, no lone surrogate, at most
    ``limit`` characters. An attacker chooses what a failed sign-in names."""
    text = str(value)[:limit]
    if text.isascii():
        return text.replace("\x00", "\ufffd")
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


def _clean(value: Any, depth: int = 0) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, list | tuple | set | frozenset) and depth < 2:
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [_clean(v, depth + 1) for v in list(items)[:100]]
    if isinstance(value, dict) and depth < 2:
        return clean_details(value, depth + 1)
    return storable_text(value, DETAIL_CHARS)


def clean_details(details: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """``details`` as plain JSON values, with the value of any key named like a credential
    (``token``, ``secret``, ``password``, ``code`` …) replaced by ``[redacted]``."""
    return {
        storable_text(key, 64): REDACTED if is_credential_name(str(key)) else _clean(value, depth)
        for key, value in details.items()
    }


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did it, and from which address (the client's, as the edge resolved it)."""

    type: ActorType
    #: an e-mail address, a client id, ``osuser@host`` for the CLI; None if unknown
    name: str | None = None
    address: str | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls("system", "authgate")


@dataclass(frozen=True, slots=True)
class NewAuditEvent:
    at: int
    event: str
    actor: Actor
    target_type: TargetType | None = None
    target: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    #: the HTTP request it happened in (``X-Request-Id``), if any
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class AuditEvent(NewAuditEvent):
    """A stored event; ``id`` increases with every event written."""

    id: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at,
            "event": self.event,
            "actor_type": self.actor.type,
            "actor": self.actor.name,
            "address": self.actor.address,
            "target_type": self.target_type,
            "target": self.target,
            "request_id": self.request_id,
            "details": self.details,
        }


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Newest first. ``before`` is a page's cursor: the id of the oldest event seen."""

    limit: int = 100
    before: int | None = None
    since: int | None = None
    until: int | None = None
    #: an event name, or its subject alone (``client`` matches every ``client.*``)
    event: str | None = None
    actor: str | None = None
    target: str | None = None


@dataclass(frozen=True, slots=True)
class AuditPage:
    events: list[AuditEvent]
    #: pass as ``AuditQuery.before`` for the next (older) page; None on the last page
    next_cursor: int | None
