"""Interoperability: what ``/oauth/register`` answers is valid RFC 7591 metadata to
Authlib's own validator, and a client registered there gets tokens through Authlib's
OAuth 2.0 client with the ``token_endpoint_auth_method`` it registered."""

from __future__ import annotations

import warnings
from typing import Any

import httpx
import pytest
from authlib.oauth2.rfc7591 import ClientMetadataClaims
from starlette.applications import Starlette

from authgate.services import Services
from tests.web.dcr_support import initial_token, registered

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "The httpx module is deprecated", DeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client

pytestmark = pytest.mark.parametrize(
    "settings_overrides", [{"dynamic_registration": "initial_token"}]
)


async def test_the_registration_response_is_valid_rfc7591_metadata_to_authlib(
    http: httpx.AsyncClient, services: Services
) -> None:
    info = await registered(
        http,
        await initial_token(services),
        client_name="Photo Book",
        client_uri="https://app.example.com",
        logo_uri="https://app.example.com/logo.png",
        policy_uri="https://app.example.com/privacy",
        scope="read",
    )
    claims = ClientMetadataClaims(info, {})
    claims.validate()  # raises on any field that breaks RFC 7591 §2
    assert claims["redirect_uris"] == info["redirect_uris"]


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
async def test_authlib_gets_a_token_with_the_registered_auth_method(
    app: Starlette, http: httpx.AsyncClient, services: Services, method: str
) -> None:
    info: dict[str, Any] = await registered(
        http,
        await initial_token(services),
        grant_types=["client_credentials"],
        redirect_uris=[],
        token_endpoint_auth_method=method,
        scope="read",
    )
    async with AsyncOAuth2Client(
        client_id=info["client_id"],
        client_secret=info["client_secret"],
        token_endpoint_auth_method=info["token_endpoint_auth_method"],
        scope=info["scope"],
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
    ) as client:
        token = await client.fetch_token(
            "http://testserver/oauth/token", grant_type="client_credentials"
        )
        assert token["token_type"] == "Bearer" and token["scope"] == "read"
        r = await client.get("/api/spaces")
        assert r.status_code == 200, r.text
