"""The fixed-path shortcut of the router answers exactly as Starlette's router would."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from authgate.resource.asgi import EndpointApp
from authgate.resource.bearer import required_scopes
from authgate.web.routing import FixedPathRouter, fixed_routes


def answer(text: str):  # type: ignore[no-untyped-def]
    async def endpoint(request: Request) -> Response:
        route = request.scope["route"]
        return PlainTextResponse(f"{text} {route.path} {dict(request.path_params)}")

    return endpoint


def routes() -> list[BaseRoute]:
    return [
        Route("/items/{name}", answer("param")),
        Route("/items/new", answer("shadowed")),  # Starlette picks the route above
        Route("/ping", answer("ping"), methods=["GET"]),
        Route("/ping", answer("ping-post"), methods=["POST"]),
        Route("/asgi", EndpointApp(answer("asgi")), methods=["GET"]),
        Mount("/static", routes=[Route("/x", answer("mounted"))]),
        Route("/static/x", answer("behind-mount")),
    ]


def test_only_routes_starlette_would_pick_are_shortcut() -> None:
    found = fixed_routes(routes())
    assert sorted(found) == ["/asgi", "/ping"]
    assert found["/ping"].methods == {"GET", "HEAD"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/ping"),
        ("HEAD", "/ping"),
        ("POST", "/ping"),  # the first /ping route does not take POST: the second one does
        ("PUT", "/ping"),  # neither does: 405
        ("GET", "/items/new"),
        ("GET", "/items/other"),
        ("GET", "/asgi"),
        ("POST", "/asgi"),
        ("GET", "/static/x"),
        ("GET", "/nowhere"),
        ("GET", "/ping/"),
    ],
)
async def test_answers_match_starlettes_router(method: str, path: str) -> None:
    plain = Starlette(routes=routes())
    fast = Starlette(routes=routes())
    fast.router = FixedPathRouter(routes())
    answers = []
    for app in (plain, fast):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            got = await http.request(method, path, follow_redirects=False)
        answers.append((got.status_code, got.text, got.headers.get("allow")))
    assert answers[0] == answers[1]


async def test_a_root_path_goes_the_usual_way() -> None:
    app = Starlette()
    app.router = FixedPathRouter(routes())
    transport = httpx.ASGITransport(app=app, root_path="/base")
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        got = await http.get("/base/ping")
    assert got.status_code == 200 and got.text.startswith("ping /ping")


async def test_endpoint_app_keeps_the_endpoints_name_doc_and_scopes() -> None:
    async def me(request: Request) -> Response:
        """Who am I."""
        return PlainTextResponse("me")

    me.required_scopes = frozenset({"read"})  # type: ignore[attr-defined]
    app = EndpointApp(me)
    assert app.__name__ == "me" and app.__doc__ == "Who am I."
    assert required_scopes(app) == frozenset({"read"})
