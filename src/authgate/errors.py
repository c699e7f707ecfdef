"""OAuth 2.0 errors as types.

Every error the protocol layer can produce is a subclass of :class:`OAuthError` that
carries the RFC error code and HTTP status. The web layer renders them; nothing builds
error JSON by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Literal


class OAuthError(Exception):
    """An error defined by RFC 6749 §5.2 / §4.1.2.1, RFC 6750 §3.1, RFC 7009 or RFC 8693."""

    error: ClassVar[str] = "invalid_request"
    status_code: ClassVar[int] = 400

    def __init__(self, description: str = "", *, headers: dict[str, str] | None = None) -> None:
        super().__init__(description or self.error)
        self.description = description
        self.headers: dict[str, str] = dict(headers or {})

    def to_dict(self) -> dict[str, str]:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body

    def worded(self, texts: Mapping[str, str]) -> str:
        """The description to send: the deployment's fixed text for this error code
        (``error_descriptions``), else this error's own."""
        return texts.get(self.error, self.description)


class InvalidRequest(OAuthError):
    error = "invalid_request"


class InvalidClient(OAuthError):
    """RFC 6749 §5.2: client authentication failed. A 401 always names the scheme that
    works (RFC 9110 §15.5.2: a 401 MUST carry ``WWW-Authenticate``)."""

    error = "invalid_client"
    status_code = 401

    def __init__(self, description: str = "", *, headers: dict[str, str] | None = None) -> None:
        challenge = {"WWW-Authenticate": 'Basic realm="token", charset="UTF-8"'}
        super().__init__(description, headers={**challenge, **(headers or {})})


class InvalidGrant(OAuthError):
    error = "invalid_grant"


class UnauthorizedClient(OAuthError):
    error = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    error = "unsupported_grant_type"


class InvalidScope(OAuthError):
    error = "invalid_scope"


class InvalidTarget(OAuthError):
    """RFC 8693 §2.2.2: the server will not issue a token for the ``resource`` or
    ``audience`` the client named."""

    error = "invalid_target"


class AccessDenied(OAuthError):
    error = "access_denied"
    status_code = 403


class UnsupportedResponseType(OAuthError):
    error = "unsupported_response_type"


class ServerError(OAuthError):
    error = "server_error"
    status_code = 500


class TemporarilyUnavailable(OAuthError):
    error = "temporarily_unavailable"
    status_code = 503


class RateLimitExceeded(OAuthError):
    """Seed 001: over the rate limit, ``429`` with the seconds to wait in ``Retry-After``
    (RFC 6585 §4)."""

    error = "rate_limit_exceeded"
    status_code = 429

    def __init__(
        self, description: str, retry_after: int, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(description, headers={"Retry-After": str(retry_after), **(headers or {})})
        self.retry_after = retry_after


class SlowDown(RateLimitExceeded):
    """The token endpoint's rate limit. ``slow_down`` is the error code RFC 8628 §3.5
    registers for the token endpoint to say "you are asking too often" (there for device-flow
    polling, whose clients then wait longer); other clients see an RFC 6749 §5.2 error body,
    a ``429`` and ``Retry-After``."""

    error = "slow_down"


#: The error codes the authorization endpoint (RFC 6749 §4.1.2.1, §4.2.2.1; OpenID Connect
#: Core §3.1.2.6) and the token, revocation and introspection endpoints (RFC 6749 §5.2,
#: RFC 7009 §2.2.1, RFC 8693 §2.2.2, RFC 8628 §3.5) answer with: the codes whose
#: descriptions a deployment may fix (``error_descriptions``). The resource side's
#: ``invalid_token`` is worded per reason instead (:data:`TOKEN_DESCRIPTIONS`).
EndpointError = Literal[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "invalid_target",
    "access_denied",
    "unsupported_response_type",
    "server_error",
    "temporarily_unavailable",
    "slow_down",
    "login_required",
    "consent_required",
]


#: Why an access token was refused (RFC 6750 §3.1 ``invalid_token``). The reason is what
#: the checks know; the words a client reads are chosen apart from them, per deployment
#: (``bearer_error_descriptions``), from :data:`TOKEN_DESCRIPTIONS` by default.
TokenReason = Literal[
    "invalid", "expired", "revoked", "not_a_member", "other_issuer", "other_space"
]

#: The neutral ``error_description`` of each reason.
TOKEN_DESCRIPTIONS: Mapping[TokenReason, str] = {
    "invalid": "The access token is invalid",
    "expired": "The access token has expired",
    "revoked": "The access token was revoked",
    "not_a_member": "The access token's user is no longer a member of its space",
    "other_issuer": "The access token was issued by another issuer",
    "other_space": "The access token is bound to another space",
}


class InvalidToken(OAuthError):
    """RFC 6750 §3.1: the access token is expired, revoked, malformed or invalid.

    Raised with a :data:`TokenReason`; its description is the reason's neutral text
    until the resource kit words it with the deployment's table."""

    error = "invalid_token"
    status_code = 401

    def __init__(
        self, reason: TokenReason = "invalid", *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(TOKEN_DESCRIPTIONS[reason], headers=headers)
        self.reason: TokenReason = reason


class InsufficientScope(OAuthError):
    """RFC 6750 §3.1: the request requires higher privileges than the token provides."""

    error = "insufficient_scope"
    status_code = 403

    def __init__(self, description: str, scope: str) -> None:
        super().__init__(description)
        self.scope = scope


class LoginRequired(OAuthError):
    """OpenID Connect Core §3.1.2.6: ``prompt=none`` and the user is not signed in."""

    error = "login_required"


class ConsentRequired(OAuthError):
    """OpenID Connect Core §3.1.2.6: ``prompt=none`` and consent is needed."""

    error = "consent_required"


class InvalidRedirectUri(OAuthError):
    """RFC 7591 §3.2.2: one or more ``redirect_uris`` of a registration are invalid."""

    error = "invalid_redirect_uri"


class InvalidClientMetadata(OAuthError):
    """RFC 7591 §3.2.2: a client metadata field is invalid, or the request is not a JSON
    object of client metadata."""

    error = "invalid_client_metadata"
