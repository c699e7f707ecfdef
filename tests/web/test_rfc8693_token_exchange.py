"""RFC 8693 token exchange at the token endpoint: a user's token becomes one bound to one
space (seed 000: "request space specific tokens after finalizing the authorization"), its
scope narrowed to what the user may do there (seed 001)."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from authgate.crypto.tokens import parse_token
from authgate.domain import NEVER, TOKEN_EXCHANGE, Space, TokenId, User
from authgate.protocol.registration import Registered
from authgate.services import Services
from tests.conftest import Clock, Factory
from tests.web.oidc_support import change_member, space_with_member
from tests.web.test_token_endpoint_bad_input import assert_rfc6749_error
from tests.web.test_token_endpoint_properties import PROPERTY_SETTINGS
from tests.web.token_support import client_auth, password_tokens

TOKEN = "/oauth/token"
ACCESS = "urn:ietf:params:oauth:token-type:access_token"
ROOT = "http://testserver"
ACME_URL = ROOT + "/spaces/acme"


@pytest.fixture
async def app_client(make: Factory, alice: User) -> Registered:
    return await make.client(
        grant_types=["password", "token-exchange"], scopes=["read", "write", "admin"]
    )


@pytest.fixture
async def acme(services: Services, alice: User) -> Space:
    """``acme``, where alice is an admin, and ``beta``, where she is a member."""
    space = await space_with_member(services, alice.id, domains=("login.acme.example",))
    await change_member(services.spaces, space.id, alice.id, role="admin")
    await space_with_member(services, alice.id, slug="beta")
    return space


@pytest.fixture
async def subject(http: httpx.AsyncClient, app_client: Registered, acme: Space) -> Any:
    """Alice's tokens of the root issuer, with every scope the client has."""
    return await password_tokens(http, app_client)


async def exchange(
    http: httpx.AsyncClient,
    reg: Registered,
    subject_token: str | None,
    url: str = TOKEN,
    **params: str,
) -> httpx.Response:
    data = {"grant_type": TOKEN_EXCHANGE, "subject_token_type": ACCESS, **params}
    if subject_token is not None:
        data["subject_token"] = subject_token
    return await http.post(url, data=data, auth=client_auth(reg))


async def me(http: httpx.AsyncClient, token: str) -> httpx.Response:
    return await http.get("/api/me", headers={"Authorization": f"Bearer {token}"})


async def introspect(http: httpx.AsyncClient, reg: Registered, token: str, issuer: str) -> Any:
    r = await http.post(issuer + "/oauth/introspect", data={"token": token}, auth=client_auth(reg))
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_space_bound_token_rfc8693_2_2_1(
    http: httpx.AsyncClient,
    app_client: Registered,
    subject: Any,
    acme: Space,
    services: Services,
    clock: Clock,
) -> None:
    r = await exchange(http, app_client, subject["access_token"], resource=ACME_URL)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body == {
        "access_token": body["access_token"],
        "issued_token_type": ACCESS,
        "token_type": "Bearer",
        "expires_in": 3600,
        "scope": "admin read write",
    }
    assert body["access_token"] != subject["access_token"]
    assert (await me(http, body["access_token"])).json()["scope"] == "admin read write"
    parsed = parse_token(body["access_token"])
    assert parsed is not None
    row = await services.tokens.access(TokenId(parsed[0]))
    subject_id = parse_token(subject["access_token"])
    assert row is not None and subject_id is not None
    # The row stores on both databases: the grant type is the 47-character URN.
    assert (row.grant_type, row.space_id, row.family_id) == (TOKEN_EXCHANGE, acme.id, subject_id[0])
    assert row.expires_at == int(clock.now) + 3600


async def test_introspection_shows_it_at_its_space_only(
    http: httpx.AsyncClient, app_client: Registered, subject: Any, acme: Space
) -> None:
    r = await exchange(http, app_client, subject["access_token"], audience="acme")
    token = r.json()["access_token"]
    here = await introspect(http, app_client, token, ACME_URL)
    assert (here["active"], here["space"], here["iss"], here["scope"]) == (
        True,
        "acme",
        ACME_URL,
        "admin read write",
    )
    assert await introspect(http, app_client, token, ROOT) == {"active": False}
    assert await introspect(http, app_client, token, ROOT + "/spaces/beta") == {"active": False}


