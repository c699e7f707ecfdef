"""Scope strings (RFC 6749 §3.3): parse, validate against a catalog, narrow."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from authgate.errors import InvalidScope


def _is_scope_token(token: str) -> bool:
    # scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
    return all(0x21 <= ord(c) <= 0x7E and c not in '"\\' for c in token)


def parse_scope(value: str | None) -> frozenset[str] | None:
    """``None`` when absent; otherwise the set of scope tokens, or :class:`InvalidScope`."""
    if value is None:
        return None
    tokens = value.split(" ")
    scopes = frozenset(t for t in tokens if t)
    if not scopes:
        return None
    bad = next((t for t in scopes if not _is_scope_token(t)), None)
    if bad is not None:
        raise InvalidScope("scope contains characters that RFC 6749 §3.3 does not allow")
    return scopes


def requested_scope(value: str | None, *, required: bool) -> frozenset[str] | None:
    """The ``scope`` of a request for authorization, parsed (:func:`parse_scope`).

    RFC 6749 §3.3: "If the client omits the scope parameter when requesting authorization,
    the authorization server MUST either process the request using a pre-defined default
    value or fail the request indicating an invalid scope." With ``required`` (the setting
    ``require_scope``) there is no default: an absent or empty scope is ``invalid_scope``.
    """
    scopes = parse_scope(value)
    if scopes is None and required:
        raise InvalidScope("the request must name the scope it asks for")
    return scopes


def format_scope(scopes: Iterable[str]) -> str:
    return " ".join(sorted(scopes))


#: OpenID Connect Core §5.4 scopes, with the text the consent page shows. Every client may
#: ask for them on a user's behalf, whatever platform scopes it was registered with (no
#: request gets them by default).
OIDC_SCOPES: dict[str, str] = {
    "openid": "Sign you in with your account",
    "profile": "See your name and picture",
    "email": "See your e-mail address",
    "phone": "See your phone number",
}
OIDC_SCOPE_NAMES = frozenset(OIDC_SCOPES)


def narrow(
    requested: frozenset[str] | None,
    allowed: Collection[str],
    *,
    what: str = "this client",
    also: frozenset[str] = frozenset(),
) -> frozenset[str]:
    """The granted scopes: all of ``allowed`` when none were requested (RFC 6749 §3.3
    default), otherwise ``requested`` if every one of them is allowed or in ``also``."""
    if requested is None:
        return frozenset(allowed)
    extra = requested.difference(allowed).difference(also)
    if extra:
        raise InvalidScope(f"scope {format_scope(extra)!r} is not allowed for {what}")
    return requested
