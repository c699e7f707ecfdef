"""The admin API as one ASGI app, mounted by ``create_app`` at ``/admin/api/v1``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from authgate.resource.bearer import BearerAuth
from authgate.services import Services
from authgate.web.admin_api import (
    audit,
    clients,
    consents,
    errors,
    initial_tokens,
    keys,
    spaces,
    user_access,
    users,
)
from authgate.web.admin_api.auth import AdminBearer
from authgate.web.admin_api.edge import AdminEdge
from authgate.web.admin_api.reference import ReferencePage
from authgate.web.pages.render import Pages

PATH = "/admin/api/v1"
ABOUT = (
    "Manage authgate without a shell: clients, users, spaces, signing keys, consents and "
    "the audit log. Authenticate with a client-credentials token of an admin client "
    "(`authgate admin bootstrap`). Lists are paged by opaque cursor; reads carry an ETag, "
    "and updates and deletes need it back in If-Match. Every error is "
    '`{"error": …, "error_description": …}`.'
)
#: what any operation may answer besides its success (FastAPI's 422 becomes 400 here)
ERRORS = {
    "400": "A request value was refused (invalid_request), or the body is not JSON.",
    "401": "No token, or not a valid one (WWW-Authenticate says which).",
    "403": "The token lacks the scope (insufficient_scope): nothing changed.",
    "404": "No such resource (not_found).",
    "409": "The change clashes with what exists (conflict).",
    "503": "The database does not answer (temporarily_unavailable); Retry-After.",
}
WRITE_ERRORS = {
    "412": "If-Match names a revision the resource no longer has (precondition_failed).",
    "428": "An update or delete without If-Match (precondition_required).",
}


def _document(app: FastAPI) -> Any:
    """FastAPI's document with the API's own error responses on every operation."""
    original = FastAPI.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = original(app)
        error_ref = {"$ref": "#/components/schemas/ErrorBody"}
        for item in document.get("paths", {}).values():
            for op in item.values():
                responses = op.setdefault("responses", {})
                responses.pop("422", None)
                extra = dict(ERRORS)
                if any(p.get("name") == "If-Match" for p in op.get("parameters", [])):
                    extra.update(WRITE_ERRORS)
                for code, text in extra.items():
                    responses.setdefault(
                        code,
                        {
                            "description": text,
                            "content": {"application/json": {"schema": error_ref}},
                        },
                    )
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        schemas["FieldError"] = errors.FieldError.model_json_schema()
        error_schema = errors.ErrorBody.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        error_schema.pop("$defs", None)
        schemas["ErrorBody"] = error_schema
        app.openapi_schema = document
        return document

    return openapi


class BuiltOnFirstRequest:
    """An ASGI app built when its first request arrives. FastAPI spends ~0.1 s building the
    admin API's routes (their dependencies and models): a worker that never serves the
    admin API, and every worker's start, should not pay it."""

    def __init__(self, build: Callable[[], ASGIApp]) -> None:
        self._build: Callable[[], ASGIApp] | None = build
        self._app: ASGIApp | None = None

    @property
    def app(self) -> ASGIApp:
        if self._app is None:
            assert self._build is not None
            self._app, self._build = self._build(), None  # synchronous: built once per loop
        return self._app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def admin_api(services: Services, bearer: BearerAuth, pages: Pages) -> ASGIApp:
    """The admin API, built on its first request (:class:`BuiltOnFirstRequest`)."""
    return BuiltOnFirstRequest(lambda: _build(services, bearer, pages))


def _build(services: Services, bearer: BearerAuth, pages: Pages) -> ASGIApp:
    settings = services.settings
    app = FastAPI(
        title=f"{settings.platform_name} admin API",
        version="1",
        description=ABOUT,
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    errors.install(app)
    admin = AdminBearer(bearer, settings.issuer + settings.token_endpoint)
    app.include_router(clients.router(services.client_admin, admin))
    app.include_router(users.router(services.user_admin, admin))
    app.include_router(
        user_access.router(services.user_admin, services.user_access, services.client_admin, admin)
    )
    app.include_router(
        consents.router(services.user_admin, services.user_access, services.client_admin, admin)
    )
    app.include_router(
        spaces.router(
            services.space_admin,
            services.space_edits,
            services.user_admin,
            services.issuers,
            admin,
        )
    )
    app.include_router(initial_tokens.router(services.initial_tokens, admin))
    app.include_router(keys.router(services.keys, services.minter.now, admin))
    app.include_router(audit.router(services.audit, admin))
    app.openapi = _document(app)  # type: ignore[method-assign]
    app.add_api_route(
        "/",
        ReferencePage(pages, app.openapi),
        methods=["GET"],
        include_in_schema=False,
    )
    return AdminEdge(app)
