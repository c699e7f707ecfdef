"""``Client`` and ``AsyncClient``: the same methods, one sync, one async, both running
the flows of :mod:`authgate_client._core` (written once) over an httpx client."""

from __future__ import annotations

import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from authgate_client._core import AuthMethod, Clock, Introspection, OAuthCore
from authgate_client._sansio import AsyncIO, Flow, SyncIO, run_async, run_sync
from authgate_client.auth import OAuth2Auth, TokenSaver
from authgate_client.authorization import AuthorizationRequest
from authgate_client.metadata import ServerMetadata
from authgate_client.retry import RetryPolicy
from authgate_client.tokens import Token

DEFAULT_TIMEOUT = 10.0
T = TypeVar("T")


class _Common:
    """What both clients share: the configuration, the caches and the auth factories."""

    def __init__(
        self,
        issuer: str | None = None,
        *,
        client_id: str,
        client_secret: str | None = None,
        metadata: ServerMetadata | None = None,
        auth_method: AuthMethod | None = None,
        retry: RetryPolicy | None = None,
        leeway: float = 60.0,
        jwks_refetch_seconds: float = 30.0,
        clock: Clock = time.time,
    ) -> None:
        self._core = OAuthCore(
            client_id=client_id,
            client_secret=client_secret,
            issuer=issuer,
            metadata=metadata,
            auth_method=auth_method,
            retry=retry,
            leeway=leeway,
            jwks_refetch_seconds=jwks_refetch_seconds,
            clock=clock,
        )

    @property
    def client_id(self) -> str:
        return self._core.client_id

    @property
    def issuer(self) -> str | None:
        """The issuer URL given (discovery's base), ``None`` with explicit metadata only."""
        return self._core.issuer

    def auth(
        self,
        token: Token,
        *,
        on_token: TokenSaver | None = None,
        refresh_leeway: float = 30.0,
        retry: RetryPolicy | None = None,
    ) -> OAuth2Auth:
        """An ``httpx.Auth`` carrying a user's ``token``: refreshed ``refresh_leeway``
        seconds before it expires and on ``401 invalid_token`` (once per request), each
        new token passed to ``on_token`` (store it: the old refresh token no longer
        works), ``429`` waited out under ``retry``. Use it on any httpx client:
        ``httpx.Client(auth=client.auth(token, on_token=save))``."""
        return OAuth2Auth(
            self._core,
            token,
            on_token=on_token,
            refresh_leeway=refresh_leeway,
            retry=retry,
        )

    def client_credentials_auth(
        self,
        scope: str | None = None,
        *,
        token: Token | None = None,
        on_token: TokenSaver | None = None,
        refresh_leeway: float = 30.0,
        retry: RetryPolicy | None = None,
    ) -> OAuth2Auth:
        """An ``httpx.Auth`` for the app acting for itself: a client-credentials token,
        fetched at the first request and again before it expires or when refused."""
        return OAuth2Auth(
            self._core,
            token,
            renewal="client_credentials",
            scope=scope,
            on_token=on_token,
            refresh_leeway=refresh_leeway,
            retry=retry,
        )


