"""``OAuth2Auth`` on httpx clients calling a real authgate's API (``/api/me``): refresh
before expiry and on ``401 invalid_token`` with rotation and the store callback (seed
003), one refresh for concurrent requests, and ``429`` waited out (seed 001) against the
real rate limiter."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.e2e.profile_support import ProfileServer, serve_profile

from authgate_client import AsyncClient, Client, InvalidGrant, RetryPolicy, Token
from sdk_support import MEMBER, PASSWORD, register, sign_in

pytestmark = pytest.mark.e2e

REQUESTS = 8


def client_for(server: ProfileServer, app: dict[str, Any]) -> Client:
    return Client(server.url, client_id=app["client_id"], client_secret=app["client_secret"])


def expired(token: Token) -> Token:
    """The same token as an app that stored it an hour ago sees it: expired."""
    return dataclasses.replace(token, expires_at=time.time() - 1)


class Store:
    """The app's token store: what the callback was handed, in order."""

    def __init__(self) -> None:
        self.saved: list[Token] = []
        self._lock = threading.Lock()

    def __call__(self, token: Token) -> None:
        with self._lock:
            self.saved.append(token)


def test_expired_token_is_refreshed_before_the_request_and_stored(
    root: ProfileServer, app: Any
) -> None:
    store = Store()
    with client_for(root, app) as client:
        first = client.password(MEMBER, PASSWORD, "read")
        auth = client.auth(expired(first), on_token=store)
        with httpx.Client(base_url=root.url, auth=auth) as api:
            assert api.get("/api/me").json()["email"] == MEMBER
            assert api.get("/api/me").status_code == 200  # the new token is still fresh
            assert len(store.saved) == 1
            (second,) = store.saved
            assert second.refresh_token not in (None, first.refresh_token)
            assert auth.token is second

            # Rotation again: each refresh hands on a new pair, never the old one.
            auth_again = client.auth(expired(second), on_token=store)
            assert api.get("/api/me", auth=auth_again).status_code == 200
            assert len({t.refresh_token for t in [first, *store.saved]}) == 3

        # seed 003: the refresh token of an earlier pair no longer works.
        with pytest.raises(InvalidGrant):
            client.refresh(second)


def test_concurrent_requests_in_threads_refresh_once(root: ProfileServer, app: Any) -> None:
    store = Store()
    with client_for(root, app) as client:
        auth = client.auth(expired(client.password(MEMBER, PASSWORD, "read")), on_token=store)
        statuses: list[int] = []
        with httpx.Client(base_url=root.url, auth=auth) as api:
            start = threading.Barrier(REQUESTS)

            def call() -> None:
                start.wait()
                statuses.append(api.get("/api/me").status_code)

            threads = [threading.Thread(target=call) for _ in range(REQUESTS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
    assert statuses == [200] * REQUESTS
    assert len(store.saved) == 1


async def test_concurrent_requests_in_asyncio_refresh_once_with_an_async_store(
    root: ProfileServer, app: Any
) -> None:
    saved: list[Token] = []

    async def save(token: Token) -> None:
        await asyncio.sleep(0.01)  # a database write
        saved.append(token)

    async with AsyncClient(
        root.url, client_id=app["client_id"], client_secret=app["client_secret"]
    ) as client:
        token = await client.password(MEMBER, PASSWORD, "read")
        auth = client.auth(expired(token), on_token=save)
        async with httpx.AsyncClient(base_url=root.url, auth=auth) as api:
            answers = await asyncio.gather(*(api.get("/api/me") for _ in range(REQUESTS)))
    assert [a.status_code for a in answers] == [200] * REQUESTS
    assert len(saved) == 1 and auth.token is saved[0]


def test_a_failed_refresh_is_raised_typed(root: ProfileServer, app: Any) -> None:
    with client_for(root, app) as client:
        token = client.password(MEMBER, PASSWORD, "read")
        assert token.refresh_token
        client.revoke(token.refresh_token)
        with (
            httpx.Client(base_url=root.url, auth=client.auth(expired(token))) as api,
            pytest.raises(InvalidGrant),
        ):
            api.get("/api/me")


def test_client_credentials_auth_fetches_one_token_for_many_requests(
    root: ProfileServer, app: Any
) -> None:
    store = Store()
    with client_for(root, app) as client:
        auth = client.client_credentials_auth("read", on_token=store)
        with httpx.Client(base_url=root.url, auth=auth) as api:
            for _ in range(3):
                me = api.get("/api/me")
                assert me.status_code == 200 and me.json()["type"] == "client"
    assert len(store.saved) == 1


def test_redbooth_expired_token_is_refreshed_once_on_401_and_retried(
    redbooth: ProfileServer,
) -> None:
    """Seed 003: a call with an expired access token gets ``401`` and ``WWW-Authenticate:
    Bearer realm="Doorkeeper", error="invalid_token", error_description="The access token
    expired"``; the app refreshes and stores the new pair. Concurrent calls refresh once."""
    app = register(redbooth, "authorization_code", token_lifetime="1")
    store = Store()
    with client_for(redbooth, app) as client:
        request = client.authorization_url(app["redirect_uri"], "read")
        callback = sign_in(redbooth, request.url, app["redirect_uri"])
        token = client.exchange_code(request, callback)
        # The refreshed tokens must outlive the test on a busy machine: only the first one
        # is short (the server's client cache takes up to 2 s to see the change).
        redbooth.cli("client", "update", app["client_id"], "--token-lifetime", "3600")
        time.sleep(2.5)
        # The app believes the token is good for an hour (clocks differ, lifetimes change).
        believed = dataclasses.replace(token, expires_at=time.time() + 3600)
        auth = client.auth(believed, on_token=store)
        answers: list[httpx.Response] = []
        with httpx.Client(base_url=redbooth.url, auth=auth) as api:
            start = threading.Barrier(4)

            def call() -> None:
                start.wait()
                answers.append(api.get("/api/me"))

            threads = [threading.Thread(target=call) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
    assert [a.status_code for a in answers] == [200] * 4
    assert len(store.saved) == 1
    refused = answers[0].history[0]
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == (
        'Bearer realm="Doorkeeper", error="invalid_token", '
        'error_description="The access token expired"'
    )


# -- 429 against the real rate limiter ----------------------------------------------------


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProfileServer]:
    for server in serve_profile("default", tmp_path_factory, api_rate_limit="3/second"):
        server.user(MEMBER, "Member Person")
        yield server


def test_429_waits_retry_after_and_retries_idempotent_requests(limited: ProfileServer) -> None:
    app = register(limited, "password")
    with client_for(limited, app) as client:
        token = client.password(MEMBER, PASSWORD, "read write")
        auth = client.auth(token)
        with httpx.Client(base_url=limited.url, auth=auth) as api:
            started = time.monotonic()
            answers = [api.get("/api/me") for _ in range(6)]
            took = time.monotonic() - started
            assert [a.status_code for a in answers] == [200] * 6
            waited = [r for a in answers for r in a.history if r.status_code == 429]
            assert waited, "the limit of 3 a second was never reached"
            assert all(int(r.headers["retry-after"]) >= 1 for r in waited)
            assert took >= 1.0

            # A wait longer than the policy allows, or no retries: the 429 is the answer.
            impatient = client.auth(token, retry=RetryPolicy(max_retries=0))
            answers = [api.get("/api/me", auth=impatient) for _ in range(4)]
            assert 429 in [a.status_code for a in answers]
            refused = next(a for a in answers if a.status_code == 429)
            assert refused.json()["error"] and refused.headers["retry-after"]
