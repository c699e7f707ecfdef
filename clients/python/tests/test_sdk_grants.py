"""Every grant authgate serves, through the SDK, against a real ``authgate serve``: the root
issuer, a space's issuer, and the redbooth and cobot profiles' endpoints."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.e2e.profile_support import ProfileServer

from authgate_client import (
    AccessDenied,
    AsyncClient,
    Client,
    DiscoveryError,
    InvalidClient,
    InvalidGrant,
    InvalidTarget,
    ServerMetadata,
)
from sdk_support import MEMBER, OUTSIDER, PASSWORD, SPACE, register, sign_in

pytestmark = pytest.mark.e2e


def client_for(
    server: ProfileServer, registered: dict[str, str], issuer: str | None = None
) -> Client:
    return Client(
        issuer or server.url,
        client_id=registered["client_id"],
        client_secret=registered.get("client_secret"),
    )


def api_me(server: ProfileServer, access_token: str) -> httpx.Response:
    return httpx.get(server.url + "/api/me", headers={"Authorization": f"Bearer {access_token}"})


def test_discovery_is_fetched_once_and_names_the_issuers_endpoints(root: ProfileServer) -> None:
    fetched: list[str] = []
    http = httpx.Client(event_hooks={"request": [lambda r: fetched.append(str(r.url))]})
    with Client(root.url, client_id="any", http=http) as client:
        first = client.metadata()
        assert client.metadata() is first
    http.close()
    assert fetched == [root.url + "/.well-known/openid-configuration"]
    assert first.issuer == root.url
    assert first.token_endpoint == root.url + "/oauth/token"
    assert first.authorization_response_iss_parameter_supported

    space = Client(f"{root.url}/spaces/{SPACE}", client_id="any").metadata()
    assert space.issuer == f"{root.url}/spaces/{SPACE}"
    assert space.token_endpoint == f"{root.url}/spaces/{SPACE}/oauth/token"


def test_code_flow_with_pkce_state_nonce_and_id_token(root: ProfileServer, app: Any) -> None:
    with client_for(root, app) as client:
        request = client.authorization_url(app["redirect_uri"], "openid profile read")
        assert "code_challenge_method=S256" in request.url and request.nonce
        callback = sign_in(root, request.url, app["redirect_uri"])
        token = client.exchange_code(request, callback)
        assert token.scopes == {"openid", "profile", "read"} and token.refresh_token
        claims = token.id_token_claims
        assert claims is not None
        assert claims["iss"] == root.url and claims["aud"] == app["client_id"]
        assert claims["nonce"] == request.nonce and claims["name"] == "Member Person"
        assert client.userinfo(token)["sub"] == claims["sub"]
        assert api_me(root, token.access_token).json()["email"] == MEMBER

        # The code was used: a second exchange is a typed RFC 6749 §5.2 error.
        with pytest.raises(InvalidGrant) as reused:
            client.exchange_code(request, callback)
        assert reused.value.status_code == 400
        assert reused.value.error == "invalid_grant" and reused.value.description


def test_public_client_code_flow_without_a_secret(root: ProfileServer) -> None:
    app = register(root, "authorization_code", "refresh_token", public=True)
    assert "client_secret" not in app
    with Client(root.url, client_id=app["client_id"]) as client:
        request = client.authorization_url(app["redirect_uri"], "read")
        token = client.exchange_code(request, sign_in(root, request.url, app["redirect_uri"]))
        again = client.refresh(token)
        assert again.refresh_token != token.refresh_token
        assert api_me(root, again.access_token).status_code == 200


def test_user_who_clicks_deny_is_access_denied(root: ProfileServer, app: Any) -> None:
    with client_for(root, app) as client:
        # a scope nobody consented to yet, so that the consent page is shown
        request = client.authorization_url(app["redirect_uri"], "profile write")
        callback = sign_in(root, request.url, app["redirect_uri"], email=OUTSIDER, decision="deny")
        with pytest.raises(AccessDenied) as denied:
            client.exchange_code(request, callback)
        assert denied.value.error == "access_denied"


def test_client_credentials_and_a_wrong_secret(root: ProfileServer, app: Any) -> None:
    with client_for(root, app) as client:
        token = client.client_credentials("read")
        assert token.scope == "read" and token.refresh_token is None
        assert token.expires_in() is not None
    bad = Client(root.url, client_id=app["client_id"], client_secret="wrong")
    with bad, pytest.raises(InvalidClient) as refused:
        bad.client_credentials()
    assert refused.value.status_code == 401
    assert "wrong" not in str(refused.value)
    with Client(
        root.url,
        client_id=app["client_id"],
        client_secret=app["client_secret"],
        auth_method="client_secret_post",
    ) as post:
        assert post.client_credentials().access_token


def test_password_grant_with_id_token_and_refresh_rotation(root: ProfileServer, app: Any) -> None:
    with client_for(root, app) as client:
        token = client.password(MEMBER, PASSWORD, "openid read")
        assert token.id_token_claims is not None and "nonce" not in token.id_token_claims
        refreshed = client.refresh(token)
        assert refreshed.refresh_token not in (None, token.refresh_token)
        assert refreshed.id_token_claims is not None  # a refresh brings a checked id token
        assert refreshed.id_token_claims["sub"] == token.id_token_claims["sub"]
        # seed 003: the old refresh token dies with each refresh
        with pytest.raises(InvalidGrant):
            client.refresh(token)


def test_token_exchange_gives_a_space_bound_token(
    root: ProfileServer, app: Any, resource_server: Any
) -> None:
    space_issuer = f"{root.url}/spaces/{SPACE}"
    with client_for(root, app) as client:
        user_token = client.password(MEMBER, PASSWORD, "read write")
        bound = client.exchange_token(user_token, resource=space_issuer, scope="read")
        assert bound.issued_token_type == "urn:ietf:params:oauth:token-type:access_token"
        assert bound.refresh_token is None and bound.scope == "read"
        by_slug = client.exchange_token(user_token, audience=SPACE)
        assert by_slug.access_token != bound.access_token
        with pytest.raises(InvalidTarget):
            client.exchange_token(user_token, audience="no-such-space")
    with client_for(root, resource_server, issuer=space_issuer) as api:
        seen = api.introspect(bound.access_token)
        assert seen.active and seen.space == SPACE and seen.scope == "read"
    with client_for(root, resource_server) as at_root:
        assert not at_root.introspect(bound.access_token).active


def test_a_space_issuer_signs_its_members_in(root: ProfileServer, app: Any) -> None:
    space_issuer = f"{root.url}/spaces/{SPACE}"
    with client_for(root, app, issuer=space_issuer) as client:
        request = client.authorization_url(app["redirect_uri"], "openid profile")
        token = client.exchange_code(request, sign_in(root, request.url, app["redirect_uri"]))
        assert token.id_token_claims is not None
        assert token.id_token_claims["iss"] == space_issuer
        assert token.id_token_claims["name"] == "Member at Acme"
        # a callback from the root issuer is not this space's (RFC 9207 mix-up check)
        assert request.issuer == space_issuer


def test_implicit_fragment_with_id_token_and_at_hash(root: ProfileServer, app: Any) -> None:
    with client_for(root, app) as client:
        request = client.authorization_url(
            app["redirect_uri"], "openid read", response_type="id_token token"
        )
        callback = sign_in(root, request.url, app["redirect_uri"], email=OUTSIDER)
        assert "#" in callback
        token = client.parse_implicit_response(request, callback)
        assert token.id_token_claims is not None and token.id_token_claims["at_hash"]
        assert api_me(root, token.access_token).json()["email"] == OUTSIDER


def test_revocation_and_introspection(root: ProfileServer, app: Any, resource_server: Any) -> None:
    with client_for(root, app) as client, client_for(root, resource_server) as api:
        token = client.password(MEMBER, PASSWORD, "read")
        seen = api.introspect(token.access_token)
        assert seen.active and seen.username == MEMBER and seen.client_id == app["client_id"]
        assert token.refresh_token
        client.revoke(token.refresh_token, "refresh_token")
        assert not api.introspect(token.access_token).active
        client.revoke("1.unknown-token")  # RFC 7009 §2.2: 200 for unknown tokens too


async def test_async_client_runs_the_same_flows(root: ProfileServer, app: Any) -> None:
    async with AsyncClient(
        root.url, client_id=app["client_id"], client_secret=app["client_secret"]
    ) as client:
        assert (await client.metadata()).issuer == root.url
        own = await client.client_credentials("read")
        user = await client.password(MEMBER, PASSWORD, "openid read")
        refreshed = await client.refresh(user)
        assert refreshed.refresh_token != user.refresh_token
        assert own.access_token and user.id_token_claims
        assert (await client.userinfo(refreshed))["sub"] == user.id_token_claims["sub"]
        assert (await client.introspect(own.access_token)).active


def test_redbooth_profile_endpoints_come_from_discovery(redbooth: ProfileServer) -> None:
    app = register(redbooth, "authorization_code", "refresh_token")
    with client_for(redbooth, app) as client:
        metadata = client.metadata()
        assert metadata.token_endpoint == redbooth.url + "/oauth2/token"
        assert metadata.authorization_endpoint == redbooth.url + "/oauth2/authorize"
        request = client.authorization_url(app["redirect_uri"], "read")
        token = client.exchange_code(request, sign_in(redbooth, request.url, app["redirect_uri"]))
        assert token.refresh_token  # seed 003: each access token comes with its refresh token
        assert client.refresh(token).refresh_token != token.refresh_token


def test_cobot_endpoints_given_explicitly_without_discovery(cobot: ProfileServer) -> None:
    """Seed 000's token endpoint, named by the app; no discovery document is asked for."""
    app = register(cobot, "authorization_code", "password")
    fetched: list[str] = []
    http = httpx.Client(event_hooks={"request": [lambda r: fetched.append(r.url.path)]})
    endpoints = ServerMetadata(
        issuer=cobot.url,
        authorization_endpoint=cobot.url + "/oauth/authorize",
        token_endpoint=cobot.url + "/oauth/access_token",
    )
    with Client(
        metadata=endpoints,
        client_id=app["client_id"],
        client_secret=app["client_secret"],
        http=http,
    ) as client:
        token = client.password(MEMBER, PASSWORD, "read")  # seed 000's app flow
        request = client.authorization_url(app["redirect_uri"], "read")
        coded = client.exchange_code(request, sign_in(cobot, request.url, app["redirect_uri"]))
    http.close()
    assert fetched == ["/oauth/access_token", "/oauth/access_token"]
    assert api_me(cobot, token.access_token).status_code == 200
    assert api_me(cobot, coded.access_token).status_code == 200


def test_explicit_endpoints_stand_in_when_discovery_is_missing(
    root: ProfileServer, app: Any
) -> None:
    missing = root.url + "/spaces/no-such-space"
    lost = Client(missing, client_id=app["client_id"], client_secret=app["client_secret"])
    with lost, pytest.raises(DiscoveryError):
        lost.client_credentials()
    with Client(
        missing,
        client_id=app["client_id"],
        client_secret=app["client_secret"],
        metadata=ServerMetadata(token_endpoint=root.url + "/oauth/token"),
    ) as fallback:
        assert fallback.client_credentials().access_token
