"""Provider metadata (OpenID Connect Discovery 1.0 §3, RFC 8414 §2): where the endpoints
are, from the discovery document or given by the app for a server without one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

OPENID_CONFIGURATION = "/.well-known/openid-configuration"


@dataclass(frozen=True)
class ServerMetadata:
    """The endpoints of one issuer. Every field is optional so that an app can name only
    the endpoints a platform documents (Cobot's token endpoint at ``/oauth/access_token``,
    say); a flow that needs a missing one raises :class:`~authgate_client.DiscoveryError`.
    """

    issuer: str | None = None
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    userinfo_endpoint: str | None = None
    jwks_uri: str | None = None
    revocation_endpoint: str | None = None
    introspection_endpoint: str | None = None
    #: RFC 9207 §3: the server sends ``iss`` in every authorization response
    authorization_response_iss_parameter_supported: bool = False
    id_token_signing_alg_values_supported: tuple[str, ...] = ()
    grant_types_supported: tuple[str, ...] = ()
    scopes_supported: tuple[str, ...] = ()
    #: the whole document, for what the fields above leave out
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> ServerMetadata:
        """The fields of a discovery document; values of the wrong type are left out."""
        found: dict[str, Any] = {}
        for f in fields(cls):
            value = document.get(f.name)
            if f.name == "raw" or value is None:
                continue
            if f.type == "bool":
                if isinstance(value, bool):
                    found[f.name] = value
            elif f.type == "tuple[str, ...]":
                if isinstance(value, list):
                    found[f.name] = tuple(v for v in value if isinstance(v, str))
            elif isinstance(value, str):
                found[f.name] = value
        return cls(**found, raw=dict(document))

    def merged_with(self, explicit: ServerMetadata | None) -> ServerMetadata:
        """These values, with each endpoint the app named explicitly taking precedence."""
        if explicit is None:
            return self
        changes = {
            f.name: getattr(explicit, f.name)
            for f in fields(explicit)
            if f.name.endswith(("_endpoint", "_uri")) and getattr(explicit, f.name)
        }
        return replace(self, **changes)


def discovery_url(issuer: str) -> str:
    """OpenID Connect Discovery §4.1: the issuer, without a trailing slash, then
    ``/.well-known/openid-configuration`` (also the form for a space's path issuer)."""
    return issuer.rstrip("/") + OPENID_CONFIGURATION