class Client(_Common):
    """The OAuth 2.0 / OpenID Connect client of one app at one issuer (sync).

    ``issuer`` is the root issuer (``https://auth.example.com``) or a space's
    (``https://auth.example.com/spaces/acme``); its discovery document names the
    endpoints. For a server without one, give ``metadata=ServerMetadata(token_endpoint=...)``
    (alone, or beside ``issuer`` as the fallback when its document is missing).
    ``http``: an ``httpx.Client`` of your own (proxies, certificates); closed only if
    this client made it.
    """

    def __init__(
        self,
        issuer: str | None = None,
        *,
        client_id: str,
        client_secret: str | None = None,
        metadata: ServerMetadata | None = None,
        auth_method: AuthMethod | None = None,
        retry: RetryPolicy | None = None,
        leeway: float = 60.0,
        jwks_refetch_seconds: float = 30.0,
        http: httpx.Client | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Clock = time.time,
    ) -> None:
        super().__init__(
            issuer,
            client_id=client_id,
            client_secret=client_secret,
            metadata=metadata,
            auth_method=auth_method,
            retry=retry,
            leeway=leeway,
            jwks_refetch_seconds=jwks_refetch_seconds,
            clock=clock,
        )
        self._own_http = http is None
        self._http = http or httpx.Client(timeout=timeout)
        self._io = SyncIO()

    def _run(self, flow: Flow[T]) -> T:
        return run_sync(flow, self._http.send, self._io)

    def close(self) -> None:
        if self._own_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def metadata(self) -> ServerMetadata:
        """The issuer's endpoints (discovered once, then cached)."""
        return self._run(self._core.metadata())

    def authorization_url(
        self,
        redirect_uri: str,
        scope: str | None = None,
        *,
        response_type: str = "code",
        state: str | None = None,
        nonce: str | None = None,
        **params: str,
    ) -> AuthorizationRequest:
        """A new authorization request: send the user to its ``url``, keep the rest for
        the callback. ``params``: more parameters (``prompt="login"``, ``login_hint``)."""
        return self._run(
            self._core.authorization_request(
                redirect_uri,
                scope,
                response_type=response_type,
                state=state,
                nonce=nonce,
                extra=params,
            )
        )

    def exchange_code(
        self, request: AuthorizationRequest, callback: str | Mapping[str, str]
    ) -> Token:
        """Check the redirect back (``state``, ``iss``, errors) and exchange its code.
        ``callback``: the URL the browser came back to, or its parsed parameters."""
        return self._run(self._core.authorization_code(request, callback))

    def parse_implicit_response(
        self, request: AuthorizationRequest, callback: str | Mapping[str, str]
    ) -> Token:
        """The implicit flow's token, from the redirect URL's fragment, after the same
        checks (and the id token's, for ``id_token token``)."""
        return self._run(self._core.implicit(request, callback))

    def client_credentials(self, scope: str | None = None) -> Token:
        """The app's own token (RFC 6749 §4.4)."""
        return self._run(self._core.client_credentials(scope))

    def password(self, username: str, password: str, scope: str | None = None) -> Token:
        """RFC 6749 §4.3, for first-party apps registered for it."""
        return self._run(self._core.password(username, password, scope))

    def refresh(self, refresh_token: str | Token, scope: str | None = None) -> Token:
        """A new token pair. Store the answer's refresh token: the one sent is revoked."""
        return self._run(self._core.refresh(_refresh_token(refresh_token), scope))

    def exchange_token(
        self,
        subject_token: str | Token,
        *,
        resource: str | None = None,
        audience: str | None = None,
        scope: str | None = None,
    ) -> Token:
        """RFC 8693 token exchange: with authgate, a token bound to the space that
        ``resource`` (its issuer URL) or ``audience`` (its slug) names."""
        value = _access_token(subject_token)
        return self._run(
            self._core.token_exchange(value, resource=resource, audience=audience, scope=scope)
        )

    def validate_id_token(
        self, id_token: str, *, nonce: str | None = None, access_token: str | None = None
    ) -> dict[str, Any]:
        """The claims of a valid id token (signature by the issuer's keys, ``iss``,
        ``aud``, ``exp``, ``nonce``, ``at_hash``); :class:`InvalidIdToken` otherwise."""
        return self._run(
            self._core.id_token_claims(id_token, nonce=nonce, access_token=access_token)
        )

    def userinfo(self, access_token: str | Token) -> dict[str, Any]:
        value = _access_token(access_token)
        return self._run(self._core.userinfo(value))

    def revoke(self, token: str, token_type_hint: str | None = None) -> None:
        """RFC 7009. Revoking a refresh token revokes its whole grant."""
        self._run(self._core.revoke(token, token_type_hint))

    def introspect(self, token: str, token_type_hint: str | None = None) -> Introspection:
        """RFC 7662, for a resource server's client (or a client's own tokens)."""
        return self._run(self._core.introspect(token, token_type_hint))


