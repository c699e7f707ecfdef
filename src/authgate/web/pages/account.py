"""Login, logout and the signed-in page."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import Response

from authgate.errors import OAuthError
from authgate.protocol.client_auth import plausible_client_id
from authgate.protocol.login import LoginFailed
from authgate.services import Services
from authgate.web.context import request_context
from authgate.web.pages.forms import read_form
from authgate.web.pages.render import Pages
from authgate.web.pages.site import Site, site_of

LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"


def safe_next(value: str | None, site: Site) -> str:
    """Only this issuer's local paths: never an open redirect (RFC 9700 §4.11)."""
    home = site.url("/")
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return home
    if any(c in value for c in "\r\n\x00\\") or len(value) > 8000:
        return home
    if site.issuer.prefix and not value.startswith(site.issuer.prefix + "/"):
        return home
    return value


def login_url(
    site: Site, next_path: str, login_hint: str | None = None, *, signed_out: bool = False
) -> str:
    """The sign-in page of ``site``, continuing to the local URL ``next_path`` (and saying
    that the person was just ``signed_out``)."""
    query = {"next": next_path}
    if login_hint:
        query["login_hint"] = login_hint
    if signed_out:
        query["signed_out"] = "1"
    return f"{site.url(LOGIN_PATH)}?{urlencode(query)}"


class AccountPages:
    def __init__(self, services: Services, pages: Pages) -> None:
        self._services = services
        self._pages = pages

    def _login_page(
        self,
        request: Request,
        next_path: str,
        *,
        error: str = "",
        email: str = "",
        status: int = 200,
        app_name: str = "",
        notice: str = "",
    ) -> Response:
        site = site_of(request)
        binding, fresh = site.presession(request)
        space = site.issuer.space
        response = self._pages.render(
            site.issuer,
            "login.html",
            status,
            csrf_token=self._services.csrf.token(binding, "login"),
            next=next_path,
            error=error,
            email=email,
            login_url=site.url(LOGIN_PATH),
            app_name=app_name,
            space_name=space.name if space else "",
            notice=notice,
        )
        if fresh:
            site.set_presession(response, binding, self._pages.framing.cookies(site.issuer))
        return response

    async def _app_name(self, site: Site, next_path: str) -> str:
        """The app a sign-in continues to, when it comes from the authorization endpoint."""
        parts = urlsplit(next_path)
        if site.local(parts.path) not in self._services.settings.authorize_paths:
            return ""
        client_id = parse_qs(parts.query).get("client_id", [""])[0]
        if not client_id or not plausible_client_id(client_id):
            return ""
        client = await self._services.clients.by_client_id(client_id)
        return "" if client is None else client.name

    async def login(self, request: Request) -> Response:
        site = site_of(request)
        if request.method == "GET":
            next_path = safe_next(request.query_params.get("next"), site)
            hint = request.query_params.get("login_hint", "")[:320]
            signed_out = request.query_params.get("signed_out") == "1"
            return self._login_page(
                request,
                next_path,
                email=hint,
                app_name=await self._app_name(site, next_path),
                notice="You are signed out." if signed_out else "",
            )
        try:
            form = await read_form(request)
        except OAuthError as exc:
            return self._pages.error(
                site.issuer, "Sign-in failed", exc.description or "bad request"
            )
        next_path = safe_next(form.get("next"), site)
        binding = request.cookies.get(site.presession_name, "")
        if not self._services.csrf.check(binding, "login", form.get("csrf_token")):
            return self._login_page(
                request,
                next_path,
                error="Your sign-in form expired. Please try again.",
                status=400,
            )
        email = form.get("email", "")
        address = request_context(request).client_address
        try:
            token, _ = await self._services.sessions.login(
                email, form.get("password", ""), address, site.issuer.space_id
            )
        except LoginFailed as exc:
            response = self._login_page(
                request, next_path, error=exc.message, email=email, status=exc.status
            )
            if exc.retry_after:
                response.headers["Retry-After"] = str(exc.retry_after)
            return response
        response = self._pages.redirect(site.issuer, next_path)
        flags = self._pages.framing.cookies(site.issuer)
        site.set_session(response, token, flags, max_age=self._services.sessions.lifetime)
        return response

    async def logout(self, request: Request) -> Response:
        """Sign out only with the form's CSRF token: a cross-site POST must not end (or
        half-end) the session. With it, the server-side session is revoked as well."""
        site = site_of(request)
        space_id = site.issuer.space_id
        token = site.session_token(request)
        try:
            form = await read_form(request)
        except OAuthError:
            form = {}
        next_path = safe_next(form.get("next"), site)
        home = site.url("/")
        done = self._pages.redirect(
            site.issuer,
            login_url(site, next_path, signed_out=True)
            if next_path != home
            else f"{site.url(LOGIN_PATH)}?signed_out=1",
        )
        if not self._services.csrf.check(token, "logout", form.get("csrf_token")):
            if await self._services.sessions.current(token, space_id) is None:
                return done  # nobody is signed in: nothing to end
            return self._pages.render(
                site.issuer,
                "logout.html",
                403,
                logout_url=site.url(LOGOUT_PATH),
                csrf_token=self._services.csrf.token(token, "logout"),
                next=next_path,
            )
        await self._services.sessions.logout(token, space_id)
        site.clear_session(done, self._pages.framing.cookies(site.issuer))
        return done

    async def home(self, request: Request) -> Response:
        site = site_of(request)
        token = site.session_token(request)
        session = await self._services.sessions.current(token, site.issuer.space_id)
        user = None if session is None else await self._services.users.by_id(session.user_id)
        if user is None or not user.is_active:
            return self._pages.redirect(site.issuer, login_url(site, site.url("/")))
        return self._pages.render(
            site.issuer,
            "home.html",
            user_email=user.email,
            user_name=user.name,
            root=site.issuer.space is None,
            is_admin=user.is_admin,
            logout_url=site.url(LOGOUT_PATH),
            csrf_token=self._services.csrf.token(token, "logout"),
        )