@pytest.mark.parametrize(
    "target",
    [
        {"resource": ACME_URL},
        {"resource": ACME_URL + "/"},
        {"resource": ACME_URL + "/api/things?x=1"},
        {"resource": "HTTP://TestServer:80/spaces/acme"},
        {"resource": "http://login.acme.example"},
        {"resource": "http://login.acme.example/api"},
        {"audience": "acme"},
        {"audience": ACME_URL},
        {"audience": "http://login.acme.example"},
        {"resource": ACME_URL, "audience": "acme"},
    ],
)
async def test_resource_or_audience_name_the_space_rfc8693_2_1(
    http: httpx.AsyncClient,
    app_client: Registered,
    subject: Any,
    services: Services,
    acme: Space,
    target: dict[str, str],
) -> None:
    r = await exchange(http, app_client, subject["access_token"], **target)
    assert r.status_code == 200, r.text
    info = await services.checker.check(r.json()["access_token"])
    assert info.space_id == acme.id


class TestSubdomains:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"base_domain": "spaces.example"}

    async def test_the_space_subdomain_is_its_resource(
        self, http: httpx.AsyncClient, app_client: Registered, subject: Any, acme: Space
    ) -> None:
        r = await exchange(
            http, app_client, subject["access_token"], resource="http://acme.spaces.example"
        )
        assert r.status_code == 200, r.text
        r = await exchange(
            http, app_client, subject["access_token"], resource="http://nope.spaces.example"
        )
        assert_rfc6749_error(r, "invalid_target")


class TestScope:
    async def test_a_member_gets_no_admin_scope_rfc8693_2_1(
        self, http: httpx.AsyncClient, app_client: Registered, subject: Any, acme: Space
    ) -> None:
        beta = ROOT + "/spaces/beta"
        r = await exchange(http, app_client, subject["access_token"], resource=beta)
        assert r.json()["scope"] == "read write"  # narrowed: RFC 6749 §5.1 says so in scope
        r = await exchange(
            http, app_client, subject["access_token"], resource=beta, scope="admin read"
        )
        assert r.json()["scope"] == "read"
        r = await exchange(http, app_client, subject["access_token"], resource=beta, scope="admin")
        assert_rfc6749_error(r, "invalid_scope")

    async def test_revoked_scopes_are_left_out(
        self,
        http: httpx.AsyncClient,
        app_client: Registered,
        subject: Any,
        acme: Space,
        alice: User,
        services: Services,
    ) -> None:
        await change_member(
            services.spaces, acme.id, alice.id, revoked_scopes=frozenset({"admin", "write"})
        )
        r = await exchange(http, app_client, subject["access_token"], resource=ACME_URL)
        assert r.json()["scope"] == "read"

    async def test_never_more_than_the_subject_token(
        self, http: httpx.AsyncClient, app_client: Registered, acme: Space
    ) -> None:
        narrow = await password_tokens(http, app_client, scope="read")
        r = await exchange(
            http, app_client, narrow["access_token"], resource=ACME_URL, scope="read write"
        )
        body = assert_rfc6749_error(r, "invalid_scope")
        assert body["error_description"] == "scope 'write' is not in the subject_token's scope"
        r = await exchange(http, app_client, narrow["access_token"], resource=ACME_URL)
        assert r.json()["scope"] == "read"

    async def test_no_id_token_even_with_openid(
        self, http: httpx.AsyncClient, app_client: Registered, acme: Space
    ) -> None:
        tokens = await password_tokens(http, app_client, scope="openid read")
        r = await exchange(http, app_client, tokens["access_token"], resource=ACME_URL)
        assert r.status_code == 200, r.text
        assert "id_token" not in r.json() and "refresh_token" not in r.json()
        assert r.json()["scope"] == "openid read"


