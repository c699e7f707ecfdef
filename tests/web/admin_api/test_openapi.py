"""The OpenAPI document is generated from the code, valid OpenAPI 3.1, public (it is the
API's shape, not its data), and the reference page is rendered from it."""

from __future__ import annotations

import httpx
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator

from tests.web.admin_api.conftest import API


async def test_the_document_is_valid_openapi_3_1(http: httpx.AsyncClient) -> None:
    answer = await http.get(f"{API}/openapi.json")
    assert answer.status_code == 200
    document = answer.json()
    assert document["openapi"].startswith("3.1")
    validate(document, cls=OpenAPIV31SpecValidator)
    # Every operation answers errors in the one shape, and names its scopes.
    for path, item in document["paths"].items():
        for method, op in item.items():
            assert "422" not in op["responses"], (method, path)
            assert op["responses"]["400"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorBody"
            }
            [requirement] = op["security"]
            assert requirement["admin"], (method, path)
            conditional = any(p["name"] == "If-Match" for p in op.get("parameters", []))
            assert conditional == ("412" in op["responses"]) == ("428" in op["responses"])
            revisioned = path in (
                "/clients/{client_id}",
                "/users/{user_id}",
                "/spaces/{slug}",
                "/spaces/{slug}/members/{user_id}",
            )
            assert conditional == (revisioned and method in ("put", "patch", "delete")), path
    flows = document["components"]["securitySchemes"]["admin"]["flows"]
    assert flows["clientCredentials"]["tokenUrl"] == "http://testserver/oauth/token"
    assert "authgate:admin" in flows["clientCredentials"]["scopes"]


async def test_every_resource_is_there(http: httpx.AsyncClient) -> None:
    paths = (await http.get(f"{API}/openapi.json")).json()["paths"]
    for path in (
        "/clients",
        "/clients/{client_id}",
        "/clients/{client_id}/secret",
        "/clients/{client_id}/tokens",
        "/users",
        "/users/{user_id}",
        "/users/{user_id}/disable",
        "/users/{user_id}/enable",
        "/users/{user_id}/password",
        "/users/{user_id}/sessions",
        "/users/{user_id}/grants",
        "/consents",
        "/spaces",
        "/spaces/{slug}/members/{user_id}",
        "/keys",
        "/keys/rotate",
        "/audit",
    ):
        assert path in paths, path


async def test_the_reference_page_is_served_from_the_package(http: httpx.AsyncClient) -> None:
    page = await http.get(f"{API}/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "PATCH /users/{user_id}" in html and "authgate:users" in html
    assert 'href="openapi.json"' in html
    assert "<script" not in html and "https://" not in html.split("<body>")[0]
    assert "default-src" in page.headers["Content-Security-Policy"]
