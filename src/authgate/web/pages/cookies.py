"""The browser cookies of the login flow."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Literal

from starlette.requests import Request
from starlette.responses import Response

SESSION = "authgate_session"
PRESESSION = "authgate_csrf"


@dataclass(frozen=True, slots=True)
class CookieFlags:
    """The attributes of one issuer's cookies besides ``HttpOnly`` (always set):
    ``Secure`` on https issuers, and ``SameSite`` (web/pages/framing.py decides it)."""

    secure: bool
    samesite: Literal["lax", "none"] = "lax"


def set_cookie(
    response: Response, name: str, value: str, flags: CookieFlags, *, max_age: int, path: str = "/"
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite=flags.samesite,
        secure=flags.secure,
    )


def delete_cookie(response: Response, name: str, flags: CookieFlags, *, path: str = "/") -> None:
    """With the attributes it was set with: a browser ignores a ``SameSite=Lax`` cookie
    set (here: expired) in a cross-site frame, so a framed sign-out would not clear it."""
    response.delete_cookie(
        name, path=path, secure=flags.secure, httponly=True, samesite=flags.samesite
    )


def presession(request: Request, name: str = PRESESSION) -> tuple[str, bool]:
    """The pre-login CSRF binding cookie and whether it must be (re)set."""
    value = request.cookies.get(name, "")
    if 20 <= len(value) <= 64 and value.isascii():
        return value, False
    return secrets.token_urlsafe(24), True
