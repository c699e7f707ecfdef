"""The issuer a page is served for: its local URLs and its cookies.

A space served under ``/spaces/{slug}`` on the root host has its own cookie names and
path, so that its sign-in (session and sign-in form binding) is separate from the root
issuer's, cookie attributes included; on its own subdomain or domain the cookies are
host-only and therefore separate anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from authgate.protocol.context import Issuer
from authgate.web.issuers import issuer_of
from authgate.web.pages.cookies import (
    PRESESSION,
    SESSION,
    CookieFlags,
    delete_cookie,
    presession,
    set_cookie,
)


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
        return self._own(SESSION)

    @property
    def presession_name(self) -> str:
        """The sign-in form's CSRF binding cookie (web/pages/cookies.py)."""
        return self._own(PRESESSION)

    def _own(self, name: str) -> str:
        space = self.issuer.space
        return name if not self.issuer.prefix or space is None else f"{name}_{space.slug}"

    @property
    def cookie_path(self) -> str:
        return self.issuer.prefix or "/"

    def session_token(self, request: Request) -> str:
        return request.cookies.get(self.cookie_name, "")

    def presession(self, request: Request) -> tuple[str, bool]:
        """The pre-login CSRF binding and whether it must be (re)set."""
        return presession(request, self.presession_name)

    def set_presession(self, response: Response, value: str, flags: CookieFlags) -> None:
        set_cookie(
            response, self.presession_name, value, flags, max_age=3600, path=self.cookie_path
        )

    def set_session(
        self, response: Response, token: str, flags: CookieFlags, *, max_age: int
    ) -> None:
        set_cookie(response, self.cookie_name, token, flags, max_age=max_age, path=self.cookie_path)

    def clear_session(self, response: Response, flags: CookieFlags) -> None:
        delete_cookie(response, self.cookie_name, flags, path=self.cookie_path)


def site_of(request: Request) -> Site:
    return Site(issuer_of(request.scope))