class TestLifetime:
    async def test_never_outlives_the_subject_token(
        self, http: httpx.AsyncClient, app_client: Registered, subject: Any, clock: Clock
    ) -> None:
        clock.advance(3000)
        r = await exchange(http, app_client, subject["access_token"], resource=ACME_URL)
        assert r.json()["expires_in"] == 600
        clock.advance(600)
        assert (await me(http, r.json()["access_token"])).status_code == 401
        r = await exchange(http, app_client, subject["access_token"], resource=ACME_URL)
        assert_rfc6749_error(r, "invalid_request")  # the subject token expired

    async def test_tokens_that_never_expire(
        self, http: httpx.AsyncClient, make: Factory, acme: Space
    ) -> None:
        reg = await make.client(
            grant_types=["password", "token-exchange"], token_lifetime=NEVER, scopes=["read"]
        )
        tokens = await password_tokens(http, reg)
        assert "expires_in" not in tokens
        r = await exchange(http, reg, tokens["access_token"], resource=ACME_URL)
        assert r.status_code == 200, r.text
        assert "expires_in" not in r.json()

    async def test_a_shorter_client_lifetime_wins(
        self, http: httpx.AsyncClient, make: Factory, acme: Space
    ) -> None:
        reg = await make.client(
            grant_types=["password", "token-exchange"], token_lifetime=60, scopes=["read"]
        )
        tokens = await password_tokens(http, reg)
        r = await exchange(http, reg, tokens["access_token"], resource=ACME_URL)
        assert r.json()["expires_in"] == 60


class TestFamily:
    async def test_revoking_the_grant_revokes_the_exchanged_token_rfc7009_2_1(
        self, http: httpx.AsyncClient, app_client: Registered, subject: Any, acme: Space
    ) -> None:
        r = await exchange(http, app_client, subject["access_token"], resource=ACME_URL)
        exchanged = r.json()["access_token"]
        again = await exchange(http, app_client, exchanged, ACME_URL + TOKEN, audience="acme")
        assert again.status_code == 200, again.text  # a space's token, re-exchanged there
        revoke = await http.post(
            "/oauth/revoke",
            data={"token": subject["refresh_token"]},
            auth=client_auth(app_client),
        )
        assert revoke.status_code == 200
        for token in (subject["access_token"], exchanged, again.json()["access_token"]):
            assert (await me(http, token)).status_code == 401

    async def test_a_removed_member_loses_the_exchanged_token(
        self,
        http: httpx.AsyncClient,
        app_client: Registered,
        subject: Any,
        acme: Space,
        alice: User,
        services: Services,
    ) -> None:
        r = await exchange(http, app_client, subject["access_token"], resource=ACME_URL)
        await services.spaces.remove_member(acme.id, alice.id)
        r = await me(http, r.json()["access_token"])
        assert r.status_code == 401 and r.json()["error"] == "invalid_token"
        assert (await me(http, subject["access_token"])).status_code == 200  # not bound
        r = await exchange(http, app_client, subject["access_token"], resource=ACME_URL)
        assert_rfc6749_error(r, "invalid_target")

    async def test_concurrent_exchanges_each_get_a_token_of_the_family(
        self, http: httpx.AsyncClient, app_client: Registered, subject: Any, acme: Space
    ) -> None:
        answers = await asyncio.gather(
            *(
                exchange(http, app_client, subject["access_token"], resource=ACME_URL)
                for _ in range(12)
            )
        )
        assert [r.status_code for r in answers] == [200] * 12
        tokens = {r.json()["access_token"] for r in answers}
        assert len(tokens) == 12
        await http.post(
            "/oauth/revoke", data={"token": subject["refresh_token"]}, auth=client_auth(app_client)
        )
        for token in tokens:
            assert (await me(http, token)).status_code == 401

    async def test_exchanges_racing_a_revocation_leave_no_live_token(
        self, http: httpx.AsyncClient, app_client: Registered, subject: Any, acme: Space
    ) -> None:
        revoke = http.post(
            "/oauth/revoke", data={"token": subject["refresh_token"]}, auth=client_auth(app_client)
        )
        answers = await asyncio.gather(
            *(
                exchange(http, app_client, subject["access_token"], resource=ACME_URL)
                for _ in range(6)
            ),
            revoke,
            *(
                exchange(http, app_client, subject["access_token"], resource=ACME_URL)
                for _ in range(6)
            ),
        )
        for r in answers:
            assert r.status_code in {200, 400}, r.text
            if r.status_code == 400:
                assert_rfc6749_error(r, "invalid_request")
            elif r.content:
                assert (await me(http, r.json()["access_token"])).status_code == 401


