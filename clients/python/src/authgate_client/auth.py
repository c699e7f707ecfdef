"""``httpx.Auth`` for a platform's API: the bearer token (RFC 6750 §2.1), renewed before
it expires or when the API answers ``401 invalid_token`` (seed 003: "The access token
expired"), once per request, with each new token handed to the app's store callback
(seed 003: "update the stored Refresh Token every time"), and ``429`` waited out.

The flow is written once (:meth:`OAuth2Auth.flow`); httpx runs it through
:meth:`~OAuth2Auth.sync_auth_flow` in a ``httpx.Client`` and through
:meth:`~OAuth2Auth.async_auth_flow` in a ``httpx.AsyncClient``, which add a thread lock
or an async lock around the renewal so that concurrent requests renew once.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from typing import Literal

import httpx

from authgate_client._core import OAuthCore
from authgate_client._sansio import (
    AsyncIO,
    Exclusive,
    Flow,
    Outcome,
    Save,
    Sleep,
    SyncIO,
    drive_async,
    drive_sync,
)
from authgate_client.errors import bearer_challenge
from authgate_client.retry import RetryPolicy
from authgate_client.tokens import Token

#: what the app's store callback may be: ``save(token)``, or ``async def save(token)``
#: with an ``AsyncClient``
TokenSaver = Callable[[Token], Awaitable[None] | None]
Renewal = Literal["refresh_token", "client_credentials"]


def is_invalid_token(response: httpx.Response) -> bool:
    """RFC 6750 §3.1: a ``401`` whose ``Bearer`` challenge says ``invalid_token``."""
    if response.status_code != 401:
        return False
    return (
        bearer_challenge(response.headers.get("www-authenticate")).get("error") == "invalid_token"
    )


class OAuth2Auth(httpx.Auth):
    """Made by :meth:`Client.auth <authgate_client.Client.auth>` (a user's token, renewed
    with its refresh token) or :meth:`Client.client_credentials_auth
    <authgate_client.Client.client_credentials_auth>` (the app's own token, fetched again).

    A renewal that fails raises its :class:`~authgate_client.OAuthError` from the
    request (``InvalidGrant``: the refresh token is gone, the user must sign in again).
    """

    requires_request_body = True  # a request retried after a refresh is sent again whole

    def __init__(
        self,
        core: OAuthCore,
        token: Token | None,
        *,
        renewal: Renewal = "refresh_token",
        scope: str | None = None,
        on_token: TokenSaver | None = None,
        retry: RetryPolicy | None = None,
        refresh_leeway: float = 30.0,
    ) -> None:
        self._core = core
        self._token = token
        self._renewal = renewal
        self._scope = scope
        self._retry = retry or core.retry
        self._leeway = refresh_leeway
        self._sync_io = SyncIO(save=None if on_token is None else _sync_saver(on_token))
        self._async_io = AsyncIO(save=on_token)

    @property
    def token(self) -> Token | None:
        """The token the next request will carry."""
        return self._token

    # -- the flow, sans-I/O ---------------------------------------------------------

    def _renewable(self, token: Token | None) -> bool:
        if self._renewal == "client_credentials":
            return True
        return token is not None and token.refresh_token is not None

    def _renew(self, used: Token | None) -> Flow[Token]:
        """Runs holding the lock. If another request renewed the token meanwhile, use
        its token: one refresh for many concurrent requests."""
        current = self._token
        if current is not None and current is not used:
            return current
        if self._renewal == "client_credentials":
            new = yield from self._core.client_credentials(self._scope)
        else:
            assert used is not None and used.refresh_token is not None
            new = yield from self._core.refresh(used.refresh_token)
        self._token = new
        yield Save(new)
        return new

    def flow(self, request: httpx.Request) -> Flow[None]:
        token = self._token
        if token is None or (
            token.is_expired(self._leeway, now=self._core.clock()) and self._renewable(token)
        ):
            token = yield Exclusive(self._renew(token))
        assert token is not None
        request.headers["authorization"] = f"Bearer {token.access_token}"
        response = yield request
        renewed, retries = False, 0
        while True:
            if not renewed and is_invalid_token(response) and self._renewable(token):
                renewed = True
                token = yield Exclusive(self._renew(token))
                request.headers["authorization"] = f"Bearer {token.access_token}"
            else:
                delay = self._retry.delay(response, retries)
                if delay is None:
                    return
                retries += 1
                yield Sleep(delay)
            response = yield request

    # -- httpx's drivers ------------------------------------------------------------

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        if self.requires_request_body:
            request.read()
        yield from drive_sync(self.flow(request), self._sync_io)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if self.requires_request_body:
            await request.aread()
        driver = drive_async(self.flow(request), self._async_io, Outcome())
        try:
            sent = await driver.__anext__()
            while True:
                response = yield sent
                sent = await driver.asend(response)
        except StopAsyncIteration:
            return
        finally:
            await driver.aclose()


def _sync_saver(save: TokenSaver) -> Callable[[Token], None]:
    def call(token: Token) -> None:
        result = save(token)
        if inspect.isawaitable(result):
            close = getattr(result, "close", None)
            if callable(close):
                close()
            raise TypeError("an async token store callback needs an httpx.AsyncClient")

    return call
