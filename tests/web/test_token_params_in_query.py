"""``token_params_in_query``: the token endpoint's parameters from the query string as well
as the body (seed 000's app flow), still POST only (RFC 6749 §3.2), never a parameter
twice (RFC 6749 §3.1); off by default (RFC 6749 §2.3.1)."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from starlette.applications import Starlette

from authgate.protocol.registration import Registered
from authgate.web.access_log import RedactSecrets
from tests.conftest import Factory
from tests.web.test_token_endpoint_bad_input import post_raw, raw_request

TOKEN = "/oauth/token"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
async def reg(make: Factory) -> Registered:
    """A confidential client with the password grant, and its user alice."""
    await make.user()
    return await make.client(grant_types=["password"], scopes=["read", "write"])


def app_flow(reg: Registered, **extra: str) -> dict[str, str]:
    """Seed 000's app flow, every parameter in the token URL."""
    assert reg.client_secret
    return {
        "scope": "read write",
        "grant_type": "password",
        "username": "alice@example.com",
        "password": "correct horse",
        "client_id": reg.client.client_id,
        "client_secret": reg.client_secret,
        **extra,
    }


async def test_off_by_default_rfc6749_2_3_1(http: httpx.AsyncClient, reg: Registered) -> None:
    r = await http.post(TOKEN, params=app_flow(reg), headers=FORM)
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_request"
    assert "not the URL" in r.json()["error_description"]


class TestQueryParameters:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"token_params_in_query": True}

    async def test_every_parameter_in_the_url_seed000(
        self, http: httpx.AsyncClient, reg: Registered
    ) -> None:
        r = await http.post(TOKEN, params=app_flow(reg), headers=FORM)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["token_type"] == "Bearer" and body["scope"] == "read write"
        me = await http.get("/api/me", headers={"Authorization": f"Bearer {body['access_token']}"})
        assert me.json()["email"] == "alice@example.com"

    async def test_a_post_without_body_or_content_type(
        self, app: Starlette, reg: Registered
    ) -> None:
        """``curl -X POST 'https://…/oauth/token?grant_type=password&…'`` sends neither."""
        query = urlencode(app_flow(reg)).encode()
        r = await raw_request(app, query=query)
        assert r.status_code == 200, r.text

    async def test_query_and_body_are_one_request(
        self, http: httpx.AsyncClient, reg: Registered
    ) -> None:
        flow = app_flow(reg)
        in_body = {k: flow.pop(k) for k in ("client_id", "client_secret", "password")}
        r = await http.post(TOKEN, params=flow, data=in_body)
        assert r.status_code == 200, r.text

    @pytest.mark.parametrize("name", ["grant_type", "password", "client_secret", "scope"])
    async def test_a_parameter_in_both_is_invalid_request_rfc6749_3_1(
        self, http: httpx.AsyncClient, reg: Registered, name: str
    ) -> None:
        flow = app_flow(reg)
        r = await http.post(TOKEN, params=flow, data={name: flow[name]})
        assert r.status_code == 400
        assert r.json() == {
            "error": "invalid_request",
            "error_description": f"parameter {name!r} was sent more than once",
        }

    async def test_an_empty_copy_counts_too_rfc6749_3_1(
        self, app: Starlette, reg: Registered
    ) -> None:
        query = urlencode(app_flow(reg)).encode()
        r = await post_raw(app, b"scope=", query=query)
        assert r.status_code == 400
        assert r.json()["error"] == "invalid_request"

    async def test_a_parameter_twice_in_the_url_rfc6749_3_1(
        self, app: Starlette, reg: Registered
    ) -> None:
        query = urlencode(app_flow(reg)).encode() + b"&grant_type=password"
        r = await post_raw(app, b"", query=query)
        assert r.status_code == 400
        assert r.json()["error_description"] == "parameter 'grant_type' was sent more than once"

    @pytest.mark.parametrize("query", [b"%ff=1", b"grant_type=%ff"])
    async def test_a_query_that_is_not_utf8(
        self, app: Starlette, reg: Registered, query: bytes
    ) -> None:
        r = await post_raw(app, b"grant_type=password", query=query)
        assert r.status_code == 400
        assert r.json()["error_description"] == "query string is not valid URL-encoded UTF-8"

    async def test_still_post_only_rfc6749_3_2(
        self, http: httpx.AsyncClient, reg: Registered
    ) -> None:
        r = await http.get(TOKEN, params=app_flow(reg))
        assert r.status_code == 400
        assert r.json()["error"] == "invalid_request"

    async def test_a_body_needs_its_content_type(self, app: Starlette, reg: Registered) -> None:
        flow = app_flow(reg)
        body = f"password={flow.pop('password')}".encode()
        query = urlencode(flow).encode()
        r = await raw_request(
            app, query=query, headers=[(b"content-length", str(len(body)).encode())], chunks=[body]
        )
        assert r.status_code == 400
        assert r.json()["error"] == "invalid_request"

    @pytest.mark.parametrize("path", ["/oauth/revoke", "/oauth/introspect"])
    async def test_revocation_and_introspection_still_refuse_the_url(
        self, http: httpx.AsyncClient, reg: Registered, path: str
    ) -> None:
        assert reg.client_secret
        r = await http.post(
            path,
            params={"token": "1.x"},
            headers=FORM,
            auth=(reg.client.client_id, reg.client_secret),
        )
        assert r.status_code == 400
        assert "not the URL" in r.json()["error_description"]


class TestCobotProfile:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"profile": "cobot"}

    async def test_the_app_flow_as_the_page_shows_it_seed000(
        self, http: httpx.AsyncClient, reg: Registered
    ) -> None:
        r = await http.post("/oauth/access_token", params=app_flow(reg))
        assert r.status_code == 200, r.text
        assert r.json()["token_type"].lower() == "bearer"  # the profile may spell it its way


def test_the_access_log_hides_the_app_flows_credentials() -> None:
    """The token URL of seed 000's app flow, as uvicorn's access log would write it."""
    path = (
        "/oauth/access_token?scope=read+write&grant_type=password&username=alice%40example.com"
        "&password=correct+horse&client_id=7&client_secret=s3cr3t"
    )
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "POST", path, "1.1", 200),
        None,
    )
    assert RedactSecrets().filter(record)
    logged = record.getMessage()
    assert logged == (
        '127.0.0.1:5000 - "POST /oauth/access_token?scope=read+write&grant_type=password'
        "&username=[redacted]&password=[redacted]&client_id=7&client_secret=[redacted]"
        ' HTTP/1.1" 200'
    )
    for secret in ("alice", "correct", "s3cr3t"):
        assert secret not in logged
