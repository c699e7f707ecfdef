"""The demo API's OpenAPI 3.1 document, generated from its routes: paths and methods from
the route table, summaries from the handlers' docstrings, the OAuth 2.0 scopes from what
:meth:`~authgate.resource.bearer.BearerAuth.requires` put on each handler.

Two OAuth 2.0 schemes: ``oauth2`` (tokens of the authorization-code or client-credentials
flow) and ``oauth2_user`` (the authorization-code flow only), which the endpoints that need
a token acting for a user (``requires(…, user=True)``) name instead."""

from __future__ import annotations

import inspect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from authgate.resource.bearer import required_scopes, requires_user
from authgate.resource.responses import JsonResponse

OPENAPI_PATH = "/openapi.json"
#: the security scheme of endpoints that refuse client-credentials tokens
USER_SCHEME = "oauth2_user"
_PARAM = re.compile(r"{([a-z_]+)}")


@dataclass(frozen=True, slots=True)
class OAuthSecurity:
    """Where the API's tokens come from, for the ``oauth2`` security scheme."""

    authorization_url: str
    token_url: str
    scopes: dict[str, str]


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _operation(route: Route, method: str) -> dict[str, Any]:
    doc = inspect.getdoc(route.endpoint) or ""
    summary, _, description = doc.partition("\n\n")
    operation: dict[str, Any] = {
        "operationId": f"{method.lower()}_{route.name}",
        "summary": " ".join(summary.split()),
        "responses": {"200": {"description": "OK", "content": {"application/json": {}}}},
    }
    if description:
        operation["description"] = " ".join(description.split())
    params = _PARAM.findall(route.path)
    if params:
        operation["parameters"] = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in params
        ]
        operation["responses"]["404"] = _error("No such resource")
    scopes = required_scopes(route.endpoint)
    if scopes is None:
        operation["security"] = [{}, {"oauth2": []}]
    else:
        for_user = requires_user(route.endpoint)
        operation["security"] = [{USER_SCHEME if for_user else "oauth2": sorted(scopes)}]
        operation["responses"]["401"] = _error("No token, or a token that is not active")
        operation["responses"]["403"] = _error(
            "The token lacks the scope in this space"
            + (", or acts for no user (a client-credentials token)" if for_user else "")
        )
        operation["responses"]["429"] = _error("Over the rate limit; see Retry-After")
    if method in {"PUT", "POST", "PATCH"}:
        schema = {"type": "object", "additionalProperties": {"type": ["string", "null"]}}
        operation["requestBody"] = {
            "content": {
                "application/json": {"schema": schema},
                "application/x-www-form-urlencoded": {"schema": schema},
            }
        }
        operation["responses"]["400"] = _error("A malformed body")
    return operation


def openapi_document(
    routes: Sequence[BaseRoute], *, title: str, security: OAuthSecurity
) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        if not isinstance(route, Route) or route.methods is None:
            continue
        for method in sorted(route.methods - {"HEAD"}):
            paths.setdefault(route.path, {})[method.lower()] = _operation(route, method)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "1"},
        "paths": paths,
        "components": {
            "securitySchemes": {
                "oauth2": {
                    "type": "oauth2",
                    "flows": {
                        "authorizationCode": {
                            "authorizationUrl": security.authorization_url,
                            "tokenUrl": security.token_url,
                            "scopes": security.scopes,
                        },
                        "clientCredentials": {
                            "tokenUrl": security.token_url,
                            "scopes": security.scopes,
                        },
                    },
                },
                USER_SCHEME: {
                    "type": "oauth2",
                    "description": "A token acting for a user; a client's own token (client "
                    "credentials) gets 403 insufficient_scope",
                    "flows": {
                        "authorizationCode": {
                            "authorizationUrl": security.authorization_url,
                            "tokenUrl": security.token_url,
                            "scopes": security.scopes,
                        },
                    },
                },
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {"type": "string"},
                        "error_description": {"type": "string"},
                    },
                }
            },
        },
    }


def openapi_route(routes: Sequence[BaseRoute], *, title: str, security: OAuthSecurity) -> Route:
    document = openapi_document(routes, title=title, security=security)

    async def openapi(request: Request) -> Response:
        return JsonResponse(document)

    return Route(OPENAPI_PATH, openapi, methods=["GET"])
