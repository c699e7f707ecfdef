"""``create_app(settings)``: the single composition root of the HTTP server."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from authgate.demo_api.openapi import OAuthSecurity
from authgate.demo_api.routes import demo_routes
from authgate.demo_api.scopes import ApiScopes
from authgate.protocol.dynamic_registration import REGISTRATION_PATH
from authgate.protocol.oidc.discovery import (
    ServerFeatures,
)
from authgate.resource.bearer import BearerAuth
from authgate.resource.local import LocalVerifier
from authgate.resource.ratelimit import ApiRateLimits
from authgate.services import Services, build_services
from authgate.settings import Settings, load_settings
from authgate.storage.base import DatabaseUnavailable
from authgate.storage.sql.connector import Connector
from authgate.storage.sql.driver import DeferredDatabase
from authgate.web.admin_api.app import PATH as ADMIN_API_PATH
from authgate.web.admin_api.app import admin_api
from authgate.web.admin_api.errors import admin_not_found
from authgate.web.admin_console import console_routes
from authgate.web.collector import tune_for_serving
from authgate.web.discovery import JWKS_PATH, PublishedDocuments
from authgate.web.dynamic_registration import RegistrationEndpoints
from authgate.web.edge import EdgeApp
from authgate.web.metrics import Metrics, stop_sync
from authgate.web.oauth import (
    INTROSPECTION_PATH,
    REVOCATION_PATH,
    FormEndpoint,
    IntrospectionHandler,
    RevocationHandler,
    TokenHandler,
)
from authgate.web.operations import METRICS_PATH, PATHS, Operations, Readiness
from authgate.web.pages.account import LOGIN_PATH, LOGOUT_PATH, AccountPages
from authgate.web.pages.account_page import ACCOUNT, AccountSettingsPages
from authgate.web.pages.authorize import DECISION_PATH, AuthorizePages
from authgate.web.pages.demo import DemoCallback
from authgate.web.pages.developer import APPS, PORTAL, DeveloperPages
from authgate.web.pages.framing import Framing
from authgate.web.pages.render import FAVICON, Pages
from authgate.web.responses import server_error_json, unavailable_json
from authgate.web.routing import fixed_routes, route_path
from authgate.web.userinfo import USERINFO_PATH, UserInfoHandler

log = logging.getLogger("authgate")


def create_app(
    settings: Settings | None = None,
    *,
    clock: Callable[[], float] = time.time,
    serving: bool = False,
) -> Starlette:
    """The app. ``serving``: this process is ``authgate serve``'s, and the garbage
    collector is set for it once the app has started (web/collector.py)."""
    settings = settings or load_settings()
    db = DeferredDatabase()
    services = build_services(settings, db, clock=clock)
    api_limits = ApiRateLimits.from_settings(services.rate_limiter, settings)
    verifier = LocalVerifier(services.checker, services.users, services.spaces)
    bearer = BearerAuth(
        verifier,
        realm=settings.realm,
        allow_query=settings.allow_access_token_query,
        rate_limits=api_limits,
        descriptions=settings.bearer_error_descriptions,
    )
    # The OAuth form endpoints answer everything themselves: the edge calls them directly
    # (web/oauth.py). Every method reaches them, so that anything but POST gets an RFC 6749
    # error rather than a bare 405.
    wording = services.error_descriptions
    token = TokenHandler(
        services.token_endpoint,
        descriptions=wording,
        params_in_query=settings.token_params_in_query,
    )
    revocation = RevocationHandler(services.revocation, descriptions=wording)
    introspection = IntrospectionHandler(services.introspection, descriptions=wording)
    direct: dict[str, FormEndpoint[Any]] = {path: token for path in settings.token_paths}
    direct[REVOCATION_PATH] = revocation
    direct[INTROSPECTION_PATH] = introspection
    routes: list[BaseRoute] = []
    api_routes = demo_routes(
        bearer,
        services.users,
        services.spaces,
        services.permissions,
        title=f"{settings.platform_name} API",
        security=OAuthSecurity(
            authorization_url=settings.issuer + settings.authorize_endpoint,
            token_url=settings.issuer + settings.token_endpoint,
            scopes=settings.scope_catalog,
        ),
        scopes=ApiScopes.named(settings.demo_api_scopes),
    )
    if api_limits is not None and (unknown := api_limits.unknown_endpoints(api_routes)):
        log.warning("api_rate_limits names no endpoint of the API: %s", ", ".join(unknown))
    routes += api_routes
    documents = PublishedDocuments(
        services.keys,
        ServerFeatures(
            authorize_path=settings.authorize_endpoint,
            token_path=settings.token_endpoint,
            userinfo_path=USERINFO_PATH,
            revocation_path=REVOCATION_PATH,
            introspection_path=INTROSPECTION_PATH,
            jwks_path=JWKS_PATH,
            scopes=settings.scope_catalog,
            grant_types=services.grants.offered,
            allow_plain_pkce=settings.allow_plain_pkce,
            registration_path=None if settings.dynamic_registration == "off" else REGISTRATION_PATH,
        ),
    )
    userinfo = UserInfoHandler(bearer, services.userinfo)
    # Discovery and the JWKS are answered by the edge, from memory (web/discovery.py).
    routes.append(Route(USERINFO_PATH, userinfo.handle, methods=["GET", "POST"]))
    framing = Framing(
        settings.frame_ancestors,
        secure=settings.secure_cookies,
        space_origins=services.issuers.origins_of
        if settings.frame_ancestors_space_origins
        else None,
    )
    pages = Pages(settings, framing, clock)
    authorize = AuthorizePages(services, pages)
    account = AccountPages(services, pages)
    developer = DeveloperPages(services, pages)
    settings_pages = AccountSettingsPages(services, pages, developer.not_found)
    routes += [
        Route(path, authorize.authorize, methods=["GET", "POST"])
        for path in settings.authorize_paths
    ]
    routes += [
        Route(DECISION_PATH, authorize.decision, methods=["POST"]),
        Route(LOGIN_PATH, account.login, methods=["GET", "POST"]),
        Route(LOGOUT_PATH, account.logout, methods=["POST"]),
        Route("/", account.home, methods=["GET"]),
        Route(ACCOUNT, settings_pages.page, methods=["GET"]),
        Route(ACCOUNT + "/profile", settings_pages.profile, methods=["POST"]),
        Route(ACCOUNT + "/email", settings_pages.email, methods=["POST"]),
        Route(ACCOUNT + "/password", settings_pages.password, methods=["POST"]),
        Route(ACCOUNT + "/apps/{client_id}/revoke", settings_pages.revoke, methods=["POST"]),
        Route(PORTAL, developer.apps, methods=["GET"]),
        Route(APPS, developer.create, methods=["POST"]),
        Route(APPS + "/new", developer.new, methods=["GET"]),
        Route(APPS + "/{client_id}", developer.show, methods=["GET"]),
        Route(APPS + "/{client_id}", developer.update, methods=["POST"]),
        Route(APPS + "/{client_id}/edit", developer.edit, methods=["GET"]),
        Route(APPS + "/{client_id}/secret", developer.rotate, methods=["POST"]),
        Route(APPS + "/{client_id}/test-token", developer.test_token, methods=["POST"]),
        Route(APPS + "/{client_id}/delete", developer.confirm_delete, methods=["GET"]),
        Route(APPS + "/{client_id}/delete", developer.delete, methods=["POST"]),
        Route("/favicon.ico", favicon, methods=["GET"]),
        # The admin REST API: FastAPI, off the hot OAuth paths (DESIGN.md).
        Mount(ADMIN_API_PATH, app=admin_api(services, bearer, pages)),
        Mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"),
    ]
    if settings.dynamic_registration != "off":
        routes += RegistrationEndpoints(services.dynamic_registration).routes()
    routes += console_routes(services, pages)
    if settings.demo:
        from authgate.demo import CALLBACK_PATH, demo_file

        demo = DemoCallback(
            pages,
            demo_file(services),
            settings.issuer,
            settings.token_endpoint,
            services.authorize.client_of_code,
        )
        routes.append(Route(CALLBACK_PATH, demo.callback, methods=["GET"]))

    from authgate.storage.sql.migrate import head_revision

    metrics = None
    if settings.metrics_port is not None:
        fixed = {*direct, *fixed_routes(routes), *documents.root_paths, METRICS_PATH, *PATHS}
        metrics = Metrics.from_environment(fixed)
        token.on_issued = metrics.token_issued
        for handler in (token, revocation, introspection):
            handler.on_client_auth_failure = metrics.client_auth_failed
        services.rate_limiter.on_refused = metrics.refused
        metrics.watch_audit(services.audit)
        for store in (services.users, services.clients, services.tokens, services.spaces):
            metrics.watch_caches(getattr(store, "caches", {}))
        metrics.watch_caches(services.issuers.caches)
    connector = Connector(
        db,
        settings.database_url,
        head_revision,
        synchronous=settings.sqlite_synchronous,
        wait_seconds=settings.database_timeout,
        ready=services.keys.ensure,
        observe_batch=None if metrics is None else metrics.batch,
    )
    operations = Operations(
        Readiness(db, connector, head_revision, services.redis),
        metrics=None if metrics is None else metrics.exposition,
        metrics_port=settings.metrics_port,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Unreachable: serve anyway (503 until it answers); misconfigured: do not start.
        await connector.start()
        # Other workers' revocations (invalidation.py); returns at once without Redis.
        listener = asyncio.create_task(services.invalidation.listen())
        audit_writer = asyncio.create_task(services.audit.run())
        syncing = None if metrics is None else asyncio.create_task(metrics.sync_every())
        if serving:
            tune_for_serving()
        try:
            yield
        finally:
            await stop_sync(syncing)
            await connector.stop()
            await services.invalidation.stop(listener)
            await services.audit.stop(audit_writer)
            await services.close()
            await db.close()

    async def on_error(request: Request, exc: Exception) -> Response:
        # The path only: a query string may hold a token or a code.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return server_error_json()

    async def not_found(request: Request, exc: Exception) -> Response:
        """A page for people (the API keeps its plain answer)."""
        path = route_path(request.scope)
        if path.startswith("/api/"):
            return PlainTextResponse("Not Found", status_code=404)
        if path.startswith(ADMIN_API_PATH):  # one the mount's pattern misses (a newline)
            return admin_not_found()
        return developer.not_found(request)

    async def on_unavailable(request: Request, exc: Exception) -> Response:
        """The database does not answer: 503, a page for the browser's paths."""
        if route_path(request.scope).startswith(("/api/", USERINFO_PATH)) or "html" not in (
            request.headers.get("accept", "")
        ):
            return unavailable_json()
        page = pages.error(
            services.issuers.root,
            "Temporarily unavailable",
            "The server cannot reach its database. Please try again in a moment.",
            503,
        )
        page.headers["Retry-After"] = "5"
        return page

    handlers: dict[Any, Any] = {
        Exception: on_error,
        ClientDisconnect: client_gone,
        DatabaseUnavailable: on_unavailable,
        404: not_found,
    }
    app = EdgeApp(
        issuers=services.issuers,
        documents=documents,
        direct=direct,
        routes=routes,
        lifespan=lifespan,
        exception_handlers=handlers,
        operations=operations,
        operation_paths=operations.paths,
        operations_port=settings.metrics_port,
        observe=None if metrics is None else metrics.request,
    )
    app.state.services = services
    #: whether the database is open, and why not (web/operations.py reads it too)
    app.state.connector = connector
    app.state.metrics = metrics
    return app


async def favicon(request: Request) -> Response:
    """Browsers ask for /favicon.ico of any page; the pages name the SVG icon."""
    return RedirectResponse(FAVICON, status_code=301)


async def client_gone(request: Request, exc: Exception) -> Response:
    """The client left before its body was read (or uvicorn closed a malformed one):
    nothing to log, and the 400 goes nowhere."""
    return Response(status_code=400)


def app_factory() -> Starlette:
    """Entry point for ``uvicorn --factory`` workers: settings from the environment."""
    return create_app(serving=True)


__all__ = ["Services", "create_app"]
