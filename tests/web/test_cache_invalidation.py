"""A revocation reaches every worker at once when Redis is configured: two apps (two
workers) on one database and one Redis, both caching for a minute; what one revokes, the
other refuses as soon as the message has arrived. Without Redis, ``token_cache_seconds``
bounds how long another worker may still accept it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from authgate.services import Services
from authgate.settings import Settings
from authgate.web.app import create_app
from tests.conftest import Clock, Factory
from tests.redis_support import RedisServer, fresh_namespace, redis_url_or_skip
from tests.web.rate_limit_support import bearer
from tests.web.token_support import client_auth, password_tokens

CACHE_FOR_A_MINUTE = {"token_cache_seconds": 60, "client_cache_seconds": 60}


@asynccontextmanager
async def worker(
    settings: Settings, clock: Clock
) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
    """Another worker of the same deployment: its own app, caches and subscription."""
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        services: Services = app.state.services
        if services.invalidation.shared:
            await asyncio.wait_for(services.invalidation.subscribed.wait(), 10)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http, services


async def dropped(services: Services) -> asyncio.Event:
    """Set when ``services``' caches are next dropped."""
    event = asyncio.Event()
    services.invalidation.register(event.set)
    return event


async def arrives(event: asyncio.Event) -> None:
    await asyncio.wait_for(event.wait(), 10)


@pytest.mark.redis
class TestWithRedis:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {
            "redis_url": redis_url_or_skip(),
            "redis_namespace": fresh_namespace(),
            **CACHE_FOR_A_MINUTE,
        }

    async def test_a_revoked_access_token_is_refused_by_the_other_worker(
        self, http: httpx.AsyncClient, make: Factory, settings: Settings, clock: Clock
    ) -> None:
        await make.user()
        reg = await make.client(grant_types=["password"])
        tokens = await password_tokens(http, reg)
        async with worker(settings, clock) as (other, other_services):
            assert (
                await other.get("/api/me", headers=bearer(tokens["access_token"]))
            ).status_code == 200
            done = await dropped(other_services)
            r = await http.post(
                "/oauth/revoke", data={"token": tokens["access_token"]}, auth=client_auth(reg)
            )
            assert r.status_code == 200
            await arrives(done)
            r = await other.get("/api/me", headers=bearer(tokens["access_token"]))
            assert (
                r.status_code == 401
                and r.json()["error_description"] == "The access token was revoked"
            )

    async def test_a_family_revoked_on_refresh_token_reuse_is_refused_by_the_other_worker(
        self, http: httpx.AsyncClient, make: Factory, settings: Settings, clock: Clock
    ) -> None:
        await make.user()
        reg = await make.client(grant_types=["password", "refresh_token"])
        tokens = await password_tokens(http, reg)
        refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        async with worker(settings, clock) as (other, other_services):
            assert (
                await other.get("/api/me", headers=bearer(tokens["access_token"]))
            ).status_code == 200
            assert (
                await http.post("/oauth/token", data=refresh, auth=client_auth(reg))
            ).status_code == 200
            done = await dropped(other_services)
            reuse = await http.post("/oauth/token", data=refresh, auth=client_auth(reg))
            assert reuse.json()["error"] == "invalid_grant"
            await arrives(done)
            assert (
                await other.get("/api/me", headers=bearer(tokens["access_token"]))
            ).status_code == 401

    async def test_a_deleted_client_and_a_rotated_secret_reach_the_other_worker(
        self,
        http: httpx.AsyncClient,
        make: Factory,
        services: Services,
        settings: Settings,
        clock: Clock,
    ) -> None:
        doomed, rotated = await make.client(), await make.client()
        cc = {"grant_type": "client_credentials"}
        token = (await http.post("/oauth/token", data=cc, auth=client_auth(doomed))).json()
        async with worker(settings, clock) as (other, other_services):
            assert (
                await other.get("/api/me", headers=bearer(token["access_token"]))
            ).status_code == 200
            assert (
                await other.post("/oauth/token", data=cc, auth=client_auth(rotated))
            ).status_code == 200
            done = await dropped(other_services)
            await services.registry.delete(doomed.client.client_id)
            await arrives(done)
            assert (
                await other.get("/api/me", headers=bearer(token["access_token"]))
            ).status_code == 401
            done = await dropped(other_services)
            await services.registry.rotate_secret(rotated.client.client_id)
            await arrives(done)
            r = await other.post("/oauth/token", data=cc, auth=client_auth(rotated))
            assert r.status_code == 401 and r.json()["error"] == "invalid_client"

    async def test_any_registered_cache_is_dropped_on_every_worker(
        self, services: Services, settings: Settings, clock: Clock
    ) -> None:
        """The registry other caches (a membership cache, say) join at the composition root."""
        async with worker(settings, clock) as (_, other_services):
            membership_cache = {"alice": "admin"}
            other_services.invalidation.register(membership_cache.clear)
            done = await dropped(other_services)
            await services.invalidation.changed()
            await arrives(done)
            assert membership_cache == {}

    async def test_a_worker_does_not_drop_its_caches_twice_for_its_own_change(
        self, services: Services
    ) -> None:
        invalidation = services.invalidation
        await asyncio.wait_for(invalidation.subscribed.wait(), 10)
        calls: list[int] = []
        invalidation.register(lambda: calls.append(1))
        await invalidation.changed()  # dropped here at once; its echo is ignored
        assert calls == [1]
        # Messages arrive in order: once another sender's has, ours was seen (and ignored).
        done = await dropped(services)
        await services.redis.publish(invalidation.channel, b"another-worker")
        await arrives(done)
        assert calls == [1, 1]


