"""Property test: whatever metadata a client sends to ``/oauth/register``, the answer is a
registration (RFC 7591 §3.2.1) or one of §3.2.2's errors, never a 500; and whatever it
sends to update one (RFC 7592 §2.2), likewise."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from authgate.services import Services
from tests.web.dcr_support import CB, bearer, initial_token, manage_path, registered

pytestmark = pytest.mark.parametrize(
    "settings_overrides", [{"dynamic_registration": "initial_token"}]
)

FIELDS = (
    "redirect_uris",
    "token_endpoint_auth_method",
    "grant_types",
    "response_types",
    "client_name",
    "scope",
    "client_uri",
    "logo_uri",
    "policy_uri",
    "client_id",
    "client_secret",
    "contacts",
)
WORDS = st.sampled_from(
    [
        CB,
        "http://127.0.0.1:5000/cb",
        "com.example.app:/cb",
        "javascript:alert(1)",
        "authorization_code",
        "implicit",
        "client_credentials",
        "refresh_token",
        "password",
        "token-exchange",
        "code",
        "token",
        "id_token token",
        "none",
        "client_secret_post",
        "read write",
        "openid",
        "admin",
        "",
    ]
)
TEXT = st.one_of(WORDS, st.text(max_size=30))
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
VALUES = st.one_of(st.lists(WORDS, max_size=4), st.lists(TEXT, max_size=3), JSON)
DOCUMENTS = st.dictionaries(st.one_of(st.sampled_from(FIELDS), TEXT), VALUES, max_size=8)

PROPERTY_SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)


def assert_answer(r: httpx.Response, success: int) -> None:
    assert r.status_code in (success, 400), (r.status_code, r.text)
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    if r.status_code == 400:
        assert body["error"] in {"invalid_client_metadata", "invalid_redirect_uri"}, body
    else:
        assert isinstance(body["client_id"], str) and body["registration_access_token"]


@pytest.fixture
async def token(services: Services) -> str:
    return await initial_token(services)


@pytest.fixture
async def info(http: httpx.AsyncClient, token: str) -> dict[str, Any]:
    """A registered client; its ``registration_access_token`` follows each update."""
    result: dict[str, Any] = await registered(http, token)
    return result


@PROPERTY_SETTINGS
@given(document=DOCUMENTS)
async def test_registration_never_fails_badly(
    http: httpx.AsyncClient, token: str, document: dict[str, Any]
) -> None:
    assert_answer(await http.post("/oauth/register", json=document, headers=bearer(token)), 201)


@PROPERTY_SETTINGS
@given(document=DOCUMENTS)
async def test_updates_never_fail_badly(
    http: httpx.AsyncClient, info: dict[str, Any], document: dict[str, Any]
) -> None:
    document = {**document, "client_id": info["client_id"]}
    headers = bearer(info["registration_access_token"])
    r = await http.put(manage_path(info), json=document, headers=headers)
    assert_answer(r, 200)
    if r.status_code == 200:
        info["registration_access_token"] = r.json()["registration_access_token"]
