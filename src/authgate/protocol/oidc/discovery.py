"""Provider metadata: OpenID Connect Discovery 1.0 §3 and RFC 8414 §2, per issuer."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from authgate.protocol.authorization import response_types_for
from authgate.protocol.oidc.claims import CLAIMS_SUPPORTED

OPENID_CONFIGURATION = "/.well-known/openid-configuration"
OAUTH_AUTHORIZATION_SERVER = "/.well-known/oauth-authorization-server"
#: RFC 6749 §2.3 client authentication, the same at every endpoint that asks for it
AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]


@dataclass(frozen=True)
class ServerFeatures:
    """What this server does, whatever the issuer."""

    authorize_path: str
    token_path: str
    userinfo_path: str
    revocation_path: str
    introspection_path: str
    jwks_path: str
    scopes: Collection[str]
    #: the grants the server offers (setting ``grant_types``), the implicit one included
    grant_types: Collection[str]
    allow_plain_pkce: bool
    #: RFC 7591 §3: the registration endpoint's path, when dynamic registration is on
    registration_path: str | None = None


def provider_metadata(
    issuer_url: str, features: ServerFeatures, signing_algs: Collection[str]
) -> dict[str, Any]:
    """Every endpoint is under the issuer URL, so a space's document names its own."""
    pkce = ["S256", "plain"] if features.allow_plain_pkce else ["S256"]
    document: dict[str, Any] = {
        "issuer": issuer_url,
        "authorization_endpoint": issuer_url + features.authorize_path,
        "token_endpoint": issuer_url + features.token_path,
        "userinfo_endpoint": issuer_url + features.userinfo_path,
        "jwks_uri": issuer_url + features.jwks_path,
        "revocation_endpoint": issuer_url + features.revocation_path,
        "scopes_supported": sorted(features.scopes),
        # RFC 8414 §2: only what is offered (a response type needs its grants).
        "response_types_supported": response_types_for(features.grant_types),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "grant_types_supported": sorted(features.grant_types),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": sorted(signing_algs),
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "introspection_endpoint": issuer_url + features.introspection_path,
        "introspection_endpoint_auth_methods_supported": AUTH_METHODS,
        "code_challenge_methods_supported": pkce,
        "claims_supported": CLAIMS_SUPPORTED,
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "authorization_response_iss_parameter_supported": True,
    }
    if features.registration_path is not None:
        # RFC 8414 §2, OpenID Connect Discovery §3
        document["registration_endpoint"] = issuer_url + features.registration_path
    return document
