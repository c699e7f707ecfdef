"""RFC 7591 §2 client metadata: the JSON a client registers with, read strictly into typed
values, and the client information response (§3.2.1, RFC 7592 §3) written back.

What the values may be is decided by the registry's rules (:mod:`authgate.protocol.rules`),
as for the portal and the CLI; this module only checks that each field has its JSON type,
that ``response_types`` and ``grant_types`` agree (§2.1), and maps the RFC's names to
authgate's. Metadata authgate does not know is ignored (§2); so are fields it knows but
does not keep (``contacts``, ``tos_uri``, ``software_id`` …).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from authgate.domain import GRANT_ALIASES, Client
from authgate.errors import InvalidClientMetadata, InvalidRedirectUri
from authgate.protocol.authorization import RESPONSE_TYPES, grants_for, normalize_response_type
from authgate.protocol.scopes import OIDC_SCOPE_NAMES, format_scope
from authgate.text import storable

#: RFC 7591 §2: the methods authgate's token, revocation and introspection endpoints take
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")
#: RFC 7591 §2: what a registration without ``token_endpoint_auth_method`` gets
DEFAULT_AUTH_METHOD = "client_secret_basic"
#: the largest registration document read, in bytes
MAX_DOCUMENT_BYTES = 64 * 1024
#: the most values of one list field
MAX_LIST = 100


@dataclass(frozen=True, slots=True)
class ClientMetadata:
    """A registration or update request, typed; ``None``: the field was not sent."""

    redirect_uris: tuple[str, ...]
    auth_method: str
    grant_types: tuple[str, ...]
    response_types: tuple[str, ...]
    client_name: str | None
    #: the catalog scopes asked for (OpenID Connect's need no registration); ``None``:
    #: the registry's default
    scopes: frozenset[str] | None
    client_uri: str | None
    logo_uri: str | None
    policy_uri: str | None
    #: RFC 7592 §2.2: an update names its client, and may repeat its secret
    client_id: str | None = None
    client_secret: str | None = None

    @property
    def public(self) -> bool:
        return self.auth_method == "none"


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise InvalidClientMetadata(f"the member {key[:60]!r} is given twice")
        seen[key] = value
    return seen


def _no_constant(name: str) -> Any:
    raise InvalidClientMetadata(f"{name} is not a JSON value")


def parse_document(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object (RFC 7591 §3.1), or :class:`InvalidClientMetadata`:
    not UTF-8 JSON, not an object, a member twice, NaN, nested too deep, too large."""
    if len(body) > MAX_DOCUMENT_BYTES:
        raise InvalidClientMetadata(f"the request body is larger than {MAX_DOCUMENT_BYTES} bytes")
    try:
        document = json.loads(
            body.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_no_constant
        )
    except InvalidClientMetadata:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidClientMetadata(
            "the request body must be a JSON object (RFC 7591 §3.1)"
        ) from None
    if not isinstance(document, dict):
        raise InvalidClientMetadata("the request body must be a JSON object (RFC 7591 §3.1)")
    return document


def _text(document: Mapping[str, Any], name: str) -> str | None:
    value = document.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise field_error(name, f"{name} must be a string")
    if not storable(value):
        raise field_error(name, f"{name} must be UTF-8 text without NUL characters")
    return value


def _texts(document: Mapping[str, Any], name: str) -> tuple[str, ...] | None:
    value = document.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise field_error(name, f"{name} must be an array of strings")
    if len(value) > MAX_LIST:
        raise field_error(name, f"{name} may have at most {MAX_LIST} values")
    if not all(storable(v) for v in value):
        raise field_error(name, f"{name} must be UTF-8 text without NUL characters")
    return tuple(value)


def field_error(field: str, description: str) -> InvalidClientMetadata | InvalidRedirectUri:
    """RFC 7591 §3.2.2: ``invalid_redirect_uri`` for the redirect URIs, else
    ``invalid_client_metadata``."""
    if field == "redirect_uris":
        return InvalidRedirectUri(description)
    return InvalidClientMetadata(description)


