"""Typed errors: one class per RFC error code, carrying ``error``, ``error_description``
and the HTTP status, plus the checks this client makes itself (state, issuer, id token).

Catch :class:`AuthgateClientError` for everything this package raises, :class:`OAuthError`
for what a server answered, or one code's class (``except InvalidGrant:`` — the refresh
token is gone, the user must sign in again).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import httpx


class AuthgateClientError(Exception):
    """Base class of every error this package raises."""


class OAuthError(AuthgateClientError):
    """An error answer of an authorization server or a protected resource: RFC 6749 §5.2
    and §4.1.2.1, RFC 6750 §3, RFC 7009, RFC 7662, RFC 8693 §2.2.2.

    ``status_code`` is ``None`` for an error that came back in a redirect (the
    authorization response). ``retry_after`` is the seconds a ``Retry-After`` header asked
    for, when there was one.
    """

    #: the RFC error code this class stands for; ``OAuthError`` itself takes any code
    code: str = ""

    def __init__(
        self,
        error: str,
        description: str | None = None,
        *,
        status_code: int | None = None,
        uri: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.error = error
        self.description = description
        self.status_code = status_code
        self.uri = uri
        self.retry_after = retry_after
        super().__init__(error, description)

    @property
    def error_description(self) -> str | None:
        """The RFC's name for :attr:`description`."""
        return self.description

    def __str__(self) -> str:
        text = self.error if not self.description else f"{self.error}: {self.description}"
        return text if self.status_code is None else f"{text} (HTTP {self.status_code})"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(error={self.error!r}, description={self.description!r}, "
            f"status_code={self.status_code!r})"
        )

    @classmethod
    def from_response(cls, response: httpx.Response) -> OAuthError | ResponseError:
        """The error a response carries: its JSON body's ``error``, else the
        ``WWW-Authenticate: Bearer`` header's (RFC 6750 §3), else a :class:`ResponseError`.
        The response's body must have been read."""
        fields = _json_error(response) or bearer_challenge(response.headers.get("www-authenticate"))
        error = fields.get("error")
        if not error:
            return ResponseError(response)
        return error_for(
            error,
            fields.get("error_description"),
            status_code=response.status_code,
            uri=fields.get("error_uri"),
            retry_after=retry_after_seconds(response.headers.get("retry-after")),
        )


class InvalidRequest(OAuthError):
    code = "invalid_request"


class InvalidClient(OAuthError):
    code = "invalid_client"


class InvalidGrant(OAuthError):
    """The code, refresh token or password was refused: expired, revoked, already used.
    For a refresh token it means the user has to authorize the app again."""

    code = "invalid_grant"


class UnauthorizedClient(OAuthError):
    code = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    code = "unsupported_grant_type"


class UnsupportedResponseType(OAuthError):
    code = "unsupported_response_type"


class InvalidScope(OAuthError):
    code = "invalid_scope"


class InvalidTarget(OAuthError):
    """RFC 8693 §2.2.2: the ``resource`` or ``audience`` of a token exchange."""

    code = "invalid_target"


class AccessDenied(OAuthError):
    """The user clicked Deny (or may not use the app)."""

    code = "access_denied"


class ServerError(OAuthError):
    code = "server_error"


class TemporarilyUnavailable(OAuthError):
    code = "temporarily_unavailable"


class RateLimitExceeded(OAuthError):
    """``429`` (RFC 6585 §4): wait :attr:`retry_after` seconds before trying again."""

    code = "rate_limit_exceeded"


class SlowDown(RateLimitExceeded):
    """The token endpoint's ``429``: this client asks for tokens too often."""

    code = "slow_down"


class InvalidToken(OAuthError):
    """RFC 6750 §3.1: the access token is expired, revoked, malformed or invalid."""

    code = "invalid_token"


class InsufficientScope(OAuthError):
    code = "insufficient_scope"


class InteractionRequired(OAuthError):
    """OpenID Connect Core §3.1.2.6 (``prompt=none``): the user has to see a page."""

    code = "interaction_required"


class LoginRequired(InteractionRequired):
    code = "login_required"


