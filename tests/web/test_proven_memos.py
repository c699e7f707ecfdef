"""protocol/proven.py: a bearer token or a client's Basic credentials, once proven against
the cached rows, are answered from a memo while the caches still hold those very rows, and
never longer. Every way a token or a client stops being good still takes effect at the next
request: revocation, expiry, a rotated secret, a deleted client, another worker's change
once its cache entry ends, a space member's lost permissions. Caches are on here (the
suite's default settings cache no clients, so elsewhere the memos never answer)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from authgate.domain import Space, User
from authgate.protocol.proven import ProvenMemo
from authgate.protocol.registration import Registered
from authgate.protocol.token_formats.jwt import JwtFormat
from authgate.services import Services
from authgate.settings import Settings
from authgate.storage.sql.spaces import SqlSpaceStore
from authgate.web.app import create_app
from tests.conftest import Clock, Factory
from tests.web.oidc_support import change_member, space_with_member
from tests.web.token_support import client_auth, password_tokens

CACHES_ON = {"token_cache_seconds": 60, "client_cache_seconds": 60}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return dict(CACHES_ON)


@pytest.fixture
async def reg(make: Factory, alice: User) -> Registered:
    return await make.client(
        grant_types=["password", "client_credentials"], scopes=["read", "write", "admin"]
    )


async def me(http: httpx.AsyncClient, token: str) -> httpx.Response:
    return await http.get("/api/me", headers={"Authorization": f"Bearer {token}"})


async def introspect(
    http: httpx.AsyncClient, auth: tuple[str, str], token: str, **extra: str
) -> httpx.Response:
    return await http.post("/oauth/introspect", data={"token": token, **extra}, auth=auth)


async def remembered_token(http: httpx.AsyncClient, services: Services, reg: Registered) -> str:
    """A user's access token, checked twice: the second check is the memo's."""
    token: str = (await password_tokens(http, reg))["access_token"]
    for _ in range(2):
        assert (await me(http, token)).status_code == 200
    assert len(services.checker.proven) == 1
    return token


# ---------------------------------------------------------------------- bearer tokens


async def test_a_remembered_token_is_refused_once_revoked_rfc7009(
    http: httpx.AsyncClient, services: Services, reg: Registered
) -> None:
    token = await remembered_token(http, services, reg)
    r = await http.post("/oauth/revoke", data={"token": token}, auth=client_auth(reg))
    assert r.status_code == 200
    assert (await me(http, token)).status_code == 401
    assert (await introspect(http, client_auth(reg), token)).json() == {"active": False}


async def test_a_remembered_token_is_refused_once_expired(
    http: httpx.AsyncClient, services: Services, reg: Registered, clock: Clock
) -> None:
    """The cached row stays (its cache entry lives a minute): the memo itself must look at
    the token's expiry on every recall."""
    token = await remembered_token(http, services, reg)
    clock.advance(services.settings.access_token_lifetime + 1)
    r = await me(http, token)
    assert r.status_code == 401
    assert 'error="invalid_token"' in r.headers["www-authenticate"]
    assert (await introspect(http, client_auth(reg), token)).json() == {"active": False}
    assert len(services.checker.proven) == 0


async def test_a_remembered_token_dies_with_its_client(
    http: httpx.AsyncClient, services: Services, reg: Registered
) -> None:
    token = await remembered_token(http, services, reg)
    await services.registry.delete(reg.client.client_id)
    assert (await me(http, token)).status_code == 401


async def test_a_client_that_lost_a_scope_takes_it_from_a_remembered_token_seed_000(
    http: httpx.AsyncClient, services: Services, reg: Registered
) -> None:
    token = await remembered_token(http, services, reg)
    assert "admin" in (await me(http, token)).json()["scope"]
    await services.registry.update(reg.client.client_id, scopes=["read", "write"])
    assert (await me(http, token)).json()["scope"] == "read write"


async def test_made_up_tokens_are_never_remembered(
    http: httpx.AsyncClient, services: Services, reg: Registered
) -> None:
    token = await remembered_token(http, services, reg)
    row_id, secret = token.split(".")
    forged = [f"{row_id}.{secret[:-1]}{c}" for c in "ABCDEFGH" if c != secret[-1]]
    forged += ["garbage", f"{int(row_id) + 1}.{secret}", token + "x"]
    for attempt in forged:
        assert (await me(http, attempt)).status_code == 401
    assert len(services.checker.proven) == 1


async def test_remembered_under_a_digest_never_the_token_itself(
    http: httpx.AsyncClient, services: Services, reg: Registered
) -> None:
    token = await remembered_token(http, services, reg)
    key = hashlib.sha256(token.encode()).digest()
    assert ProvenMemo.key(token) == key
    assert services.checker.proven.recall(key) is not None
    assert services.checker.proven.recall(token.encode()) is None