def _response_types(given: tuple[str, ...] | None, grants: frozenset[str]) -> tuple[str, ...]:
    """RFC 7591 §2.1: each response type needs its grant (``code``: authorization_code;
    ``token``, ``id_token``: implicit), and those grants need a response type. Without
    ``response_types``, those the grants call for."""
    if given is None:
        derived = ["code"] if "authorization_code" in grants else []
        return (*derived, *(["token"] if "implicit" in grants else []))
    chosen = tuple(dict.fromkeys(normalize_response_type(t) or "" for t in given))
    unknown = next((t for t in chosen if t not in RESPONSE_TYPES), None)
    if unknown is not None:
        raise InvalidClientMetadata(
            f"unknown response type {unknown[:40]!r}; choose from "
            + ", ".join(sorted(RESPONSE_TYPES, key=len))
        )
    needed = {g for t in chosen for g in grants_for(t)}
    if needed - grants:
        raise InvalidClientMetadata(
            f"response_types need the grant types {', '.join(sorted(needed - grants))} "
            "(RFC 7591 §2.1)"
        )
    for grant in ("authorization_code", "implicit"):
        if grant in grants and grant not in needed:
            raise InvalidClientMetadata(
                f"the grant type {grant} needs a response type that uses it (RFC 7591 §2.1)"
            )
    return chosen


def read_metadata(document: Mapping[str, Any], *, update: bool = False) -> ClientMetadata:
    """The registration (or, with ``update``, RFC 7592 §2.2 update) request, typed."""
    method = _text(document, "token_endpoint_auth_method") or DEFAULT_AUTH_METHOD
    if method not in AUTH_METHODS:
        raise InvalidClientMetadata(
            f"token_endpoint_auth_method {method[:40]!r} is not supported; choose from "
            + ", ".join(AUTH_METHODS)
        )
    grants = _texts(document, "grant_types")
    grant_types = ("authorization_code",) if grants is None else grants
    named = frozenset(GRANT_ALIASES.get(g, g) for g in grant_types)
    scope = _text(document, "scope")
    scopes = None
    if scope is not None and scope.strip():
        scopes = frozenset(s for s in scope.split(" ") if s) - OIDC_SCOPE_NAMES
    return ClientMetadata(
        redirect_uris=_texts(document, "redirect_uris") or (),
        auth_method=method,
        grant_types=grant_types,
        response_types=_response_types(_texts(document, "response_types"), named),
        client_name=_text(document, "client_name"),
        scopes=scopes,
        client_uri=_text(document, "client_uri"),
        logo_uri=_text(document, "logo_uri"),
        policy_uri=_text(document, "policy_uri"),
        client_id=_text(document, "client_id") if update else None,
        client_secret=_text(document, "client_secret") if update else None,
    )


def client_information(
    client: Client,
    *,
    auth_method: str,
    response_types: tuple[str, ...],
    registration_access_token: str,
    registration_client_uri: str,
    client_secret: str | None = None,
) -> dict[str, Any]:
    """RFC 7591 §3.2.1 and RFC 7592 §3: the client as registered (which may differ from
    what was asked: the registry may add ``refresh_token``), with what manages it.
    ``client_secret`` only when it was just issued: only its digest is stored."""
    body: dict[str, Any] = {
        "client_id": client.client_id,
        "client_id_issued_at": client.created_at,
    }
    if client_secret is not None:
        body["client_secret"] = client_secret
    if not client.is_public:
        body["client_secret_expires_at"] = 0  # §3.2.1: 0, it does not expire
    body.update(
        {
            "client_name": client.name,
            "redirect_uris": list(client.redirect_uris),
            "token_endpoint_auth_method": "none" if client.is_public else auth_method,
            "grant_types": sorted(client.grant_types),
            "response_types": list(response_types),
            "scope": format_scope(client.scopes),
        }
    )
    for name, value in (
        ("client_uri", client.homepage_url),
        ("logo_uri", client.logo_url),
        ("policy_uri", client.privacy_url),
    ):
        if value is not None:
            body[name] = value
    body["registration_access_token"] = registration_access_token
    body["registration_client_uri"] = registration_client_uri
    return body


__all__ = [
    "AUTH_METHODS",
    "DEFAULT_AUTH_METHOD",
    "MAX_DOCUMENT_BYTES",
    "ClientMetadata",
    "client_information",
    "field_error",
    "parse_document",
    "read_metadata",
]
