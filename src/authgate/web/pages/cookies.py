"""The browser cookies of the login flow."""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import Response

SESSION = "authgate_session"
PRESESSION = "authgate_csrf"


def set_cookie(response: Response, name: str, value: str, *, secure: bool, max_age: int) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", httponly=True, samesite="lax", secure=secure
    )


def presession(request: Request) -> tuple[str, bool]:
    """The pre-login CSRF binding cookie and whether it must be (re)set."""
    value = request.cookies.get(PRESESSION, "")
    if 20 <= len(value) <= 64 and value.isascii():
        return value, False
    return secrets.token_urlsafe(24), True
