"""Every flow of the client, written once, sans-I/O (see :mod:`authgate_client._sansio`):
discovery, the grants, the key set, id token checks, UserInfo, revocation and
introspection. :class:`~authgate_client.Client` and :class:`~authgate_client.AsyncClient`
only run these generators.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal
from urllib.parse import quote

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from authgate_client._sansio import Fetch, Flow, Sleep, done
from authgate_client.authorization import (
    AuthorizationRequest,
    build_authorization_request,
    code_from_callback,
    token_from_fragment,
)
from authgate_client.errors import DiscoveryError, OAuthError, ResponseError
from authgate_client.id_token import IdTokenCheck, KeyNotFound, validate_id_token
from authgate_client.metadata import ServerMetadata, discovery_url
from authgate_client.retry import RetryPolicy
from authgate_client.tokens import Token
from authgate_client.version import __version__

AuthMethod = Literal["client_secret_basic", "client_secret_post", "none"]
Clock = Callable[[], float]

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
USER_AGENT = f"authgate-client/{__version__}"
#: how long a discovery document or key set is kept when the server says nothing
DEFAULT_CACHE_SECONDS = 3600.0


@dataclass(frozen=True)
class Introspection:
    """An RFC 7662 §2.2 answer. An inactive token has only ``active=False``."""

    active: bool
    scope: str | None = None
    client_id: str | None = None
    sub: str | None = None
    username: str | None = None
    exp: int | None = None
    #: authgate: the space a space-bound token belongs to
    space: str | None = None
    raw: Mapping[str, Any] | None = None


def _max_age(response: httpx.Response) -> float:
    for part in response.headers.get("cache-control", "").split(","):
        name, _, value = part.strip().partition("=")
        if name.lower() == "max-age" and value.isdigit():
            return float(value)
        if name.lower() == "no-store":
            return 0.0
    return DEFAULT_CACHE_SECONDS


def _json_object(response: httpx.Response, what: str) -> dict[str, Any]:
    """The JSON object of a successful answer; its error as an exception otherwise."""
    if response.status_code >= 400:
        raise OAuthError.from_response(response)
    try:
        data: Any = json.loads(response.content)
    except ValueError:
        raise ResponseError(response, f"{what} is not JSON") from None
    if not isinstance(data, dict):
        raise ResponseError(response, f"{what} is not a JSON object")
    return data


class OAuthCore:
    """One client's configuration and caches (metadata, key set), and its flows."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str | None = None,
        issuer: str | None = None,
        metadata: ServerMetadata | None = None,
        auth_method: AuthMethod | None = None,
        retry: RetryPolicy | None = None,
        leeway: float = 60.0,
        jwks_refetch_seconds: float = 30.0,
        clock: Clock = time.time,
    ) -> None:
        if issuer is None and metadata is None:
            raise ValueError(
                "give the issuer URL, or the endpoints as metadata=ServerMetadata(...)"
            )
        self.client_id = client_id
        self._secret = client_secret
        self.issuer = issuer.rstrip("/") if issuer else None
        self._explicit = metadata
        self.auth_method: AuthMethod = auth_method or (
            "client_secret_basic" if client_secret else "none"
        )
        if self.auth_method != "none" and not client_secret:
            raise ValueError(f"{self.auth_method} needs a client_secret")
        self.retry = retry or RetryPolicy()
        self.leeway = leeway
        self.jwks_refetch_seconds = jwks_refetch_seconds
        self.clock = clock
        self._metadata: tuple[float, ServerMetadata] | None = None
        self._keys: tuple[float, float, KeySet] | None = None  # (fetched, fresh until, keys)

    # -- discovery ------------------------------------------------------------------

    def metadata(self) -> Flow[ServerMetadata]:
        """The issuer's discovery document, cached for its ``max-age``; the explicit
        endpoints win over discovered ones, and stand in when there is no document."""
        now = self.clock()
        if self._metadata is not None and self._metadata[0] > now:
            return (yield from done(self._metadata[1]))
        if self.issuer is None:
            assert self._explicit is not None
            self._metadata = (float("inf"), self._explicit)
            return self._explicit
        url = discovery_url(self.issuer)
        response = yield from self.get(url)
        if response.status_code == 200:
            found = ServerMetadata.from_document(_json_object(response, "the discovery document"))
            # Discovery §4.3: the issuer in the document MUST be the one it was asked for.
            if found.issuer != self.issuer:
                raise DiscoveryError(
                    f"the discovery document at {url} names the issuer {found.issuer!r}, "
                    f"not {self.issuer!r}"
                )
            metadata = found.merged_with(self._explicit)
            self._metadata = (now + _max_age(response), metadata)
            return metadata
        if self._explicit is not None and 400 <= response.status_code < 500:
            metadata = replace(self._explicit, issuer=self._explicit.issuer or self.issuer)
            self._metadata = (now + DEFAULT_CACHE_SECONDS, metadata)
            return metadata
        raise DiscoveryError(f"no discovery document at {url} (HTTP {response.status_code})")

    def forget_metadata(self) -> None:
        self._metadata = None

    def endpoint(self, metadata: ServerMetadata, name: str) -> str:
        url = getattr(metadata, name)
        if not url:
            raise DiscoveryError(
                f"the server publishes no {name}: give it as ServerMetadata({name}=...)"
            )
        return str(url)

    # -- HTTP helpers ---------------------------------------------------------------

    def get(self, url: str, headers: Mapping[str, str] | None = None) -> Flow[httpx.Response]:
        """A GET, read, with ``429`` waited out under the retry policy."""
        retries = 0
        while True:
            request = httpx.Request(
                "GET",
                url,
                headers={"user-agent": USER_AGENT, "accept": "application/json", **(headers or {})},
            )
            response: httpx.Response = yield Fetch(request)
            delay = self.retry.delay(response, retries)
            if delay is None:
                return response
            retries += 1
            yield Sleep(delay)

    def form_post(self, url: str, params: Mapping[str, str]) -> httpx.Request:
        """A form POST authenticated as RFC 6749 §2.3.1 says: HTTP Basic with the
        form-encoded id and secret, or both in the body, or (public clients) the id."""
        body = dict(params)
        headers = {"user-agent": USER_AGENT, "accept": "application/json"}
        if self.auth_method == "client_secret_basic":
            assert self._secret is not None
            pair = f"{quote(self.client_id, safe='')}:{quote(self._secret, safe='')}"
            headers["authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        else:
            body["client_id"] = self.client_id
            if self.auth_method == "client_secret_post":
                assert self._secret is not None
                body["client_secret"] = self._secret
        return httpx.Request("POST", url, data=body, headers=headers)

    # -- the token endpoint ---------------------------------------------------------

    def token(self, params: Mapping[str, str]) -> Flow[Token]:
        """One token request (RFC 6749 §3.2) and its answer (§5.1, §5.2)."""
        metadata = yield from self.metadata()
        request = self.form_post(self.endpoint(metadata, "token_endpoint"), params)
        response = yield Fetch(request)
        data = _json_object(response, "the token response")
        if not isinstance(data.get("access_token"), str) or not data["access_token"]:
            raise ResponseError(response, "the token response has no access_token")
        return Token.from_response(data, now=self.clock())

    def client_credentials(self, scope: str | None = None) -> Flow[Token]:
        """RFC 6749 §4.4: the app's own token."""
        params = {"grant_type": "client_credentials"}
        if scope:
            params["scope"] = scope
        return (yield from self.token(params))

    def password(self, username: str, password: str, scope: str | None = None) -> Flow[Token]:
        """RFC 6749 §4.3 (with ``openid``, authgate answers an id token too)."""
        params = {"grant_type": "password", "username": username, "password": password}
        if scope:
            params["scope"] = scope
        token = yield from self.token(params)
        return (yield from self.checked(token, nonce=None))

    def authorization_request(
        self,
        redirect_uri: str,
        scope: str | None,
        *,
        response_type: str = "code",
        state: str | None = None,
        nonce: str | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> Flow[AuthorizationRequest]:
        metadata = yield from self.metadata()
        return build_authorization_request(
            self.endpoint(metadata, "authorization_endpoint"),
            client_id=self.client_id,
            redirect_uri=redirect_uri,
            scope=scope,
            response_type=response_type,
            state=state,
            nonce=nonce,
            issuer=metadata.issuer,
            iss_required=metadata.authorization_response_iss_parameter_supported,
            extra=extra,
        )

    def authorization_code(
        self, request: AuthorizationRequest, callback: str | Mapping[str, str]
    ) -> Flow[Token]:
        """RFC 6749 §4.1.3, after the callback's checks; an id token in the answer is
        validated (signature, iss, aud, exp, nonce, at_hash) before it is returned."""
        code = code_from_callback(request, callback)
        params = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": request.redirect_uri,
        }
        if request.code_verifier:
            params["code_verifier"] = request.code_verifier
        token = yield from self.token(params)
        return (yield from self.checked(token, nonce=request.nonce))

    def implicit(
        self, request: AuthorizationRequest, callback: str | Mapping[str, str]
    ) -> Flow[Token]:
        token = token_from_fragment(request, callback, now=self.clock())
        return (yield from self.checked(token, nonce=request.nonce, at_hash_required=True))

    def checked(
        self, token: Token, *, nonce: str | None, at_hash_required: bool = False
    ) -> Flow[Token]:
        """``token`` with its id token's validated claims, when it has one."""
        if token.id_token is None:
            return token
        claims = yield from self.id_token_claims(
            token.id_token,
            nonce=nonce,
            access_token=token.access_token,
            at_hash_required=at_hash_required,
        )
        return replace(token, id_token_claims=claims)

    def refresh(self, refresh_token: str, scope: str | None = None) -> Flow[Token]:
        """RFC 6749 §6. The answer's new refresh token replaces the old one, which the
        server has revoked (rotation); with none in the answer the old one stays."""
        params = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        if scope:
            params["scope"] = scope
        token = yield from self.token(params)
        token = yield from self.checked(token, nonce=None)
        return token.with_refresh_token(refresh_token)

    def token_exchange(
        self,
        subject_token: str,
        *,
        resource: str | None = None,
        audience: str | None = None,
        scope: str | None = None,
        subject_token_type: str = ACCESS_TOKEN_TYPE,
        requested_token_type: str | None = None,
    ) -> Flow[Token]:
        """RFC 8693 §2.1; with authgate, ``resource`` (a space's issuer URL) or
        ``audience`` (its slug) gives a token bound to that space."""
        params = {
            "grant_type": TOKEN_EXCHANGE,
            "subject_token": subject_token,
            "subject_token_type": subject_token_type,
        }
        for name, value in (
            ("resource", resource),
            ("audience", audience),
            ("scope", scope),
            ("requested_token_type", requested_token_type),
        ):
            if value:
                params[name] = value
        return (yield from self.token(params))

    # -- keys and id tokens ---------------------------------------------------------

    def key_set(self, *, stale: bool = False) -> Flow[KeySet]:
        """The issuer's JWKS, cached for its ``max-age``. ``stale`` (a token names a kid
        the cached set lacks: the key was rotated) fetches it again, at most every
        ``jwks_refetch_seconds``."""
        now = self.clock()
        if self._keys is not None:
            fetched, fresh_until, keys = self._keys
            if now < fresh_until and (not stale or now - fetched < self.jwks_refetch_seconds):
                return keys
        metadata = yield from self.metadata()
        response = yield from self.get(self.endpoint(metadata, "jwks_uri"))
        document = _json_object(response, "the key set")
        try:
            keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise ResponseError(response, f"the key set is not a JWKS ({exc})") from None
        self._keys = (now, now + max(_max_age(response), 0.0), keys)
        return keys

    def id_token_claims(
        self,
        id_token: str,
        *,
        nonce: str | None = None,
        access_token: str | None = None,
        at_hash_required: bool = False,
    ) -> Flow[dict[str, Any]]:
        metadata = yield from self.metadata()
        check = IdTokenCheck(
            issuer=metadata.issuer,
            client_id=self.client_id,
            nonce=nonce,
            access_token=access_token,
            at_hash_required=at_hash_required,
            algorithms=metadata.id_token_signing_alg_values_supported,
            leeway=self.leeway,
            now=self.clock(),
        )
        keys = yield from self.key_set()
        try:
            return validate_id_token(id_token, keys, check)
        except KeyNotFound:
            keys = yield from self.key_set(stale=True)
            return validate_id_token(id_token, keys, check)

    # -- UserInfo, revocation, introspection ----------------------------------------

    def userinfo(self, access_token: str) -> Flow[dict[str, Any]]:
        """OpenID Connect Core §5.3: the claims about the token's user."""
        metadata = yield from self.metadata()
        response = yield from self.get(
            self.endpoint(metadata, "userinfo_endpoint"),
            headers={"authorization": f"Bearer {access_token}"},
        )
        return _json_object(response, "the UserInfo answer")

    def revoke(self, token: str, token_type_hint: str | None = None) -> Flow[None]:
        """RFC 7009 §2.1. ``200`` for any token, known or not (§2.2)."""
        metadata = yield from self.metadata()
        params = {"token": token}
        if token_type_hint:
            params["token_type_hint"] = token_type_hint
        response = yield Fetch(
            self.form_post(self.endpoint(metadata, "revocation_endpoint"), params)
        )
        if response.status_code >= 400:
            raise OAuthError.from_response(response)

    def introspect(self, token: str, token_type_hint: str | None = None) -> Flow[Introspection]:
        """RFC 7662 §2.1, as a resource server (or a client asking about its own token)."""
        metadata = yield from self.metadata()
        params = {"token": token}
        if token_type_hint:
            params["token_type_hint"] = token_type_hint
        response = yield Fetch(
            self.form_post(self.endpoint(metadata, "introspection_endpoint"), params)
        )
        data = _json_object(response, "the introspection answer")
        if data.get("active") is not True:
            return Introspection(active=False, raw=data)

        def text(name: str) -> str | None:
            value = data.get(name)
            return value if isinstance(value, str) else None

        exp = data.get("exp")
        return Introspection(
            active=True,
            scope=text("scope"),
            client_id=text("client_id"),
            sub=text("sub"),
            username=text("username"),
            exp=exp if isinstance(exp, int) and not isinstance(exp, bool) else None,
            space=text("space"),
            raw=data,
        )
