"""The API's reference page, for people: rendered on the server from the OpenAPI document
with the pages' own templates and CSS (no script, nothing from a CDN)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.responses import HTMLResponse

from authgate.web.context import request_context
from authgate.web.pages.render import Pages

METHODS = ("get", "post", "put", "patch", "delete")


def type_of(schema: dict[str, Any]) -> str:
    """A schema as a short type: ``string``, ``integer | null``, ``list of ClientOut``."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " | ".join(type_of(s) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return "list of " + type_of(schema.get("items", {}))
    if "enum" in schema:
        return " | ".join(repr(v) for v in schema["enum"])
    if "const" in schema:
        return repr(schema["const"])
    return str(schema.get("type", "object"))


def operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            scopes = sorted({s for req in op.get("security", []) for v in req.values() for s in v})
            found.append(
                {
                    "id": op.get("operationId", f"{method}-{path}"),
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "tag": (op.get("tags") or ["other"])[0],
                    "scopes": scopes,
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "type": type_of(p.get("schema", {})),
                            "description": p.get("description", ""),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "body": type_of(body["schema"]) if "schema" in body else None,
                    "responses": sorted(op.get("responses", {})),
                }
            )
    return found


def schemas(document: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for name, schema in sorted(document.get("components", {}).get("schemas", {}).items()):
        required = set(schema.get("required", []))
        out.append(
            {
                "name": name,
                "description": schema.get("description", ""),
                "fields": [
                    {"name": field, "type": type_of(spec), "required": field in required}
                    for field, spec in schema.get("properties", {}).items()
                ],
            }
        )
    return out


class ReferencePage:
    def __init__(self, pages: Pages, document: Any) -> None:
        self._pages = pages
        #: ``document()``: the OpenAPI document (FastAPI builds it once)
        self._document = document

    async def __call__(self, request: Request) -> HTMLResponse:
        document = self._document()
        return self._pages.render(
            request_context(request).issuer,
            "admin_api_reference.html",
            title=document["info"]["title"],
            version=document["info"]["version"],
            about=document["info"].get("description", ""),
            openapi_url="openapi.json",
            operations=operations(document),
            schemas=schemas(document),
        )