@pytest.mark.redis
class TestRedisRestarts:
    @pytest.fixture
    def redis_server(self, tmp_path: Path) -> Iterator[RedisServer]:
        server = RedisServer(tmp_path)
        server.start()
        yield server
        server.stop()

    @pytest.fixture
    def settings_overrides(self, redis_server: RedisServer) -> dict[str, Any]:
        return {"redis_url": redis_server.url, **CACHE_FOR_A_MINUTE}

    async def test_the_listener_reconnects_and_starts_from_empty_caches(
        self, services: Services, redis_server: RedisServer, settings: Settings, clock: Clock
    ) -> None:
        async with worker(settings, clock) as (_, other_services):
            listener = other_services.invalidation
            redis_server.stop()
            await services.invalidation.changed()  # lost: nobody can hear it; no error either
            redis_server.start()
            done = await dropped(other_services)
            # Back on the channel, it drops everything: it may have missed messages.
            await arrives(done)
            await asyncio.wait_for(listener.subscribed.wait(), 10)
            done = await dropped(other_services)
            await services.invalidation.changed()
            await arrives(done)


class TestWithoutRedis:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return CACHE_FOR_A_MINUTE

    async def test_a_change_drops_this_workers_caches_at_once(
        self, http: httpx.AsyncClient, make: Factory, services: Services
    ) -> None:
        await make.user()
        reg = await make.client(grant_types=["password"])
        tokens = await password_tokens(http, reg)
        assert (
            await http.get("/api/me", headers=bearer(tokens["access_token"]))
        ).status_code == 200
        done = await dropped(services)
        await http.post(
            "/oauth/revoke", data={"token": tokens["access_token"]}, auth=client_auth(reg)
        )
        assert done.is_set()
        assert (
            await http.get("/api/me", headers=bearer(tokens["access_token"]))
        ).status_code == 401

    async def test_other_workers_keep_their_copy_within_token_cache_seconds(
        self, http: httpx.AsyncClient, make: Factory, settings: Settings, clock: Clock
    ) -> None:
        await make.user()
        reg = await make.client(grant_types=["password"])
        tokens = await password_tokens(http, reg)
        async with worker(settings, clock) as (other, _):
            assert (
                await other.get("/api/me", headers=bearer(tokens["access_token"]))
            ).status_code == 200
            await http.post(
                "/oauth/revoke", data={"token": tokens["access_token"]}, auth=client_auth(reg)
            )
            # The documented bound, not a bug: no channel tells this worker.
            assert (
                await other.get("/api/me", headers=bearer(tokens["access_token"]))
            ).status_code == 200


@pytest.mark.redis
async def test_the_listener_stops_however_early_it_is_asked_to() -> None:
    """A cancellation that lands while redis-py connects can be lost; stop() still ends it."""
    from authgate.invalidation import Invalidation
    from authgate.redis_pool import connect

    redis = connect(redis_url_or_skip())
    try:
        for i in range(40):
            invalidation = Invalidation(redis, fresh_namespace())
            listener = asyncio.create_task(invalidation.listen())
            await asyncio.sleep((i % 8) * 0.001)
            await asyncio.wait_for(invalidation.stop(listener), 5)
            assert listener.done()
    finally:
        await redis.aclose()