async def test_concurrent_checks_of_a_token_being_revoked_end_with_refusal(
    http: httpx.AsyncClient, services: Services, reg: Registered
) -> None:
    token = await remembered_token(http, services, reg)
    revoke = http.post("/oauth/revoke", data={"token": token}, auth=client_auth(reg))
    answers = await asyncio.gather(*[me(http, token) for _ in range(20)], revoke)
    assert answers[-1].status_code == 200
    assert {r.status_code for r in answers[:-1]} <= {200, 401}
    after = await asyncio.gather(*[me(http, token) for _ in range(20)])
    assert {r.status_code for r in after} == {401}


# ---------------------------------------------------------------------- JWT access tokens


@pytest.fixture
async def jwt_reg(make: Factory) -> Registered:
    return await make.client(scopes=["read"], access_token_format="jwt")


async def jwt_token(http: httpx.AsyncClient, reg: Registered) -> str:
    r = await http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=client_auth(reg)
    )
    assert r.status_code == 200, r.text
    token: str = r.json()["access_token"]
    assert token.count(".") == 2
    return token


async def test_a_jwt_is_verified_once_while_the_keys_stay_rfc9068(
    http: httpx.AsyncClient,
    services: Services,
    jwt_reg: Registered,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = await jwt_token(http, jwt_reg)
    verified = []
    parse = JwtFormat.parse

    async def counted(self: JwtFormat, presented: str) -> Any:
        verified.append(presented)
        return await parse(self, presented)

    monkeypatch.setattr(JwtFormat, "parse", counted)
    for _ in range(2):  # the first check may read the keys, and then proves it again
        assert (await me(http, token)).json()["type"] == "client"
    before = len(verified)
    for _ in range(3):
        assert (await me(http, token)).json()["type"] == "client"
    assert len(verified) == before <= 2
    assert len(services.checker.proven) == 1


class TestKeysNoLongerPublished:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {**CACHES_ON, "signing_key_grace_seconds": 0}

    async def test_a_remembered_jwt_dies_with_its_key(
        self, http: httpx.AsyncClient, services: Services, jwt_reg: Registered
    ) -> None:
        """Its rows stay cached: only the keys say that its signature no longer counts."""
        token = await jwt_token(http, jwt_reg)
        for _ in range(2):
            assert (await me(http, token)).status_code == 200
        await services.keys.rotate(at_once=True)  # the old key unpublished at once
        assert (await me(http, token)).status_code == 401
        assert (await me(http, await jwt_token(http, jwt_reg))).status_code == 200

    async def test_concurrent_checks_during_a_key_rotation_end_with_refusal(
        self, http: httpx.AsyncClient, services: Services, jwt_reg: Registered
    ) -> None:
        token = await jwt_token(http, jwt_reg)
        for _ in range(2):
            assert (await me(http, token)).status_code == 200
        racing = [me(http, token) for _ in range(20)]
        *answers, _ = await asyncio.gather(*racing, services.keys.rotate(at_once=True))
        assert {r.status_code for r in answers} <= {200, 401}
        after = await asyncio.gather(*[me(http, token) for _ in range(20)])
        assert {r.status_code for r in after} == {401}


# --------------------------------------------------------------- space-bound tokens


@pytest.fixture
async def acme(services: Services, alice: User) -> Space:
    space = await space_with_member(services, alice.id)
    await change_member(services.spaces, space.id, alice.id, role="admin")
    return space


async def test_a_remembered_space_token_is_still_worth_only_what_its_user_may_do_seed_001(
    http: httpx.AsyncClient,
    services: Services,
    reg: Registered,
    acme: Space,
    alice: User,
    other_process: SqlSpaceStore,
) -> None:
    """The membership changes elsewhere (another process), and this process's memberships
    are read afresh while its token rows stay cached: the memo answers, and the live
    permissions still narrow it."""
    token = (await password_tokens(http, reg, "/spaces/acme/oauth/token"))["access_token"]
    for _ in range(2):
        assert (await me(http, token)).json()["scope"] == "admin read write"
    await change_member(other_process, acme.id, alice.id, revoked_scopes=frozenset({"admin"}))
    services.spaces.forget()  # what the memberships' cache expiry does
    assert (await me(http, token)).json()["scope"] == "read write"
    await other_process.remove_member(acme.id, alice.id)
    services.spaces.forget()
    assert (await me(http, token)).status_code == 401


# --------------------------------------------------------------- client credentials


async def test_remembered_credentials_stop_working_when_the_secret_is_rotated(
    http: httpx.AsyncClient, services: Services, reg: Registered
) -> None:
    token = await remembered_token(http, services, reg)
    old = client_auth(reg)
    for _ in range(2):
        assert (await introspect(http, old, token)).json()["active"] is True
    assert len(services.authenticator.proven) == 1
    secret = await services.registry.rotate_secret(reg.client.client_id)
    r = await introspect(http, old, token)
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"
    assert (await introspect(http, (reg.client.client_id, secret), token)).status_code == 200


async def test_concurrent_introspections_during_a_secret_rotation_end_with_the_new_secret(
    http: httpx.AsyncClient, services: Services, reg: Registered
) -> None:
    """Requests racing the rotation may go either way; every one after it is refused with
    the old secret, however many were answered from the memo before."""
    token = await remembered_token(http, services, reg)
    old = client_auth(reg)
    for _ in range(2):
        assert (await introspect(http, old, token)).status_code == 200
    racing = [introspect(http, old, token) for _ in range(20)]
    *answers, secret = await asyncio.gather(
        *racing, services.registry.rotate_secret(reg.client.client_id)
    )
    assert {r.status_code for r in answers} <= {200, 401}
    after = await asyncio.gather(*[introspect(http, old, token) for _ in range(20)])
    assert {r.status_code for r in after} == {401}
    new = (reg.client.client_id, secret)
    fresh = await asyncio.gather(*[introspect(http, new, token) for _ in range(20)])
    assert {r.status_code for r in fresh} == {200}


async def test_remembered_credentials_stop_working_when_the_client_is_deleted(
    http: httpx.AsyncClient, services: Services, reg: Registered
) -> None:
    auth = client_auth(reg)
    for _ in range(2):
        r = await http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=auth)
        assert r.status_code == 200
    await services.registry.delete(reg.client.client_id)
    r = await http.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=auth)
    assert r.status_code == 401


