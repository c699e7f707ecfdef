"""Helpers for the rate-limit tests: the counters' backend, tokens, a kit app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from authgate.resource.bearer import BearerAuth
from authgate.resource.local import LocalVerifier
from authgate.resource.ratelimit import ApiRateLimits
from authgate.services import Services
from tests.conftest import Factory
from tests.redis_support import fresh_namespace, redis_url_or_skip


def backend_settings(name: str) -> dict[str, Any]:
    """Settings for counters in memory or in the test Redis (a namespace of their own)."""
    if name == "memory":
        return {}
    return {"redis_url": redis_url_or_skip(), "redis_namespace": fresh_namespace()}


async def client_token(http: httpx.AsyncClient, make: Factory, **options: Any) -> str:
    """A client-credentials access token of a new client."""
    reg = await make.client(**options)
    assert reg.client_secret
    r = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(reg.client.client_id, reg.client_secret),
    )
    assert r.status_code == 200, r.text
    token: str = r.json()["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def kit_app(services: Services, limits: ApiRateLimits) -> AsyncIterator[httpx.AsyncClient]:
    """A platform's own API on the kit: ``GET /notes``, ``GET /notes/{id}``, ``POST /notes``."""
    verifier = LocalVerifier(services.checker, services.users, services.spaces)
    auth = BearerAuth(verifier, realm="notes", allow_query=False, rate_limits=limits)

    @auth.requires("read")
    async def notes(request: Request) -> Response:
        return JSONResponse({"notes": []})

    @auth.requires("read")
    async def note(request: Request) -> Response:
        return JSONResponse({"id": request.path_params["id"]})

    @auth.requires("write")
    async def create(request: Request) -> Response:
        return JSONResponse({"created": True}, status_code=201)

    app = Starlette(
        routes=[
            Route("/notes", notes, methods=["GET"]),
            Route("/notes", create, methods=["POST"]),
            Route("/notes/{id}", note, methods=["GET"]),
        ]
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        yield client