class TestBadRequests:
    """RFC 8693 §2.2.2: a bad request or subject token is invalid_request, a target the
    server will not issue for invalid_target; never a 500."""

    @pytest.mark.parametrize(
        ("change", "error", "says"),
        [
            ({"subject_token": None}, "invalid_request", "'subject_token'"),
            ({"subject_token_type": None}, "invalid_request", "'subject_token_type'"),
            (
                {"subject_token_type": "urn:ietf:params:oauth:token-type:refresh_token"},
                "invalid_request",
                "is not supported",
            ),
            (
                {"subject_token_type": "urn:ietf:params:oauth:token-type:jwt"},
                "invalid_request",
                "is not supported",
            ),
            ({"requested_token_type": "urn:x"}, "invalid_request", "not supported"),
            ({"actor_token": "a", "actor_token_type": ACCESS}, "invalid_request", "delegation"),
            ({"resource": None}, "invalid_target", "resource"),
            ({"resource": ROOT}, "invalid_target", "names no space"),
            ({"resource": ROOT + "/spaces/nope"}, "invalid_target", "names no space"),
            ({"resource": "https://testserver/spaces/acme"}, "invalid_target", "no space"),
            ({"resource": ACME_URL + "#frag"}, "invalid_target", "no space"),
            ({"resource": "http://user@testserver/spaces/acme"}, "invalid_target", "no space"),
            ({"resource": "http://elsewhere.example/spaces/acme"}, "invalid_target", "no space"),
            ({"resource": "http://testserver:99999/spaces/acme"}, "invalid_target", "no space"),
            ({"resource": "http://[::1/spaces/acme"}, "invalid_target", "no space"),
            ({"resource": "/spaces/acme"}, "invalid_target", "no space"),
            ({"resource": "acme"}, "invalid_target", "no space"),
            ({"resource": "http://testserver/spaces/acmé"}, "invalid_target", "no space"),
            ({"resource": "http://" + "a" * 3000}, "invalid_target", "no space"),
            ({"resource": None, "audience": "nope"}, "invalid_target", "audience"),
            ({"resource": None, "audience": "Not A Slug"}, "invalid_target", "no space"),
            ({"audience": "beta"}, "invalid_target", "resource and audience"),
            ({"resource": ROOT + "/spaces/gamma"}, "invalid_target", "member"),
            ({"scope": "read\x7f"}, "invalid_scope", "RFC 6749"),
            ({"subject_token": "1.nope"}, "invalid_request", "not an active access token"),
            ({"subject_token": "junk"}, "invalid_request", "not an active access token"),
        ],
    )
    async def test_bad_parameters(
        self,
        http: httpx.AsyncClient,
        app_client: Registered,
        subject: Any,
        services: Services,
        change: dict[str, str | None],
        error: str,
        says: str,
    ) -> None:
        await space_with_member(services, None, slug="gamma")  # alice is no member
        data: dict[str, str | None] = {
            "grant_type": TOKEN_EXCHANGE,
            "subject_token": subject["access_token"],
            "subject_token_type": ACCESS,
            "resource": ACME_URL,
            **change,
        }
        form = {k: v for k, v in data.items() if v is not None}
        r = await http.post(TOKEN, data=form, auth=client_auth(app_client))
        body = assert_rfc6749_error(r, error)
        assert says in body["error_description"], body

    @pytest.mark.parametrize("name", ["subject_token", "resource", "audience", "grant_type"])
    async def test_a_repeated_parameter_rfc6749_3_2(
        self, http: httpx.AsyncClient, app_client: Registered, subject: Any, name: str
    ) -> None:
        pairs = [
            ("grant_type", TOKEN_EXCHANGE),
            ("subject_token", subject["access_token"]),
            ("subject_token_type", ACCESS),
            ("resource", ACME_URL),
            ("audience", "acme"),
            (name, "acme" if name == "audience" else ACME_URL),
        ]
        r = await http.post(
            TOKEN,
            content=urlencode(pairs),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            auth=client_auth(app_client),
        )
        body = assert_rfc6749_error(r, "invalid_request")
        assert "more than once" in body["error_description"]

    async def test_subject_tokens_that_are_not_acceptable(
        self,
        http: httpx.AsyncClient,
        app_client: Registered,
        subject: Any,
        make: Factory,
        acme: Space,
    ) -> None:
        """Another client's token, a refresh token, a revoked token, a client's own token
        and one of another issuer all get the same invalid_request."""
        other = await make.client(
            grant_types=["password", "client_credentials", "token-exchange"], scopes=["read"]
        )
        theirs = await password_tokens(http, other)
        own = await http.post(
            TOKEN, data={"grant_type": "client_credentials"}, auth=client_auth(other)
        )
        at_acme = await password_tokens(http, app_client, ACME_URL + TOKEN)
        revoked = await password_tokens(http, app_client)
        await http.post(
            "/oauth/revoke", data={"token": revoked["access_token"]}, auth=client_auth(app_client)
        )
        cases = [
            (app_client, theirs["access_token"], TOKEN),
            (app_client, subject["refresh_token"], TOKEN),
            (app_client, revoked["access_token"], TOKEN),
            (app_client, at_acme["access_token"], TOKEN),  # acme's, at the root issuer
            (app_client, subject["access_token"], ACME_URL + TOKEN),  # the root's, at acme
        ]
        for reg, token, url in cases:
            r = await exchange(http, reg, token, url, resource=ACME_URL)
            body = assert_rfc6749_error(r, "invalid_request")
            assert body["error_description"] == (
                "the subject_token is not an active access token of this client and issuer"
            )
        r = await exchange(http, other, own.json()["access_token"], resource=ACME_URL)
        body = assert_rfc6749_error(r, "invalid_request")
        assert "acts for no user" in body["error_description"]

    async def test_a_space_issuer_exchanges_for_its_own_space_only(
        self, http: httpx.AsyncClient, app_client: Registered, acme: Space
    ) -> None:
        at_acme = await password_tokens(http, app_client, ACME_URL + TOKEN)
        r = await exchange(
            http, app_client, at_acme["access_token"], ACME_URL + TOKEN, audience="beta"
        )
        body = assert_rfc6749_error(r, "invalid_target")
        assert body["error_description"] == "the issuer of space 'acme' issues tokens for it only"
        r = await exchange(
            http, app_client, at_acme["access_token"], ACME_URL + TOKEN, scope="read"
        )
        assert_rfc6749_error(r, "invalid_target")  # no target named
        r = await exchange(
            http,
            app_client,
            at_acme["access_token"],
            ACME_URL + TOKEN,
            audience="acme",
            scope="read",
        )
        assert r.json()["scope"] == "read"

    async def test_the_client_must_be_allowed_the_grant_rfc6749_5_2(
        self, http: httpx.AsyncClient, make: Factory, acme: Space
    ) -> None:
        reg = await make.client(grant_types=["password"], scopes=["read"])
        tokens = await password_tokens(http, reg)
        r = await exchange(http, reg, tokens["access_token"], resource=ACME_URL)
        assert_rfc6749_error(r, "unauthorized_client")


