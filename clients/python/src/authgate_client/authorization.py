"""The front channel: the authorization request URL (RFC 6749 §4.1.1 with RFC 7636 PKCE
and OpenID Connect's ``nonce``) and the checks on the redirect back (state, RFC 9207
``iss``, errors), for the code flow and for the implicit flow's fragment.

Everything here is pure: no HTTP, no clock but the one passed in.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from authgate_client.errors import (
    CallbackError,
    IssuerMismatch,
    StateMismatch,
    error_from_params,
)
from authgate_client.pkce import make_code_verifier, s256_challenge
from authgate_client.tokens import Token


@dataclass(frozen=True)
class AuthorizationRequest:
    """What an app keeps between sending the user away and the redirect back (in its
    session, for a web app: :meth:`to_dict` and :meth:`from_dict`). ``url`` is where to
    send the user."""

    url: str
    redirect_uri: str
    state: str = field(repr=False)
    code_verifier: str | None = field(default=None, repr=False)
    nonce: str | None = field(default=None, repr=False)
    scope: str | None = None
    response_type: str = "code"
    #: the issuer the request went to, for the callback's ``iss`` check (None: unknown)
    issuer: str | None = None
    #: RFC 9207: the server always sends ``iss``, so a callback without it is refused
    iss_required: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuthorizationRequest:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def build_authorization_request(
    authorization_endpoint: str,
    *,
    client_id: str,
    redirect_uri: str,
    scope: str | None = None,
    response_type: str = "code",
    state: str | None = None,
    nonce: str | None = None,
    pkce: bool = True,
    issuer: str | None = None,
    iss_required: bool = False,
    extra: Mapping[str, str] | None = None,
) -> AuthorizationRequest:
    """A new request with a random ``state``, PKCE S256 (for ``code``) and, when ``scope``
    has ``openid``, a random ``nonce``. ``extra``: more parameters (``prompt``,
    ``login_hint``, ``response_mode``...)."""
    state = state or secrets.token_urlsafe(24)
    scopes = (scope or "").split()
    if nonce is None and ("openid" in scopes or "id_token" in response_type.split()):
        nonce = secrets.token_urlsafe(24)
    verifier = make_code_verifier() if pkce and "code" in response_type.split() else None
    params: dict[str, str] = {
        "response_type": response_type,
        "client_id": client_id,
        "redirect_uri": redirect_uri,
    }
    if scope:
        params["scope"] = scope
    params["state"] = state
    if nonce:
        params["nonce"] = nonce
    if verifier:
        params["code_challenge"] = s256_challenge(verifier)
        params["code_challenge_method"] = "S256"
    for key, value in (extra or {}).items():
        if key in params:
            raise ValueError(f"{key} is set by the client; it cannot be an extra parameter")
        params[key] = value
    return AuthorizationRequest(
        url=_with_query(authorization_endpoint, params),
        redirect_uri=redirect_uri,
        state=state,
        code_verifier=verifier,
        nonce=nonce,
        scope=scope,
        response_type=response_type,
        issuer=issuer,
        iss_required=iss_required,
    )


def _with_query(url: str, params: Mapping[str, str]) -> str:
    """RFC 6749 §3.1: the endpoint URI MAY have a query, which MUST be kept."""
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit(parts._replace(query=query))


def callback_params(callback: str | Mapping[str, str], *, fragment: bool = False) -> dict[str, str]:
    """The parameters of the redirect back: a URL (its query, or its fragment), or the
    parameters a web framework already parsed (a ``form_post`` body, ``request.GET``).

    RFC 6749 §3.1: parameters MUST NOT be included more than once; a repeated one is
    refused rather than guessed at."""
    if not isinstance(callback, str):
        return {str(k): str(v) for k, v in callback.items()}
    parts = urlsplit(callback)
    pairs = parse_qsl(parts.fragment if fragment else parts.query, keep_blank_values=True)
    found: dict[str, str] = {}
    for key, value in pairs:
        if key in found:
            raise CallbackError(f"the callback repeats the parameter {key!r}")
        found[key] = value
    return found


def check_callback(request: AuthorizationRequest, params: Mapping[str, str]) -> None:
    """The checks every redirect back passes before anything in it is used.

    RFC 6749 §10.12: ``state`` MUST match the request's. RFC 9207 §2.4: when the
    server sends ``iss`` (or says it always does), it MUST equal the issuer the request
    went to. Then an ``error`` is raised as its :class:`~authgate_client.OAuthError`
    subclass (``AccessDenied`` when the user clicked Deny)."""
    state = params.get("state")
    if state is None or not hmac.compare_digest(state.encode(), request.state.encode()):
        raise StateMismatch("the callback's state is not the one this request sent")
    iss = params.get("iss")
    if request.issuer is not None:
        if iss is None and request.iss_required:
            raise IssuerMismatch("the callback has no iss, which this server always sends")
        if iss is not None and iss != request.issuer:
            raise IssuerMismatch(f"the callback comes from issuer {iss!r}, not {request.issuer!r}")
    if "error" in params:
        raise error_from_params(params)


def code_from_callback(request: AuthorizationRequest, callback: str | Mapping[str, str]) -> str:
    """The authorization code of a checked code-flow redirect (query, or ``form_post``)."""
    params = callback_params(callback)
    if not params and isinstance(callback, str):
        params = callback_params(callback, fragment=True)  # response_mode=fragment
    check_callback(request, params)
    code = params.get("code")
    if not code:
        raise CallbackError("the callback has neither a code nor an error")
    return code


def token_from_fragment(
    request: AuthorizationRequest, callback: str | Mapping[str, str], *, now: float | None = None
) -> Token:
    """The implicit flow (RFC 6749 §4.2.2): the access token in the redirect's fragment,
    after the same checks as a code. A browser sends no fragment to a server, so this
    takes the full URL the app's page saw (or the parameters its script posted)."""
    params = callback_params(callback, fragment=True)
    check_callback(request, params)
    if not params.get("access_token"):
        raise CallbackError("the callback's fragment has neither an access token nor an error")
    return Token.from_response(
        {k: v for k, v in params.items() if k not in {"state", "iss"}}, now=now
    )