async def test_remembered_credentials_do_not_excuse_a_second_method_rfc6749_2_3(
    http: httpx.AsyncClient, services: Services, reg: Registered, make: Factory
) -> None:
    """§2.3: one method per request, and a body's client_id must be the Basic one's."""
    token = await remembered_token(http, services, reg)
    auth = client_auth(reg)
    for _ in range(2):
        assert (await introspect(http, auth, token)).status_code == 200
    assert reg.client_secret is not None
    r = await introspect(http, auth, token, client_secret=reg.client_secret)
    assert (r.status_code, r.json()["error"]) == (400, "invalid_request")
    other = await make.client()
    r = await introspect(http, auth, token, client_id=other.client.client_id)
    assert (r.status_code, r.json()["error"]) == (401, "invalid_client")
    r = await introspect(http, auth, token, client_id=reg.client.client_id)
    assert r.status_code == 200


async def test_wrong_secrets_are_never_remembered(
    http: httpx.AsyncClient, services: Services, reg: Registered
) -> None:
    token = (await password_tokens(http, reg))["access_token"]
    before = len(services.authenticator.proven)
    for n in range(10):
        r = await introspect(http, (reg.client.client_id, f"wrong-{n}"), token)
        assert r.status_code == 401
    assert len(services.authenticator.proven) == before


# --------------------------------------------------------------- another worker


@asynccontextmanager
async def worker(settings: Settings, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


class TestAnotherWorker:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"token_cache_seconds": 0.3, "client_cache_seconds": 0.3}

    async def test_its_memo_ends_with_its_cache_entry(
        self, http: httpx.AsyncClient, reg: Registered, settings: Settings, clock: Clock
    ) -> None:
        """Without Redis, another worker accepts a revoked token for token_cache_seconds
        (the documented bound), and not one request after: its memo lives no longer."""
        token = (await password_tokens(http, reg))["access_token"]
        async with worker(settings, clock) as other:
            for _ in range(3):
                assert (await me(other, token)).status_code == 200
            r = await http.post("/oauth/revoke", data={"token": token}, auth=client_auth(reg))
            assert r.status_code == 200
            await asyncio.sleep(0.4)
            assert (await me(other, token)).status_code == 401


class TestClientsCachedShorterThanTokens:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"token_cache_seconds": 60, "client_cache_seconds": 0.3}

    async def test_a_scope_the_client_lost_elsewhere_is_lost_within_client_cache_seconds(
        self,
        http: httpx.AsyncClient,
        services: Services,
        reg: Registered,
        settings: Settings,
        clock: Clock,
    ) -> None:
        """The other worker's token row stays cached for a minute, its client for 0.3 s:
        the memo ends with the client's cache entry, not the token's."""
        token = (await password_tokens(http, reg))["access_token"]
        async with worker(settings, clock) as other:
            for _ in range(3):
                assert (await me(other, token)).json()["scope"] == "admin read write"
            await services.registry.update(reg.client.client_id, scopes=["read"])
            await asyncio.sleep(0.4)
            assert (await me(other, token)).json()["scope"] == "read"


class TestCachesOff:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"token_cache_seconds": 0, "client_cache_seconds": 0}

    async def test_nothing_is_answered_from_a_memo(
        self, http: httpx.AsyncClient, services: Services, reg: Registered, settings: Settings
    ) -> None:
        """With the caches off every check reads the database: another worker's revocation
        counts at once."""
        token = (await password_tokens(http, reg))["access_token"]
        async with worker(settings, Clock()) as other:
            for _ in range(3):
                assert (await me(http, token)).status_code == 200
            r = await other.post("/oauth/revoke", data={"token": token}, auth=client_auth(reg))
            assert r.status_code == 200
            assert (await me(http, token)).status_code == 401


def test_a_memo_is_bounded() -> None:
    memo: ProvenMemo[int] = ProvenMemo(2)
    for n, key in enumerate((b"a", b"b", b"c")):
        memo.remember(key, n)
    assert len(memo) == 1 and memo.recall(b"c") == 2 and memo.recall(b"a") is None
