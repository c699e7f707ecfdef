"""The authorization endpoint (RFC 6749 §3.1, §4.1.1, §4.2.1).

Validation order follows §4.1.2.1: while the client or the redirect URI is in doubt the
error is shown to the user and never redirected (no open redirector); every later error
goes back to the client's redirect URI with ``error``, ``error_description``, ``state``
and ``iss`` (RFC 9207).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlencode, urlsplit, urlunsplit

from authgate.crypto.tokens import digest, format_token, new_secret
from authgate.domain import Client, NewAuthorizationCode, UserId
from authgate.errors import (
    AccessDenied,
    InvalidRequest,
    OAuthError,
    UnauthorizedClient,
    UnsupportedResponseType,
)
from authgate.protocol import pkce
from authgate.protocol.client_auth import plausible_client_id
from authgate.protocol.issuer import TokenIssuer
from authgate.protocol.redirect_uris import redirect_uri_matches, validate_redirect_uri
from authgate.protocol.requests import Params, check_values, collect, safe_description
from authgate.protocol.scopes import format_scope, narrow, parse_scope
from authgate.storage.base import ClientStore, CodeStore, ConsentStore

ResponseType = Literal["code", "token"]
#: OAuth 2.0 Multiple Response Type Encoding Practices §2.1 and Form Post Response Mode §2.
ResponseMode = Literal["query", "fragment", "form_post"]
_MODES: frozenset[str] = frozenset({"query", "fragment", "form_post"})
_GRANT_FOR: dict[str, str] = {"code": "authorization_code", "token": "implicit"}
_PROMPTS = frozenset({"none", "login", "consent", "select_account"})


class AuthorizePageError(OAuthError):
    """An error that must be shown to the user, not sent to an unverified redirect URI."""


@dataclass(frozen=True)
class RedirectError(Exception):
    """An error to deliver to the client's (verified) redirect URI."""

    error: OAuthError
    redirect_uri: str
    state: str | None
    response_mode: ResponseMode


@dataclass(frozen=True)
class AuthorizationRequest:
    client: Client
    response_type: ResponseType
    redirect_uri: str
    redirect_uri_sent: bool
    scopes: frozenset[str]
    state: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    nonce: str | None
    prompt: frozenset[str]
    response_mode: ResponseMode
    #: the validated parameters, to carry the request through login and consent
    params: Params = field(repr=False)


@dataclass(frozen=True)
class AuthorizationResponse:
    """What goes back to the client's redirect URI, and how: in the query (§4.1.2), in the
    fragment (§4.2.2) or as an auto-submitted HTML form (OAuth 2.0 Form Post Response Mode)."""

    redirect_uri: str
    values: dict[str, str]
    response_mode: ResponseMode

    def url(self) -> str:
        """The redirect for the ``query`` and ``fragment`` modes."""
        return build_redirect(
            self.redirect_uri, self.values, fragment=self.response_mode == "fragment"
        )


@dataclass(frozen=True)
class AuthorizePolicy:
    require_redirect_uri: bool = False
    redirect_uri_matching: str = "exact"
    allow_plain_pkce: bool = False
    code_lifetime: int = 600


def build_redirect(redirect_uri: str, values: Mapping[str, str], *, fragment: bool) -> str:
    """Add ``values`` to the redirect URI's query (or fragment for implicit, §4.2.2)."""
    parts = urlsplit(redirect_uri)
    if fragment:
        return urlunsplit(parts._replace(fragment=urlencode(values)))
    query = f"{parts.query}&{urlencode(values)}" if parts.query else urlencode(values)
    return urlunsplit(parts._replace(query=query))


def _response(
    redirect_uri: str, values: Mapping[str, str | int | None], mode: ResponseMode
) -> AuthorizationResponse:
    clean = {k: str(v) for k, v in values.items() if v is not None}
    return AuthorizationResponse(redirect_uri, clean, mode)


def _response_mode(response_type: str | None, requested: str | None) -> ResponseMode:
    """The requested mode when it is allowed, else the response type's default (Multiple
    Response Type Encoding Practices §5: tokens never go in the query)."""
    if requested in _MODES and not (requested == "query" and response_type == "token"):
        return requested  # type: ignore[return-value]
    return "fragment" if response_type == "token" else "query"


