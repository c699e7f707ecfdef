"""RFC 7591 dynamic client registration at ``POST /oauth/register``: off by default,
initial access tokens (§3), the registry's rules (the portal's), errors (§3.2.2)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from authgate.audit.events import AuditQuery
from authgate.services import Services
from tests.web.dcr_support import CB, REGISTER, bearer, initial_token, register, registered

pytestmark = pytest.mark.usefixtures("app")

ON = {"dynamic_registration": "initial_token"}
OPEN = {"dynamic_registration": "open"}
DISCOVERY = (
    "/.well-known/openid-configuration",
    "/.well-known/oauth-authorization-server",
)


class TestOffByDefault:
    async def test_the_endpoint_is_404_and_discovery_names_none(
        self, http: httpx.AsyncClient, services: Services
    ) -> None:
        token = await initial_token(services)
        r = await register(http, token)
        assert r.status_code == 404
        assert (await http.get(REGISTER + "/x", headers=bearer(token))).status_code == 404
        for path in DISCOVERY:
            assert "registration_endpoint" not in (await http.get(path)).json()
        await services.spaces.create("acme", "Acme", (), services.minter.now())
        doc = (await http.get("/spaces/acme/.well-known/openid-configuration")).json()
        assert "registration_endpoint" not in doc


@pytest.mark.parametrize("settings_overrides", [ON, OPEN])
async def test_discovery_names_the_endpoint_on_every_issuer_rfc8414_2(
    http: httpx.AsyncClient, services: Services, settings_overrides: dict[str, Any]
) -> None:
    for path in DISCOVERY:
        doc = (await http.get(path)).json()
        assert doc["registration_endpoint"] == "http://testserver/oauth/register"
    await services.spaces.create("acme", "Acme", (), services.minter.now())
    issuer = "http://testserver/spaces/acme"
    for path in (
        "/spaces/acme/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server/spaces/acme",
    ):
        assert (await http.get(path)).json()["registration_endpoint"] == issuer + REGISTER


@pytest.mark.parametrize("settings_overrides", [ON])
class TestInitialAccessTokens:
    async def test_registration_without_a_token_is_401_rfc7591_3(
        self, http: httpx.AsyncClient
    ) -> None:
        r = await register(http)
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == "Bearer"
        assert r.json()["error"] == "invalid_token"

    @pytest.mark.parametrize(
        "token", ["nope", "1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "\xe9".encode(), "x y"]
    )
    async def test_an_unknown_or_forged_token_is_401_invalid_token_rfc6750_3_1(
        self, http: httpx.AsyncClient, services: Services, token: str | bytes
    ) -> None:
        real = await initial_token(services)
        forged = real.split(".")[0] + "." + "A" * 43
        for bad in (token, forged):
            header = b"Bearer " + bad if isinstance(bad, bytes) else f"Bearer {bad}"
            r = await http.post(
                REGISTER, json={"redirect_uris": [CB]}, headers={"Authorization": header}
            )
            assert r.status_code == 401, bad
            assert r.json()["error"] == "invalid_token"
            assert 'error="invalid_token"' in r.headers["www-authenticate"]
        basic = await http.post(REGISTER, json={"redirect_uris": [CB]}, auth=("a", "b"))
        assert basic.status_code == 401

    async def test_an_expired_token_is_401(
        self, http: httpx.AsyncClient, services: Services, clock: Any
    ) -> None:
        token = await initial_token(services, expires=60)
        clock.advance(61)
        assert (await register(http, token)).status_code == 401

    async def test_a_token_registers_as_many_clients_as_it_allows(
        self, http: httpx.AsyncClient, services: Services
    ) -> None:
        token = await initial_token(services, uses=2)
        assert (await register(http, token)).status_code == 201
        assert (await register(http, token)).status_code == 201
        r = await register(http, token)
        assert r.status_code == 401 and r.json()["error"] == "invalid_token"

    async def test_a_refused_registration_gives_its_use_back(
        self, http: httpx.AsyncClient, services: Services
    ) -> None:
        token = await initial_token(services, uses=1)
        bad = await register(http, token, redirect_uris=["javascript:alert(1)"])
        assert bad.status_code == 400
        assert (await register(http, token)).status_code == 201
        assert (await register(http, token)).status_code == 401

    async def test_40_concurrent_registrations_with_a_one_use_token_make_one_client(
        self, http: httpx.AsyncClient, services: Services
    ) -> None:
        token = await initial_token(services, uses=1)
        before = len(await services.clients.all())
        answers = await asyncio.gather(
            *(register(http, token, client_name=f"App {n}") for n in range(40))
        )
        statuses = sorted(r.status_code for r in answers)
        assert statuses == [201] + [401] * 39
        assert len(await services.clients.all()) == before + 1

    async def test_the_token_is_stored_hashed(
        self, http: httpx.AsyncClient, services: Services
    ) -> None:
        issued = await services.initial_tokens.create(expires_in=60, max_uses=None)
        secret = issued.token.split(".", 1)[1]
        assert secret.encode() not in issued.row.secret_digest
        assert len(issued.row.secret_digest) == 32


@pytest.mark.parametrize("settings_overrides", [ON])
class TestRegistration:
    async def test_a_confidential_client_gets_its_credentials_rfc7591_3_2_1(
        self, http: httpx.AsyncClient, services: Services
    ) -> None:
        token = await initial_token(services)
        r = await register(
            http,
            token,
            client_name="Photo Book",
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            scope="read write",
            client_uri="https://app.example.com",
            logo_uri="https://app.example.com/logo.png",
            policy_uri="https://app.example.com/privacy",
            contacts=["ops@example.com"],
            software_id="4NRB1-0XZABZI9E6-5SM3R",
            made_up_field={"ignored": True},
        )
        assert r.status_code == 201, r.text
        assert r.headers["cache-control"] == "no-store"
        info = r.json()
        assert info["client_secret"] and info["client_secret_expires_at"] == 0
        assert info["client_name"] == "Photo Book"
        assert info["redirect_uris"] == [CB]
        assert info["grant_types"] == ["authorization_code", "refresh_token"]
        assert info["response_types"] == ["code"]
        assert info["token_endpoint_auth_method"] == "client_secret_basic"
        assert info["scope"] == "read write"
        assert info["client_uri"] == "https://app.example.com"
        assert info["logo_uri"] == "https://app.example.com/logo.png"
        assert info["policy_uri"] == "https://app.example.com/privacy"
        assert "contacts" not in info and "made_up_field" not in info
        assert info["client_id_issued_at"] == services.minter.now()
        assert info["registration_client_uri"] == (
            "http://testserver/oauth/register/" + info["client_id"]
        )
        assert info["registration_access_token"]
        client = await services.registry.get(info["client_id"])
        assert not client.is_public and client.name == "Photo Book"
        assert client.scopes == {"read", "write"}
        assert client.secret_digest is not None
        assert info["client_secret"].encode() not in client.secret_digest

    async def test_the_client_secret_works_at_the_token_endpoint(
        self, http: httpx.AsyncClient, services: Services
    ) -> None:
        info = await registered(
            http,
            await initial_token(services),
            grant_types=["client_credentials"],
            redirect_uris=[],
            token_endpoint_auth_method="client_secret_post",
        )
        assert info["token_endpoint_auth_method"] == "client_secret_post"
        assert info["response_types"] == []
        r = await http.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": info["client_id"],
                "client_secret": info["client_secret"],
            },
        )
        assert r.status_code == 200, r.text

    async def test_a_public_client_gets_no_secret(
        self, http: httpx.AsyncClient, services: Services
    ) -> None:
        info = await registered(
            http, await initial_token(services), token_endpoint_auth_method="none"
        )
        assert "client_secret" not in info and "client_secret_expires_at" not in info
        assert info["token_endpoint_auth_method"] == "none"
        assert (await services.registry.get(info["client_id"])).is_public

    async def test_defaults_rfc7591_2(self, http: httpx.AsyncClient, services: Services) -> None:
        info = await registered(http, await initial_token(services))
        assert info["token_endpoint_auth_method"] == "client_secret_basic"
        # authorization_code (the default) brings refresh_token with the rotate policy
        assert info["grant_types"] == ["authorization_code", "refresh_token"]
        assert info["response_types"] == ["code"]
        assert info["scope"] == "read write"  # the catalog less the admin scopes
        assert info["client_name"] == "app.example.com"  # named by its redirect URI's host

    async def test_openid_connect_scopes_need_no_registration(
        self, http: httpx.AsyncClient, services: Services
    ) -> None:
        info = await registered(http, await initial_token(services), scope="openid profile read")
        assert info["scope"] == "read"

    async def test_the_audit_log_names_the_initial_token_and_the_address(
        self, http: httpx.AsyncClient, services: Services
    ) -> None:
        issued = await services.initial_tokens.create(expires_in=60, max_uses=None)
        info = await registered(http, issued.token, client_name="Audited")
        await services.audit.flush()
        events = (await services.audit.page(AuditQuery(event="client.created"))).events
        assert [e.target for e in events] == [info["client_id"]]
        event = events[0]
        assert event.actor.type == "client"
        assert event.actor.name == f"initial access token {issued.row.id}"
        assert event.actor.address == "127.0.0.1"
        text = str(event.to_dict())
        for secret in (info["client_secret"], info["registration_access_token"], issued.token):
            assert secret not in text
        created = (await services.audit.page(AuditQuery(event="initial_token.created"))).events
        assert [e.target for e in created] == [str(issued.row.id)]

    async def test_a_space_issuer_registers_too_with_its_own_client_uri(
        self, http: httpx.AsyncClient, services: Services
    ) -> None:
        await services.spaces.create("acme", "Acme", (), services.minter.now())
        r = await register(http, await initial_token(services), url="/spaces/acme" + REGISTER)
        assert r.status_code == 201, r.text
        info = r.json()
        assert info["registration_client_uri"] == (
            "http://testserver/spaces/acme/oauth/register/" + info["client_id"]
        )


@pytest.mark.parametrize("settings_overrides", [ON])
class TestTheRegistrysRules:
    """The rules of the portal and the CLI (protocol/rules.py, ClientRegistry)."""

    @pytest.mark.parametrize(
        "uris",
        [
            ["javascript:alert(1)"],
            ["https://app.example.com/cb#fragment"],
            ["http://app.example.com/cb"],
            ["https://user:pw@app.example.com/cb"],
            ["myapp:/cb"],
            ["https://app.example.com/" + "a" * 2100],
        ],
    )
    async def test_bad_redirect_uris_are_invalid_redirect_uri_rfc7591_3_2_2(
        self, http: httpx.AsyncClient, services: Services, uris: list[str]
    ) -> None:
        r = await register(http, await initial_token(services), redirect_uris=uris)
        assert r.status_code == 400, r.text
        assert r.json()["error"] == "invalid_redirect_uri"
        assert r.headers["cache-control"] == "no-store"

    async def test_the_code_flow_needs_a_redirect_uri(
        self, http: httpx.AsyncClient, services: Services
    ) -> None:
        r = await register(http, await initial_token(services), redirect_uris=[])
        assert r.status_code == 400 and r.json()["error"] == "invalid_redirect_uri"

    async def test_a_native_apps_private_scheme_is_accepted_rfc8252_7_1(
        self, http: httpx.AsyncClient, services: Services
    ) -> None:
        info = await registered(
            http,
            await initial_token(services),
            redirect_uris=["com.example.app:/callback"],
            token_endpoint_auth_method="none",
        )
        assert info["redirect_uris"] == ["com.example.app:/callback"]

    @pytest.mark.parametrize(
        ("metadata", "says"),
        [
            ({"scope": "read nonsense"}, "unknown scope"),
            # the admin API's reserved scopes: never through registration
            ({"scope": "read authgate:admin"}, "unknown scope"),
            ({"scope": "authgate:clients"}, "unknown scope"),
            ({"grant_types": ["magic"]}, "unknown grant type"),
            ({"grant_types": ["refresh_token"], "response_types": []}, "refresh_token"),
            (
                {"grant_types": ["client_credentials"], "token_endpoint_auth_method": "none"},
                "public client",
            ),
            ({"token_endpoint_auth_method": "private_key_jwt"}, "not supported"),
            ({"client_name": "x" * 201}, "name"),
            ({"client_name": "bad\x07name"}, "control"),
            ({"logo_uri": "javascript:alert(1)"}, "logo"),
            ({"client_uri": "http://example.com"}, "https"),
            ({"response_types": ["code"], "grant_types": ["implicit"]}, "authorization_code"),
            ({"response_types": ["token"]}, "implicit"),
            (
                {"response_types": ["code"], "grant_types": ["authorization_code", "implicit"]},
                "implicit",
            ),
            ({"response_types": ["magic"]}, "unknown response type"),
        ],
    )
    async def test_what_the_registry_refuses_is_invalid_client_metadata(
        self, http: httpx.AsyncClient, services: Services, metadata: dict[str, Any], says: str
    ) -> None:
        r = await register(http, await initial_token(services), **metadata)
        assert r.status_code == 400, r.text
        assert r.json()["error"] == "invalid_client_metadata"
        assert says in r.json()["error_description"]

    async def test_response_types_and_grant_types_agree_rfc7591_2_1(
        self, http: httpx.AsyncClient, services: Services
    ) -> None:
        info = await registered(
            http,
            await initial_token(services),
            grant_types=["authorization_code", "implicit"],
            response_types=["code", "token id_token"],
            token_endpoint_auth_method="none",
        )
        assert info["response_types"] == ["code", "id_token token"]
        assert set(info["grant_types"]) >= {"authorization_code", "implicit"}

    async def test_admin_scopes_only_when_asked_for(
        self, http: httpx.AsyncClient, services: Services
    ) -> None:
        info = await registered(http, await initial_token(services), scope="read admin")
        assert info["scope"] == "admin read"


@pytest.mark.parametrize("settings_overrides", [{**ON, "grant_types": ["authorization_code"]}])
async def test_only_the_grants_the_server_offers(
    http: httpx.AsyncClient, services: Services
) -> None:
    r = await register(
        http, await initial_token(services), grant_types=["client_credentials"], redirect_uris=[]
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_client_metadata"
    assert "does not offer" in r.json()["error_description"]


@pytest.mark.parametrize("settings_overrides", [ON])
class TestHostileBodies:
    """Never a 500: anything that is not a JSON object of metadata is a 400."""

    @pytest.mark.parametrize(
        "body",
        [
            b"",
            b"not json",
            b"[]",
            b'["redirect_uris"]',
            b"null",
            b"42",
            b'"text"',
            b"\xff\xfe",
            b'{"redirect_uris": ["https://a.example/cb"], "redirect_uris": ["https://b.example"]}',
            b'{"client_name": NaN}',
            b'{"client_name": Infinity}',
            b"[" * 100_000,
            b'{"a":' * 5000 + b"1" + b"}" * 5000,
            b'{"client_name": 1' + b"0" * 5000 + b"}",
            b'{"client_name": "\\ud800"}',
            b'{"client_name": "nul\\u0000"}',
            b'{"redirect_uris": "https://app.example.com/cb"}',
            b'{"redirect_uris": [1, 2]}',
            b'{"redirect_uris": ["\\ud800"]}',
            b'{"grant_types": "authorization_code"}',
            b'{"grant_types": [null]}',
            b'{"response_types": {"code": true}}',
            b'{"scope": ["read"]}',
            b'{"client_name": {"en": "x"}}',
            b'{"token_endpoint_auth_method": 7}',
            b'{"client_uri": true}',
            b'{"redirect_uris": [' + b'"https://app.example.com/cb",' * 200 + b'"x"]}',
        ],
    )
    async def test_hostile_bodies_are_400(
        self, http: httpx.AsyncClient, services: Services, body: bytes
    ) -> None:
        r = await http.post(
            REGISTER,
            content=body,
            headers={**bearer(await initial_token(services)), "Content-Type": "application/json"},
        )
        assert r.status_code == 400, (body[:60], r.text)
        assert r.json()["error"] in {"invalid_client_metadata", "invalid_redirect_uri"}

    async def test_a_huge_body_is_refused_before_it_is_read_whole(
        self, http: httpx.AsyncClient, services: Services
    ) -> None:
        body = b'{"client_name": "' + b"x" * (1024 * 1024) + b'"}'
        r = await http.post(
            REGISTER,
            content=body,
            headers={**bearer(await initial_token(services)), "Content-Type": "application/json"},
        )
        assert r.status_code == 400 and "larger" in r.json()["error_description"]

    @pytest.mark.parametrize(
        "content_type", [None, "text/plain", "application/x-www-form-urlencoded"]
    )
    async def test_anything_but_json_is_refused(
        self, http: httpx.AsyncClient, services: Services, content_type: str | None
    ) -> None:
        headers = bearer(await initial_token(services))
        if content_type:
            headers["Content-Type"] = content_type
        r = await http.post(REGISTER, content=b'{"redirect_uris": []}', headers=headers)
        assert r.status_code == 400 and r.json()["error"] == "invalid_client_metadata"

    async def test_unicode_names_are_kept(
        self, http: httpx.AsyncClient, services: Services
    ) -> None:
        info = await registered(http, await initial_token(services), client_name="Fotobüch 写真")
        assert info["client_name"] == "Fotobüch 写真"

    async def test_a_charset_parameter_is_fine(
        self, http: httpx.AsyncClient, services: Services
    ) -> None:
        r = await http.post(
            REGISTER,
            content=b'{"redirect_uris": ["https://app.example.com/cb"]}',
            headers={
                **bearer(await initial_token(services)),
                "Content-Type": "application/json; charset=utf-8",
            },
        )
        assert r.status_code == 201, r.text

    async def test_other_methods_are_not_a_500(self, http: httpx.AsyncClient) -> None:
        for method in ("GET", "PUT", "DELETE", "PATCH"):
            r = await http.request(method, REGISTER)
            assert r.status_code in (404, 405), method
        r = await http.request("PATCH", REGISTER + "/abc")
        assert r.status_code == 405


@pytest.mark.parametrize(
    "settings_overrides", [{**OPEN, "dynamic_registration_rate_limit": "3/hour"}]
)
class TestOpenRegistration:
    async def test_anyone_may_register_a_few_times_per_address(
        self, http: httpx.AsyncClient
    ) -> None:
        for _ in range(3):
            assert (await register(http)).status_code == 201
        r = await register(http)
        assert r.status_code == 429
        assert r.json()["error"] == "rate_limit_exceeded"
        assert int(r.headers["retry-after"]) > 0

    async def test_another_address_has_its_own_budget(self, app: Any) -> None:
        for address in ("192.0.2.1", "192.0.2.2"):
            transport = httpx.ASGITransport(app=app, client=(address, 1234))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                for _ in range(3):
                    assert (await register(c)).status_code == 201
                assert (await register(c)).status_code == 429

    async def test_an_initial_token_skips_the_address_limit_and_must_be_valid(
        self, http: httpx.AsyncClient, services: Services
    ) -> None:
        for _ in range(3):
            assert (await register(http)).status_code == 201
        token = await initial_token(services)
        assert (await register(http, token)).status_code == 201
        assert (await register(http, "1." + "A" * 43)).status_code == 401

    async def test_anonymous_registrations_are_audited_with_the_address(
        self, http: httpx.AsyncClient, services: Services
    ) -> None:
        info = await registered(http)
        await services.audit.flush()
        events = (await services.audit.page(AuditQuery(event="client.created"))).events
        assert [e.target for e in events] == [info["client_id"]]
        assert events[0].actor.name == "dynamic registration"
        assert events[0].actor.address == "127.0.0.1"
