"""authgate-client: the OAuth 2.0 and OpenID Connect client for apps that call a platform
running authgate, on httpx.

    from authgate_client import Client

    with Client("https://auth.example.com", client_id=..., client_secret=...) as client:
        token = client.client_credentials(scope="read")

See the README for each flow, the token store callback and web-framework use.
"""

from authgate_client._core import Introspection
from authgate_client.auth import OAuth2Auth, TokenSaver, is_invalid_token
from authgate_client.authorization import (
    AuthorizationRequest,
    build_authorization_request,
    check_callback,
    code_from_callback,
    token_from_fragment,
)
from authgate_client.client import AsyncClient, Client
from authgate_client.errors import (
    AccessDenied,
    AuthgateClientError,
    CallbackError,
    ConsentRequired,
    DiscoveryError,
    InsufficientScope,
    InteractionRequired,
    InvalidClient,
    InvalidGrant,
    InvalidIdToken,
    InvalidRequest,
    InvalidScope,
    InvalidTarget,
    InvalidToken,
    IssuerMismatch,
    LoginRequired,
    OAuthError,
    RateLimitExceeded,
    ResponseError,
    ServerError,
    SlowDown,
    StateMismatch,
    TemporarilyUnavailable,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
)
from authgate_client.metadata import ServerMetadata
from authgate_client.pkce import make_code_verifier, s256_challenge
from authgate_client.retry import RetryPolicy
from authgate_client.tokens import Token
from authgate_client.version import __version__

__all__ = [
    "AccessDenied",
    "AsyncClient",
    "AuthgateClientError",
    "AuthorizationRequest",
    "CallbackError",
    "Client",
    "ConsentRequired",
    "DiscoveryError",
    "InsufficientScope",
    "InteractionRequired",
    "Introspection",
    "InvalidClient",
    "InvalidGrant",
    "InvalidIdToken",
    "InvalidRequest",
    "InvalidScope",
    "InvalidTarget",
    "InvalidToken",
    "IssuerMismatch",
    "LoginRequired",
    "OAuth2Auth",
    "OAuthError",
    "RateLimitExceeded",
    "ResponseError",
    "RetryPolicy",
    "ServerError",
    "ServerMetadata",
    "SlowDown",
    "StateMismatch",
    "TemporarilyUnavailable",
    "Token",
    "TokenSaver",
    "UnauthorizedClient",
    "UnsupportedGrantType",
    "UnsupportedResponseType",
    "__version__",
    "build_authorization_request",
    "check_callback",
    "code_from_callback",
    "is_invalid_token",
    "make_code_verifier",
    "s256_challenge",
    "token_from_fragment",
]