class ConsentRequired(InteractionRequired):
    code = "consent_required"


_BY_CODE: dict[str, type[OAuthError]] = {
    c.code: c
    for c in (
        InvalidRequest,
        InvalidClient,
        InvalidGrant,
        UnauthorizedClient,
        UnsupportedGrantType,
        UnsupportedResponseType,
        InvalidScope,
        InvalidTarget,
        AccessDenied,
        ServerError,
        TemporarilyUnavailable,
        RateLimitExceeded,
        SlowDown,
        InvalidToken,
        InsufficientScope,
        InteractionRequired,
        LoginRequired,
        ConsentRequired,
    )
}


def error_for(
    error: str,
    description: str | None = None,
    *,
    status_code: int | None = None,
    uri: str | None = None,
    retry_after: float | None = None,
) -> OAuthError:
    """The :class:`OAuthError` subclass of ``error`` (``OAuthError`` for an unknown one)."""
    if error == "rate_limit_exceeded" or (status_code == 429 and error not in _BY_CODE):
        cls: type[OAuthError] = RateLimitExceeded
    else:
        cls = _BY_CODE.get(error, OAuthError)
    return cls(error, description, status_code=status_code, uri=uri, retry_after=retry_after)


def error_from_params(params: Mapping[str, str]) -> OAuthError:
    """The error of an authorization response (RFC 6749 §4.1.2.1), from its parameters."""
    return error_for(
        params.get("error", ""), params.get("error_description"), uri=params.get("error_uri")
    )


class ResponseError(AuthgateClientError):
    """An answer that is not what the protocol says: an HTML error page, a ``502`` from a
    proxy, a token response without ``access_token``. Carries the status and the start of
    the body."""

    def __init__(self, response: httpx.Response, message: str | None = None) -> None:
        self.status_code = response.status_code
        self.url = str(response.request.url.copy_with(query=None)) if _has_request(response) else ""
        try:
            body = response.text[:200]
        except httpx.ResponseNotRead:
            body = ""
        self.body = body
        what = message or f"unexpected HTTP {response.status_code} answer"
        super().__init__(f"{what} from {self.url}" if self.url else what)


class DiscoveryError(AuthgateClientError):
    """No usable provider metadata: the discovery document is missing or names another
    issuer, and no explicit endpoints were given."""


class CallbackError(AuthgateClientError):
    """The redirect back to the app is not the answer to the request it made."""


class StateMismatch(CallbackError):
    """RFC 6749 §10.12: ``state`` is missing or is not the one this request sent (a
    forged or replayed callback)."""


class IssuerMismatch(CallbackError):
    """RFC 9207 §2.4: ``iss`` is missing or names another issuer (a mix-up attack)."""


class InvalidIdToken(AuthgateClientError):
    """The id token failed a check of OpenID Connect Core §3.1.3.7: signature, ``iss``,
    ``aud``, ``exp``, ``nonce`` or ``at_hash``."""


def _has_request(response: httpx.Response) -> bool:
    try:
        response.request  # noqa: B018
    except RuntimeError:
        return False
    return True


def _json_error(response: httpx.Response) -> dict[str, str]:
    try:
        data: Any = json.loads(response.content)
    except (ValueError, httpx.ResponseNotRead):
        return {}
    if not isinstance(data, dict) or not isinstance(data.get("error"), str):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)}


_CHALLENGE_PARAM = re.compile(r'([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))')


def bearer_challenge(header: str | None) -> dict[str, str]:
    """The auth-params of a ``WWW-Authenticate: Bearer ...`` challenge (RFC 6750 §3):
    ``realm``, ``error``, ``error_description``, ``scope``; empty for another scheme."""
    if not header:
        return {}
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return {}
    return {
        m[1].lower(): re.sub(r"\\(.)", r"\1", m[2]) if m[2] is not None else m[3]
        for m in _CHALLENGE_PARAM.finditer(rest)
    }


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` (RFC 9110 §10.2.3) as seconds from now: delay-seconds or an
    HTTP-date; ``None`` when absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