class AuthorizeEndpoint:
    def __init__(
        self,
        clients: ClientStore,
        codes: CodeStore,
        consents: ConsentStore,
        issuer: TokenIssuer,
        policy: AuthorizePolicy,
        issuer_url: str,
        scope_catalog: Mapping[str, str],
    ) -> None:
        self._clients = clients
        self._codes = codes
        self._consents = consents
        self._issuer = issuer
        self._policy = policy
        self.issuer_url = issuer_url
        self._catalog = scope_catalog

    async def _client_and_redirect(self, params: Params, repeated: set[str]) -> tuple[Client, str]:
        if {"client_id", "redirect_uri"} & repeated:
            raise AuthorizePageError("client_id or redirect_uri was sent more than once")
        client_id = params.get("client_id")
        if client_id is None:
            raise AuthorizePageError("the request has no client_id")
        client = None
        if plausible_client_id(client_id):
            client = await self._clients.by_client_id(client_id)
        if client is None:
            raise AuthorizePageError("the application (client_id) is not known")
        requested = params.get("redirect_uri")
        if requested is None:
            if self._policy.require_redirect_uri:
                raise AuthorizePageError("the request has no redirect_uri")
            if len(client.redirect_uris) != 1:
                raise AuthorizePageError(
                    "the request has no redirect_uri and the application registered "
                    f"{len(client.redirect_uris)}; it must say which one to use"
                )
            return client, client.redirect_uris[0]
        # The requested URI must itself be one that registration would accept (no userinfo,
        # fragment, whitespace or malformed port) before it is matched at all.
        try:
            validate_redirect_uri(requested)
        except InvalidRequest:
            requested = ""
        if not requested or not any(
            redirect_uri_matches(requested, registered, self._policy.redirect_uri_matching)
            for registered in client.redirect_uris
        ):
            raise AuthorizePageError(
                "the redirect_uri does not match any registered for this application"
            )
        return client, requested

    async def validate(self, pairs: list[tuple[str, str]]) -> AuthorizationRequest:
        params, repeated = collect(pairs)
        client, redirect_uri = await self._client_and_redirect(params, repeated)
        state = params.get("state")
        response_type = params.get("response_type")
        requested_mode = params.get("response_mode")
        mode = _response_mode(response_type, requested_mode)

        def fail(error: OAuthError) -> RedirectError:
            return RedirectError(error, redirect_uri, state, mode)

        if repeated:
            raise fail(InvalidRequest(f"parameter {sorted(repeated)[0]!r} was sent more than once"))
        try:
            check_values(pairs)
        except InvalidRequest as exc:
            raise fail(exc) from None
        if response_type is None:
            raise fail(InvalidRequest("missing required parameter 'response_type'"))
        if response_type not in _GRANT_FOR:
            raise fail(
                UnsupportedResponseType(f"response_type {response_type[:40]!r} is not supported")
            )
        if not client.allows_grant(_GRANT_FOR[response_type]):
            raise fail(UnauthorizedClient(f"this client may not use response_type={response_type}"))
        if requested_mode is not None and requested_mode != mode:
            if requested_mode in _MODES:
                raise fail(InvalidRequest("response_mode=query is not allowed for tokens"))
            raise fail(InvalidRequest(f"response_mode {requested_mode[:40]!r} is not supported"))
        try:
            scopes = narrow(parse_scope(params.get("scope")), client.scopes)
            scopes = narrow(scopes, self._catalog, what="this server")
            method = pkce.check_challenge(
                params.get("code_challenge"),
                params.get("code_challenge_method"),
                allow_plain=self._policy.allow_plain_pkce,
            )
        except OAuthError as exc:
            raise fail(exc) from None
        challenge = params.get("code_challenge")
        if response_type == "code" and client.is_public and challenge is None:
            # RFC 9700 §2.1.1: public clients MUST use PKCE.
            raise fail(InvalidRequest("public clients must send a PKCE code_challenge (S256)"))
        prompt = frozenset(params.get("prompt", "").split())
        if not prompt <= _PROMPTS or ("none" in prompt and len(prompt) > 1):
            raise fail(InvalidRequest("prompt has an unknown or contradictory value"))
        return AuthorizationRequest(
            client=client,
            response_type=response_type,  # type: ignore[arg-type]
            redirect_uri=redirect_uri,
            redirect_uri_sent="redirect_uri" in params,
            scopes=scopes,
            state=state,
            code_challenge=challenge if response_type == "code" else None,
            code_challenge_method=method if response_type == "code" else None,
            nonce=params.get("nonce"),
            prompt=prompt,
            response_mode=mode,
            params=params,
        )

    async def needs_consent(self, request: AuthorizationRequest, user_id: UserId) -> bool:
        if "consent" in request.prompt:
            return True
        granted = await self._consents.scopes(user_id, request.client.pk)
        return not request.scopes <= granted

    def error_redirect(self, error: RedirectError) -> AuthorizationResponse:
        """§4.1.2.1: ``error_description`` keeps to the characters the RFC allows."""
        values: dict[str, str | int | None] = {
            "error": error.error.error,
            "error_description": safe_description(error.error.description) or None,
            "state": error.state,
            "iss": self.issuer_url,
        }
        return _response(error.redirect_uri, values, error.response_mode)

    def deny(self, request: AuthorizationRequest) -> AuthorizationResponse:
        """The user clicked Deny: §4.1.2.1 ``access_denied``."""
        return self.error_redirect(
            RedirectError(
                AccessDenied("the user denied the request"),
                request.redirect_uri,
                request.state,
                request.response_mode,
            )
        )

    async def approve(
        self, request: AuthorizationRequest, user_id: UserId, *, remember: bool
    ) -> AuthorizationResponse:
        """Issue the code (§4.1.2) or token (§4.2.2) and return the response to the client."""
        now = self._issuer.now()
        if remember:
            await self._consents.grant(user_id, request.client.pk, request.scopes, now)
        scope = format_scope(request.scopes)
        values: dict[str, str | int | None]
        if request.response_type == "code":
            secret = new_secret()
            code_id = await self._codes.add(
                NewAuthorizationCode(
                    secret_digest=digest(secret),
                    client_pk=request.client.pk,
                    user_id=user_id,
                    redirect_uri=request.redirect_uri if request.redirect_uri_sent else None,
                    scope=scope,
                    code_challenge=request.code_challenge,
                    code_challenge_method=request.code_challenge_method,
                    nonce=request.nonce,
                    issued_at=now,
                    expires_at=now + self._policy.code_lifetime,
                )
            )
            values = {"code": format_token(code_id, secret)}
        else:
            # §4.2.2: the implicit grant never issues a refresh token.
            issued = await self._issuer.issue(
                request.client, user_id, scope, "implicit", with_refresh=False
            )
            values = {
                "access_token": issued.access_token,
                "token_type": "Bearer",
                "expires_in": issued.expires_in,
                "scope": scope,
            }
        values["state"] = request.state
        values["iss"] = self.issuer_url
        return _response(request.redirect_uri, values, request.response_mode)
