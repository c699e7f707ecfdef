"""The issuer a page is served for: its local URLs and its session cookie.

A space served under ``/spaces/{slug}`` on the root host has its own cookie name and
path, so that its sign-in is separate from the root issuer's; on its own subdomain or
domain the cookie is host-only and therefore separate anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from authgate.protocol.context import Issuer
from authgate.web.issuers import issuer_of
from authgate.web.pages.cookies import SESSION


@dataclass(frozen=True, slots=True)
class Site:
    issuer: Issuer

    def url(self, path: str) -> str:
        """A local URL of this issuer's (``path`` starts with ``/``)."""
        return self.issuer.prefix + path

    def local(self, path: str) -> str:
        """``path`` without this issuer's prefix: what the route table sees."""
        prefix = self.issuer.prefix
        return path[len(prefix) :] or "/" if prefix and path.startswith(prefix) else path

    @property
    def cookie_name(self) -> str:
        space = self.issuer.space
        return SESSION if not self.issuer.prefix or space is None else f"{SESSION}_{space.slug}"

    @property
    def cookie_path(self) -> str:
        return self.issuer.prefix or "/"

    def session_token(self, request: Request) -> str:
        return request.cookies.get(self.cookie_name, "")

    def set_session(self, response: Response, token: str, *, secure: bool, max_age: int) -> None:
        response.set_cookie(
            self.cookie_name,
            token,
            max_age=max_age,
            path=self.cookie_path,
            httponly=True,
            samesite="lax",
            secure=secure,
        )

    def clear_session(self, response: Response, *, secure: bool) -> None:
        response.delete_cookie(
            self.cookie_name, path=self.cookie_path, secure=secure, httponly=True
        )


def site_of(request: Request) -> Site:
    return Site(issuer_of(request.scope))
