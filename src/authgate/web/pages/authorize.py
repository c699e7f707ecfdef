"""HTTP side of the authorization endpoint: login redirect, consent page, decision."""

from __future__ import annotations

import re
import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import Response

from authgate.audit.events import Actor
from authgate.domain import Session, User
from authgate.errors import ConsentRequired, LoginRequired, OAuthError
from authgate.protocol.authorization import (
    AuthorizationRequest,
    AuthorizationResponse,
    AuthorizePageError,
    RedirectError,
)
from authgate.protocol.requests import MAX_FIELDS
from authgate.services import Services
from authgate.web.context import request_context
from authgate.web.pages.account import LOGOUT_PATH, login_url
from authgate.web.pages.forms import read_pairs
from authgate.web.pages.render import Pages
from authgate.web.pages.site import Site, site_of

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

    def _invalid(self, exc: OAuthError, site: Site) -> Response:
        return self._pages.error(
            site.issuer, "This link is not valid", exc.description or exc.error
        )

    def _redirect_error(self, error: RedirectError, site: Site) -> Response:
        return self._deliver(self._endpoint.error_redirect(error, site.issuer), 302, site)

    def _deliver(self, response: AuthorizationResponse, status_code: int, site: Site) -> Response:
        """A redirect, or for ``response_mode=form_post`` a page whose form posts the values
        to the redirect URI by itself (OAuth 2.0 Form Post Response Mode §2)."""
        if response.response_mode != "form_post":
            return self._pages.redirect(site.issuer, response.url(), status_code)
        nonce = secrets.token_urlsafe(16)
        page = self._pages.render(
            site.issuer,
            "form_post.html",
            redirect_uri=response.redirect_uri,
            values=sorted(response.values.items()),
            nonce=nonce,
        )
        page.headers["Content-Security-Policy"] += (
            f"; form-action {form_action_source(response.redirect_uri)}; script-src 'nonce-{nonce}'"
        )
        return page

    async def _signed_in(self, request: Request, site: Site) -> tuple[Session, User] | None:
        session = await self._services.sessions.current(
            site.session_token(request), site.issuer.space_id
        )
        user = None if session is None else await self._services.users.by_id(session.user_id)
        # A disabled user's sessions were revoked; refuse one a worker may still have cached.
        if session is None or user is None or not user.is_active:
            return None
        return session, user

    def _to_login(self, site: Site, auth: AuthorizationRequest) -> Response:
        """Carry the request through sign-in as a GET URL (without prompt=login or
        select_account, or it would loop)."""
        params = {k: v for k, v in auth.params.items() if k != "prompt"}
        kept = " ".join(sorted(auth.prompt - {"login", "select_account"}))
        if kept:
            params["prompt"] = kept
        next_path = f"{site.url(self._path)}?{urlencode(params)}"
        return self._pages.redirect(site.issuer, login_url(site, next_path, auth.login_hint))

    async def authorize(self, request: Request) -> Response:
        """RFC 6749 §3.1: GET and POST (seed 003) take the same parameters."""
        site = site_of(request)
        try:
            auth = await self._endpoint.validate(await self._pairs(request))
        except RedirectError as error:
            return self._redirect_error(error, site)
        except OAuthError as exc:
            return self._invalid(exc, site)
        found = await self._signed_in(request, site)
        now = self._services.minter.now()
        if found is None or auth.needs_login(found[0].created_at, now):
            if "none" in auth.prompt:
                return self._redirect_error(
                    self._error(auth, LoginRequired("the user is not signed in")), site
                )
            return self._to_login(site, auth)
        session, user = found
        if "none" in auth.prompt and auth.hint_subject not in (None, user.subject):
            # Core §3.1.2.1: the user the id_token_hint names is not the one signed in.
            return self._redirect_error(
                self._error(auth, LoginRequired("another user is signed in")), site
            )
        if not await self._endpoint.may_use(site.issuer, user.id):
            return self._not_a_member(request, site, auth, user)
        if await self._endpoint.needs_consent(auth, user.id, site.issuer):
            if "none" in auth.prompt:
                return self._redirect_error(
                    self._error(auth, ConsentRequired("the user has not consented")), site
                )
            return await self._consent_page(request, site, auth, user)
        approved = await self._endpoint.approve(
            auth, user.id, session.created_at, site.issuer, remember=False
        )
        return self._deliver(approved, 302, site)

    def _not_a_member(
        self, request: Request, site: Site, auth: AuthorizationRequest, user: User
    ) -> Response:
        """Seed 001: only members sign in to apps through a space; say so, and offer the
        way back to the app (with ``access_denied``)."""
        space = site.issuer.space
        assert space is not None
        if "none" in auth.prompt:
            reason = "the user is not a member of this space"
            return self._deliver(self._endpoint.deny(auth, site.issuer, reason), 302, site)
        back = self._endpoint.deny(auth, site.issuer, "the user is not a member of this space")
        return self._pages.render(
            site.issuer,
            "not_member.html",
            403,
            space_name=space.name,
            user_email=user.email,
            app_name=auth.client.name,
            back_url=back.url() if back.response_mode != "form_post" else "",
            logout_url=site.url(LOGOUT_PATH),
            logout_csrf_token=self._services.csrf.token(site.session_token(request), "logout"),
            continue_url=f"{site.url(self._path)}?{urlencode(auth.params)}",
        )

    @staticmethod
    def _error(auth: AuthorizationRequest, exc: OAuthError) -> RedirectError:
        return RedirectError(exc, auth.redirect_uri, auth.state, auth.response_mode)

    async def _consent_page(
        self, request: Request, site: Site, auth: AuthorizationRequest, user: User
    ) -> Response:
        """In the person's words: what the app may do (the catalog's texts; the scope
        names and the client id in small print), who made it and where it links to."""
        catalog = self._services.settings.scope_catalog
        token = site.session_token(request)
        client = auth.client
        owner = (
            None if client.owner_id is None else await self._services.users.by_id(client.owner_id)
        )
        space = site.issuer.space
        return self._pages.render_page(
            site.issuer,
            "consent.html",
            images=(client.logo_url,),
            own_forms=False,
            app_name=client.name,
            app_logo=client.logo_url,
            app_description=client.description,
            homepage_url=client.homepage_url,
            privacy_url=client.privacy_url,
            developer_name=owner.name if owner is not None else "",
            client_id=client.client_id,
            scope_text=" ".join(sorted(auth.scopes)),
            redirect_uri=auth.redirect_uri,
            space_name=space.name if space is not None else "",
            account_url="/account" if space is None else "",
            user_email=user.email,
            scopes=[(name, catalog.get(name, name)) for name in sorted(auth.scopes)],
            redirect_host=urlsplit(auth.redirect_uri).netloc or auth.redirect_uri,
            decision_url=site.url(DECISION_PATH),
            params=sorted(auth.params.items()),
            csrf_token=self._services.csrf.token(token, "consent"),
            logout_url=site.url(LOGOUT_PATH),
            logout_csrf_token=self._services.csrf.token(token, "logout"),
            continue_url=f"{site.url(self._path)}?{urlencode(auth.params)}",
        )

    async def decision(self, request: Request) -> Response:
        """The consent form's answer. Consent is only ever given by POST with a CSRF token."""
        site = site_of(request)
        try:
            pairs = await read_pairs(request)
        except OAuthError as exc:
            return self._invalid(exc, site)
        fields = {k: v for k, v in pairs if k in _FORM_FIELDS}
        try:
            auth = await self._endpoint.validate(
                [(k, v) for k, v in pairs if k not in _FORM_FIELDS]
            )
        except RedirectError as error:
            return self._redirect_error(error, site)
        except OAuthError as exc:
            return self._invalid(exc, site)
        found = await self._signed_in(request, site)
        if found is None:
            return self._to_login(site, auth)
        session, user = found
        if not self._services.csrf.check(
            site.session_token(request), "consent", fields.get("csrf_token")
        ):
            return self._pages.error(
                site.issuer,
                "Please try again",
                "The consent form expired or did not come from this site.",
                403,
            )
        if not await self._endpoint.may_use(site.issuer, user.id):
            return self._not_a_member(request, site, auth, user)
        if fields.get("decision") != "allow":
            return self._deliver(self._endpoint.deny(auth, site.issuer), 303, site)
        approved = await self._endpoint.approve(
            auth,
            user.id,
            session.created_at,
            site.issuer,
            remember=True,
            actor=Actor("user", user.email, request_context(request).client_address),
        )
        return self._deliver(approved, 303, site)
