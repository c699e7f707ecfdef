"""What the signed-in pages (the account page, the developer portal) share: the signed-in
user, forms with repeated fields, and a one-time notice carried across a redirect.

These pages are the root issuer's only: a space's issuer serves sign-in and consent for
its apps, while a person's account and apps are the platform's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from authgate.crypto.secretbox import SecretBox
from authgate.domain import Session, User
from authgate.errors import InvalidRequest, OAuthError
from authgate.protocol.requests import is_form_content_type
from authgate.services import Services
from authgate.web.oauth import read_limited_body
from authgate.web.pages.cookies import CookieFlags, delete_cookie, set_cookie
from authgate.web.pages.render import Pages
from authgate.web.pages.site import Site

FLASH = "authgate_flash"
#: a notice (or a secret shown once) waits this long for the page it was made for
FLASH_SECONDS = 300
#: the most fields a page's form may have (checkboxes repeat their name)
MAX_FORM_FIELDS = 400


@dataclass(frozen=True, slots=True)
class SignedIn:
    session: Session
    user: User
    #: the session cookie's value: what the forms' CSRF tokens are bound to
    token: str


async def signed_in(services: Services, request: Request, site: Site) -> SignedIn | None:
    token = site.session_token(request)
    session = await services.sessions.current(token, site.issuer.space_id)
    if session is None:
        return None
    user = await services.users.by_id(session.user_id)
    if user is None or not user.is_active:
        return None
    return SignedIn(session, user, token)


class DuplicateField(InvalidRequest):
    """A field that the page has once came twice."""


@dataclass(frozen=True)
class PageForm:
    values: dict[str, str]
    lists: dict[str, list[str]] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def all(self, name: str) -> list[str]:
        return self.lists.get(name, [])


async def read_page_form(request: Request, multi: frozenset[str] = frozenset()) -> PageForm:
    """A page's form: each field once, but those in ``multi`` (checkboxes) any number of
    times; empty values kept (an empty field clears what it holds). The body is at most
    64 KiB; anything that is not URL-encoded UTF-8 is :class:`InvalidRequest`."""
    if not is_form_content_type(request.headers.get("content-type")):
        raise InvalidRequest("send the form as application/x-www-form-urlencoded")
    body = await read_limited_body(request.receive, request.headers.get("content-length"))
    try:
        pairs = parse_qsl(
            body.decode("ascii"),
            keep_blank_values=True,
            errors="strict",
            max_num_fields=MAX_FORM_FIELDS,
        )
    except UnicodeDecodeError:
        raise InvalidRequest("the form is not valid URL-encoded UTF-8") from None
    except ValueError:
        raise InvalidRequest("the form has too many fields") from None
    values: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    for name, value in pairs:
        if name in multi:
            lists.setdefault(name, []).append(value)
        elif name in values:
            raise DuplicateField(f"the form sent {name[:40]!r} twice")
        else:
            values[name] = value
    return PageForm(values, lists)


async def checked_form(
    services: Services,
    pages: Pages,
    request: Request,
    site: Site,
    me: SignedIn,
    purpose: str,
    multi: frozenset[str] = frozenset(),
) -> PageForm | Response:
    """A signed-in page's posted form once its CSRF token (made for ``purpose``) is
    checked; else the page that says why: a 400 for a form that cannot be read, a 403 for
    one that expired or came from another site."""
    try:
        form = await read_page_form(request, multi)
    except OAuthError as exc:
        return pages.error(
            site.issuer,
            "This form could not be read",
            exc.description or "bad request",
            from_link=False,
        )
    if not services.csrf.check(me.token, purpose, form.get("csrf_token")):
        return pages.error(
            site.issuer,
            "Please try again",
            "The form expired or did not come from this site.",
            403,
            from_link=False,
        )
    return form


class Flash:
    """A notice for the next page, in a cookie sealed with the secret key and bound to
    the user it was made for: after a POST, the page the browser is redirected to shows
    it once (a new secret included, which is why it is sealed and lives minutes)."""

    def __init__(self, box: SecretBox) -> None:
        self._box = box

    def put(self, response: Response, flags: CookieFlags, user: User, **data: str) -> None:
        sealed = self._box.seal(json.dumps({"user": user.id, **data}))
        set_cookie(response, FLASH, sealed, flags, max_age=FLASH_SECONDS)

    def take(self, request: Request, user: User) -> dict[str, Any]:
        """The notice for ``user``, if one is waiting (the caller clears the cookie)."""
        sealed = request.cookies.get(FLASH, "")
        if not sealed or len(sealed) > 8192:
            return {}
        opened = self._box.open(sealed, ttl=FLASH_SECONDS)
        try:
            data = json.loads(opened) if opened else {}
        except ValueError:
            return {}
        if not isinstance(data, dict) or data.pop("user", None) != user.id:
            return {}
        return {k: v for k, v in data.items() if isinstance(v, str)}

    @staticmethod
    def clear(request: Request, response: Response, flags: CookieFlags) -> None:
        if FLASH in request.cookies:
            delete_cookie(response, FLASH, flags)
