"""Starlette's router with one shortcut: a request for a fixed path (no path parameters)
finds its route by a dictionary lookup instead of trying every route before it in turn.

Every route still sees what Starlette's router gives it (``scope["route"]``,
``["endpoint"]``, ``["path_params"]``); anything the shortcut does not settle (an unknown
path, a method the route does not take) goes the usual way, so the answers are exactly
Starlette's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.routing import BaseRoute, Route, Router
from starlette.types import Receive, Scope, Send


def route_path(scope: Scope) -> str:
    """The path below the ASGI ``root_path`` (a space's ``/spaces/{slug}`` prefix), which is
    what routes match: Starlette's rule."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] in ("/", ""):
        return path[len(root) :]
    return path


def fixed_routes(routes: Sequence[BaseRoute]) -> dict[str, Route]:
    """Each fixed path's route, when Starlette would pick that route for it anyway: the
    first route of that path, and no earlier route (with parameters, or a ``Mount``) that
    could match the same path."""
    found: dict[str, Route] = {}
    earlier: list[BaseRoute] = []
    for route in routes:
        if isinstance(route, Route) and not route.param_convertors:
            path = route.path
            if path not in found and all(_cannot_match(other, path) for other in earlier):
                found[path] = route
        earlier.append(route)
    return found


def _cannot_match(route: BaseRoute, path: str) -> bool:
    regex = getattr(route, "path_regex", None)
    return regex is not None and regex.match(path) is None


class FixedPathRouter(Router):
    def __init__(self, routes: Sequence[BaseRoute] | None = None, **options: Any) -> None:
        super().__init__(routes, **options)
        self._fixed = fixed_routes(self.routes)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            route = self._fixed.get(route_path(scope))
            if route is not None and (route.methods is None or scope["method"] in route.methods):
                scope.setdefault("router", self)
                scope["route"] = route
                scope["endpoint"] = route.endpoint
                scope["path_params"] = dict(scope.get("path_params", {}))
                await route.app(scope, receive, send)
                return
        await super().app(scope, receive, send)
