"""The claims a user's scopes release (OpenID Connect Core §5.4), from the user's own
profile (the account page) and, on a space's issuer, the membership in that space, which
wins (seed 001: name, picture, phone number)."""

from __future__ import annotations

from typing import Any

from authgate.domain import Membership, User

OPENID = "openid"
#: The claims each scope releases (Core §5.4), of those authgate has.
SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "profile": ("name", "picture"),
    "email": ("email", "email_verified"),
    "phone": ("phone_number", "phone_number_verified"),
}
ID_TOKEN_CLAIMS = ("iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "c_hash")
CLAIMS_SUPPORTED = sorted({*ID_TOKEN_CLAIMS, *(c for cs in SCOPE_CLAIMS.values() for c in cs)})


def user_claims(
    user: User, membership: Membership | None, scopes: frozenset[str]
) -> dict[str, Any]:
    """``sub`` and the claims ``scopes`` release; a space's membership profile wins."""
    claims: dict[str, Any] = {"sub": user.subject}
    if "profile" in scopes:
        name = (membership.name if membership else None) or user.name
        if name:
            claims["name"] = name
        picture = (membership.picture if membership else None) or user.picture
        if picture:
            claims["picture"] = picture
    if "email" in scopes:
        claims["email"] = user.email
        claims["email_verified"] = user.email_verified
    phone = (membership.phone_number if membership else None) or user.phone_number
    if "phone" in scopes and phone:
        claims["phone_number"] = phone
        claims["phone_number_verified"] = False
    return claims
