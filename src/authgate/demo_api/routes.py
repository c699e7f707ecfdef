"""A small sample of a platform API, protected with the resource kit (seed 001's shape:
public data without a token, scopes per endpoint, rights per space)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from authgate.demo_api.openapi import OPENAPI_PATH, OAuthSecurity, openapi_route
from authgate.demo_api.scopes import ApiScopes
from authgate.demo_api.spaces import SpaceResources
from authgate.errors import InvalidToken
from authgate.protocol.permissions import Permissions
from authgate.protocol.scopes import format_scope
from authgate.resource.asgi import EndpointApp
from authgate.resource.bearer import BearerAuth, token_of
from authgate.resource.responses import JsonResponse
from authgate.storage.base import SpaceStore, UserStore


def demo_routes(
    bearer: BearerAuth,
    users: UserStore,
    spaces: SpaceStore,
    rights: Permissions,
    *,
    title: str,
    security: OAuthSecurity,
    scopes: ApiScopes = ApiScopes(),
) -> list[BaseRoute]:
    async def ping(request: Request) -> Response:
        """Is the API up? Public: no token needed."""
        return JSONResponse({"ok": True})

    @bearer.requires(scopes.read)
    async def me(request: Request) -> Response:
        """The user a token acts for, or the client for client-credentials tokens."""
        info = token_of(request)
        scope = format_scope(info.scopes)
        if info.user_id is None:
            assert info.local is not None
            return JsonResponse(
                {
                    "type": "client",
                    "client_id": info.client_id,
                    "name": info.local.client.name,
                    "scope": scope,
                }
            )
        user = info.user  # read and checked by the local verifier
        if user is None:
            return bearer.error_response(InvalidToken("revoked"))
        body: dict[str, object] = {
            "type": "user",
            "id": user.id,
            "email": user.email,
            "name": user.name,
        }
        if info.space is not None:
            body["space"] = info.space
        return JsonResponse({**body, "scope": scope})

    # The API's endpoints as plain ASGI apps (resource/asgi.py); ping stays a Starlette
    # function endpoint, the benchmark's "framework floor".
    resources = SpaceResources(bearer, spaces, users, rights, scopes)
    routes: list[BaseRoute] = [
        Route("/api/ping", ping, methods=["GET"]),
        Route("/api/me", EndpointApp(me), methods=["GET"]),
        Route(
            "/api/spaces",
            EndpointApp(bearer.requires(scopes.read)(resources.list_spaces)),
            methods=["GET"],
        ),
        Route("/api/spaces/{slug}", EndpointApp(resources.show_space), methods=["GET"]),
        Route(
            "/api/spaces/{slug}/members",
            EndpointApp(bearer.requires(scopes.admin)(resources.list_members)),
            methods=["GET"],
        ),
        Route(
            "/api/spaces/{slug}/members/me",
            EndpointApp(bearer.requires(scopes.write, user=True)(resources.update_my_membership)),
            methods=["PUT"],
        ),
    ]
    routes.append(openapi_route(routes, title=title, security=security))
    return routes


__all__ = ["OPENAPI_PATH", "demo_routes"]
