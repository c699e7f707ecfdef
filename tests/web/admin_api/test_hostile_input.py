"""Every error of the admin API has one JSON shape, whatever the request: bad JSON, wrong
types, unknown fields, hostile strings and cursors, unknown paths and methods. Never a
500, never a stack trace."""

from __future__ import annotations

import base64

import httpx
import pytest

from tests.conftest import Factory
from tests.web.admin_api.conftest import API


def assert_error(answer: httpx.Response, status: int, error: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert body["error"] == error
    assert "Traceback" not in answer.text
    assert answer.headers["Cache-Control"] == "no-store"


async def test_bad_json_is_400(http: httpx.AsyncClient, admin: dict[str, str]) -> None:
    answer = await http.post(
        f"{API}/users",
        headers={**admin, "Content-Type": "application/json"},
        content=b'{"email": ',
    )
    assert_error(answer, 400, "invalid_request")
    assert answer.json()["error_description"] == "the body is not valid JSON"


@pytest.mark.parametrize(
    "body",
    [
        [],
        "text",
        {"email": 1, "password": "long enough"},
        {"email": "a@example.com"},
        {"email": "a@example.com", "password": "long enough", "role": "root"},
        {"email": "a" * 400 + "@example.com", "password": "long enough"},
        {"email": "a\x00@example.com", "password": "long enough"},
        # a lone surrogate, as JSON may escape it
        b'{"email": "\\udcff@example.com", "password": "long enough"}',
    ],
)
async def test_bad_values_are_400_and_never_echo_the_password(
    http: httpx.AsyncClient, admin: dict[str, str], body: object
) -> None:
    if isinstance(body, bytes):
        headers = {**admin, "Content-Type": "application/json"}
        answer = await http.post(f"{API}/users", headers=headers, content=body)
    else:
        answer = await http.post(f"{API}/users", headers=admin, json=body)
    assert_error(answer, 400, "invalid_request")
    assert "long enough" not in answer.text


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!",
        "bm90IGpzb24",  # "not json"
        base64.urlsafe_b64encode(b'{"a": 1}').decode(),
        base64.urlsafe_b64encode(b"[-1]").decode(),
        base64.urlsafe_b64encode(b"[1e400]").decode(),
        base64.urlsafe_b64encode(b"[99999999999999999999999]").decode(),
        base64.urlsafe_b64encode(b'["1"]').decode(),
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        "é",
        "a" * 201,
    ],
)
@pytest.mark.parametrize("path", ["/users", "/clients", "/audit", "/consents", "/spaces"])
async def test_hostile_cursors_are_400(
    http: httpx.AsyncClient, admin: dict[str, str], cursor: str, path: str
) -> None:
    answer = await http.get(API + path, headers=admin, params={"cursor": cursor})
    assert_error(answer, 400, "invalid_request")


@pytest.mark.parametrize(
    ("method", "path", "status", "error"),
    [
        ("GET", "/nope", 404, "not_found"),
        ("GET", "/users/0", 400, "invalid_request"),
        ("GET", "/users/abc", 400, "invalid_request"),
        ("GET", "/users/99999999999999999999999", 400, "invalid_request"),
        ("GET", "/users/424242", 404, "not_found"),
        ("PUT", "/users", 405, "method_not_allowed"),
        ("DELETE", "/keys", 405, "method_not_allowed"),
        ("GET", "/clients/%00", 404, "not_found"),
        ("GET", "/clients/" + "x" * 101, 400, "invalid_request"),
        ("GET", "/spaces/%ED%A0%80", 404, "not_found"),
        ("GET", "/users?limit=0", 400, "invalid_request"),
        ("GET", "/users?limit=9999", 400, "invalid_request"),
        ("GET", "/users?search=%00", 200, ""),
        ("GET", "/audit?since=-1", 400, "invalid_request"),
        ("GET", "/audit?event=%00", 200, ""),
        ("GET", "/consents?user_id=424242", 404, "not_found"),
    ],
)
async def test_paths_methods_and_parameters(
    http: httpx.AsyncClient,
    admin: dict[str, str],
    method: str,
    path: str,
    status: int,
    error: str,
) -> None:
    answer = await http.request(method, API + path, headers=admin)
    if status == 200:
        assert answer.status_code == 200, answer.text
        return
    assert_error(answer, status, error)
    if status == 405:
        assert answer.headers["Allow"]


async def test_if_match_garbage_is_412(
    http: httpx.AsyncClient, admin: dict[str, str], make: Factory
) -> None:
    user = await make.user()
    for tag in ('"user.1.0"', "nonsense", '"user.x.1"', '"user.1.99999999999999999999"', ","):
        answer = await http.patch(
            f"{API}/users/{user.id}", headers={**admin, "If-Match": tag}, json={"name": "X"}
        )
        assert_error(answer, 412, "precondition_failed")


async def test_unknown_fields_and_control_characters(
    http: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    extra = await http.post(
        f"{API}/clients", headers=admin, json={"name": "A", "secret_digest": "00"}
    )
    assert_error(extra, 400, "invalid_request")
    control = await http.post(
        f"{API}/clients",
        headers=admin,
        json={"name": "A\x00B", "grant_types": ["client_credentials"]},
    )
    assert_error(control, 400, "invalid_request")
    space = await http.post(
        f"{API}/spaces", headers=admin, json={"slug": "ok", "name": "\x7f", "domains": ["::"]}
    )
    assert_error(space, 400, "invalid_request")
