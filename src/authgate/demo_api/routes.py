"""A small sample of a platform API, protected with the resource kit."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from authgate.errors import InvalidToken
from authgate.protocol.token_check import REVOKED
from authgate.resource.bearer import BearerAuth, token_of
from authgate.storage.base import UserStore


def demo_routes(bearer: BearerAuth, users: UserStore) -> list[Route]:
    async def ping(request: Request) -> Response:
        """Public data: no token needed."""
        return JSONResponse({"ok": True})

    @bearer.requires("read")
    async def me(request: Request) -> Response:
        """The user a token acts for, or the client for client-credentials tokens."""
        info = token_of(request)
        scope = " ".join(sorted(info.scopes))
        if info.user_id is None:
            return JSONResponse(
                {
                    "type": "client",
                    "client_id": info.client.client_id,
                    "name": info.client.name,
                    "scope": scope,
                }
            )
        user = await users.by_id(info.user_id)
        if user is None:
            return bearer.error_response(InvalidToken(REVOKED))
        return JSONResponse(
            {"type": "user", "id": user.id, "email": user.email, "name": user.name, "scope": scope}
        )

    return [Route("/api/ping", ping), Route("/api/me", me)]
