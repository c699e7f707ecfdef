"""HTTP side of the authorization endpoint: login redirect, consent page, decision."""

from __future__ import annotations

import re
import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import Response

from authgate.domain import User
from authgate.errors import ConsentRequired, LoginRequired, OAuthError
from authgate.protocol.authorize import (
    AuthorizationRequest,
    AuthorizationResponse,
    AuthorizePageError,
    RedirectError,
)
from authgate.protocol.requests import MAX_FIELDS
from authgate.services import Services
from authgate.web.pages.account import LOGOUT_PATH, login_url
from authgate.web.pages.cookies import SESSION
from authgate.web.pages.forms import read_pairs
from authgate.web.pages.render import Pages

DECISION_PATH = "/oauth/authorize/decision"
_FORM_FIELDS = frozenset({"csrf_token", "decision"})
#: What CSP can name as a host-source (CSP3 §2.3.1: no IPv6 literals, no userinfo).
_CSP_HOST = re.compile(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?")


def form_action_source(redirect_uri: str) -> str:
    """The CSP ``form-action`` source for a form posting to ``redirect_uri``: its origin, or
    only its scheme where the host cannot be written as a CSP host-source."""
    parts = urlsplit(redirect_uri)  # validated at registration and again on request
    scheme = parts.scheme.lower()
    if parts.netloc and _CSP_HOST.fullmatch(parts.netloc):
        return f"{scheme}://{parts.netloc}"
    return f"{scheme}:"


class AuthorizePages:
    def __init__(self, services: Services, pages: Pages) -> None:
        self._services = services
        self._endpoint = services.authorize
        self._pages = pages
        self._path = services.settings.authorize_endpoint

    async def _pairs(self, request: Request) -> list[tuple[str, str]]:
        if request.method == "POST":
            return await read_pairs(request)
        try:
            return parse_qsl(
                request.url.query,
                keep_blank_values=True,
                errors="strict",
                max_num_fields=MAX_FIELDS,
            )
        except (UnicodeDecodeError, ValueError):
            raise AuthorizePageError(
                "the request's parameters are not valid URL-encoded UTF-8"
            ) from None

    def _invalid(self, exc: OAuthError) -> Response:
        return self._pages.error("This link is not valid", exc.description or exc.error)

    def _redirect_error(self, error: RedirectError) -> Response:
        return self._deliver(self._endpoint.error_redirect(error), 302)

    def _deliver(self, response: AuthorizationResponse, status_code: int) -> Response:
        """A redirect, or for ``response_mode=form_post`` a page whose form posts the values
        to the redirect URI by itself (OAuth 2.0 Form Post Response Mode §2)."""
        if response.response_mode != "form_post":
            return self._pages.redirect(response.url(), status_code)
        nonce = secrets.token_urlsafe(16)
        page = self._pages.render(
            "form_post.html",
            redirect_uri=response.redirect_uri,
            values=sorted(response.values.items()),
            nonce=nonce,
        )
        page.headers["Content-Security-Policy"] += (
            f"; form-action {form_action_source(response.redirect_uri)}; script-src 'nonce-{nonce}'"
        )
        return page

    async def _user(self, request: Request) -> User | None:
        session = await self._services.sessions.current(request.cookies.get(SESSION))
        return None if session is None else await self._services.users.by_id(session.user_id)

    async def authorize(self, request: Request) -> Response:
        """RFC 6749 §3.1: GET and POST (seed 003) take the same parameters."""
        try:
            auth = await self._endpoint.validate(await self._pairs(request))
        except RedirectError as error:
            return self._redirect_error(error)
        except OAuthError as exc:
            return self._invalid(exc)
        user = await self._user(request)
        if user is None or "login" in auth.prompt:
            if "none" in auth.prompt:
                return self._redirect_error(
                    self._error(auth, LoginRequired("the user is not signed in"))
                )
            # Carry the request through login as a GET URL (without prompt=login, or it loops).
            params = {k: v for k, v in auth.params.items() if k != "prompt"}
            kept = " ".join(sorted(auth.prompt - {"login"}))
            if kept:
                params["prompt"] = kept
            return self._pages.redirect(login_url(f"{self._path}?{urlencode(params)}"))
        if await self._endpoint.needs_consent(auth, user.id):
            if "none" in auth.prompt:
                return self._redirect_error(
                    self._error(auth, ConsentRequired("the user has not consented"))
                )
            return self._consent_page(request, auth, user)
        return self._deliver(await self._endpoint.approve(auth, user.id, remember=False), 302)

    @staticmethod
    def _error(auth: AuthorizationRequest, exc: OAuthError) -> RedirectError:
        return RedirectError(exc, auth.redirect_uri, auth.state, auth.response_mode)

    def _consent_page(self, request: Request, auth: AuthorizationRequest, user: User) -> Response:
        catalog = self._services.settings.scopes
        return self._pages.render(
            "consent.html",
            app_name=auth.client.name,
            user_email=user.email,
            scopes=[(name, catalog.get(name, name)) for name in sorted(auth.scopes)],
            redirect_host=urlsplit(auth.redirect_uri).netloc or auth.redirect_uri,
            decision_url=DECISION_PATH,
            params=sorted(auth.params.items()),
            csrf_token=self._services.csrf.token(request.cookies.get(SESSION, ""), "consent"),
            logout_url=LOGOUT_PATH,
            logout_csrf_token=self._services.csrf.token(request.cookies.get(SESSION, ""), "logout"),
            continue_url=f"{self._path}?{urlencode(auth.params)}",
        )

    async def decision(self, request: Request) -> Response:
        """The consent form's answer. Consent is only ever given by POST with a CSRF token."""
        try:
            pairs = await read_pairs(request)
        except OAuthError as exc:
            return self._invalid(exc)
        fields = {k: v for k, v in pairs if k in _FORM_FIELDS}
        try:
            auth = await self._endpoint.validate(
                [(k, v) for k, v in pairs if k not in _FORM_FIELDS]
            )
        except RedirectError as error:
            return self._redirect_error(error)
        except OAuthError as exc:
            return self._invalid(exc)
        token = request.cookies.get(SESSION, "")
        user = await self._user(request)
        if user is None:
            return self._pages.redirect(login_url(f"{self._path}?{urlencode(auth.params)}"))
        if not self._services.csrf.check(token, "consent", fields.get("csrf_token")):
            return self._pages.error(
                "Please try again", "The consent form expired or did not come from this site.", 403
            )
        if fields.get("decision") != "allow":
            return self._deliver(self._endpoint.deny(auth), 303)
        return self._deliver(await self._endpoint.approve(auth, user.id, remember=True), 303)