class AsyncClient(_Common):
    """:class:`Client`, async: the same arguments (``http`` is an ``httpx.AsyncClient``)
    and methods, awaited."""

    def __init__(
        self,
        issuer: str | None = None,
        *,
        client_id: str,
        client_secret: str | None = None,
        metadata: ServerMetadata | None = None,
        auth_method: AuthMethod | None = None,
        retry: RetryPolicy | None = None,
        leeway: float = 60.0,
        jwks_refetch_seconds: float = 30.0,
        http: httpx.AsyncClient | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        clock: Clock = time.time,
    ) -> None:
        super().__init__(
            issuer,
            client_id=client_id,
            client_secret=client_secret,
            metadata=metadata,
            auth_method=auth_method,
            retry=retry,
            leeway=leeway,
            jwks_refetch_seconds=jwks_refetch_seconds,
            clock=clock,
        )
        self._own_http = http is None
        self._http = http or httpx.AsyncClient(timeout=timeout)
        self._io = AsyncIO()

    async def _run(self, flow: Flow[T]) -> T:
        return await run_async(flow, self._http.send, self._io)

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def metadata(self) -> ServerMetadata:
        return await self._run(self._core.metadata())

    async def authorization_url(
        self,
        redirect_uri: str,
        scope: str | None = None,
        *,
        response_type: str = "code",
        state: str | None = None,
        nonce: str | None = None,
        **params: str,
    ) -> AuthorizationRequest:
        return await self._run(
            self._core.authorization_request(
                redirect_uri,
                scope,
                response_type=response_type,
                state=state,
                nonce=nonce,
                extra=params,
            )
        )

    async def exchange_code(
        self, request: AuthorizationRequest, callback: str | Mapping[str, str]
    ) -> Token:
        return await self._run(self._core.authorization_code(request, callback))

    async def parse_implicit_response(
        self, request: AuthorizationRequest, callback: str | Mapping[str, str]
    ) -> Token:
        return await self._run(self._core.implicit(request, callback))

    async def client_credentials(self, scope: str | None = None) -> Token:
        return await self._run(self._core.client_credentials(scope))

    async def password(self, username: str, password: str, scope: str | None = None) -> Token:
        return await self._run(self._core.password(username, password, scope))

    async def refresh(self, refresh_token: str | Token, scope: str | None = None) -> Token:
        return await self._run(self._core.refresh(_refresh_token(refresh_token), scope))

    async def exchange_token(
        self,
        subject_token: str | Token,
        *,
        resource: str | None = None,
        audience: str | None = None,
        scope: str | None = None,
    ) -> Token:
        value = _access_token(subject_token)
        return await self._run(
            self._core.token_exchange(value, resource=resource, audience=audience, scope=scope)
        )

    async def validate_id_token(
        self, id_token: str, *, nonce: str | None = None, access_token: str | None = None
    ) -> dict[str, Any]:
        return await self._run(
            self._core.id_token_claims(id_token, nonce=nonce, access_token=access_token)
        )

    async def userinfo(self, access_token: str | Token) -> dict[str, Any]:
        value = _access_token(access_token)
        return await self._run(self._core.userinfo(value))

    async def revoke(self, token: str, token_type_hint: str | None = None) -> None:
        await self._run(self._core.revoke(token, token_type_hint))

    async def introspect(self, token: str, token_type_hint: str | None = None) -> Introspection:
        return await self._run(self._core.introspect(token, token_type_hint))


def _access_token(token: str | Token) -> str:
    return token.access_token if isinstance(token, Token) else token


def _refresh_token(token: str | Token) -> str:
    value = token.refresh_token if isinstance(token, Token) else token
    if not value:
        raise ValueError("this token has no refresh token")
    return value