async def test_discovery_lists_the_grant_rfc8414_2(http: httpx.AsyncClient) -> None:
    for path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
        assert TOKEN_EXCHANGE in (await http.get(path)).json()["grant_types_supported"]


async def test_registration_takes_the_urn_or_its_short_name(make: Factory) -> None:
    for name in ("token-exchange", TOKEN_EXCHANGE):
        reg = await make.client(grant_types=[name])
        assert reg.client.grant_types == {TOKEN_EXCHANGE}


values = st.one_of(
    st.sampled_from(
        [ACME_URL, "acme", ROOT, "beta", ACCESS, "urn:x", "read", "admin", "\x01subject"]
    ),
    st.text(max_size=30),
)


@PROPERTY_SETTINGS
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "subject_token",
                "subject_token_type",
                "resource",
                "audience",
                "scope",
                "requested_token_type",
                "actor_token",
                "actor_token_type",
            ]
        ),
        values,
    )
)
async def test_random_exchange_parameters_get_a_token_or_an_rfc_error(
    http: httpx.AsyncClient, app_client: Registered, subject: Any, params: dict[str, str]
) -> None:
    data = {"grant_type": TOKEN_EXCHANGE}
    data.update(
        {k: subject["access_token"] if v == "\x01subject" else v for k, v in params.items()}
    )
    r = await http.post(TOKEN, data=data, auth=client_auth(app_client))
    assert r.status_code != 500, r.text
    if r.status_code != 200:
        assert_rfc6749_error(r)
    else:
        assert r.json()["issued_token_type"] == ACCESS
