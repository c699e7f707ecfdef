"""What an authorization request and its response are (RFC 6749 §4.1.1, §4.1.2, §4.2.2;
OAuth 2.0 Multiple Response Type Encoding Practices; OpenID Connect Core §3.1.2.1).

The endpoint that validates and answers them is :mod:`authgate.protocol.authorize`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlencode, urlsplit, urlunsplit

from authgate.domain import BEARER, Client, TokenTypeName
from authgate.errors import (
    InvalidRequest,
    OAuthError,
)
from authgate.protocol.requests import Params

#: RFC 6749 §3.1.1 and OAuth 2.0 Multiple Response Type Encoding Practices §3-5: the
#: response types, written with their values sorted (the order in a request is free).
RESPONSE_TYPES = frozenset(
    {
        "code",
        "token",
        "id_token",
        "id_token token",
        "code id_token",
        "code token",
        "code id_token token",
    }
)
#: OAuth 2.0 Multiple Response Type Encoding Practices §2.1 and Form Post Response Mode §2.
ResponseMode = Literal["query", "fragment", "form_post"]
RESPONSE_MODES: frozenset[str] = frozenset({"query", "fragment", "form_post"})
PROMPTS = frozenset({"none", "login", "consent", "select_account"})
MAX_HINT = 320


def normalize_response_type(value: str | None) -> str | None:
    """``"token id_token"`` and ``"id_token token"`` are the same response type."""
    if value is None:
        return None
    return " ".join(sorted(value.split(" ")))


def grants_for(response_type: str) -> tuple[str, ...]:
    """The grant types a client must be registered for to use ``response_type``: the
    code flow for a code, the implicit grant for anything sent in the fragment."""
    parts = response_type.split()
    needed = ["authorization_code"] if "code" in parts else []
    if "token" in parts or "id_token" in parts:
        needed.append("implicit")
    return tuple(needed)


def response_types_for(offered: Collection[str]) -> list[str]:
    """The response types whose grants are all ``offered``, shortest first (discovery)."""
    usable = (t for t in RESPONSE_TYPES if set(grants_for(t)) <= set(offered))
    return sorted(usable, key=lambda t: (len(t), t))


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
    #: normalized: its values sorted, e.g. "code id_token"
    response_type: str
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
    #: OpenID Connect Core §3.1.2.1: seconds since sign-in after which the user must
    #: sign in again
    max_age: int | None = None
    login_hint: str | None = None
    #: the ``sub`` of a valid ``id_token_hint``
    hint_subject: str | None = None

    def needs_login(self, auth_time: int, now: int) -> bool:
        """Whether the signed-in user must sign in again first (Core §3.1.2.1 ``prompt``
        and ``max_age``)."""
        if "login" in self.prompt or "select_account" in self.prompt:
            return True
        return self.max_age is not None and now - auth_time > self.max_age


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
    #: RFC 6749 §3.3 without a default scope: a request without ``scope`` is refused
    require_scope: bool = False
    #: §4.2.2 ``token_type`` of implicit responses, as the server spells it (§7.1)
    token_type: TokenTypeName = BEARER


def build_redirect(redirect_uri: str, values: Mapping[str, str], *, fragment: bool) -> str:
    """Add ``values`` to the redirect URI's query (or fragment for implicit, §4.2.2)."""
    parts = urlsplit(redirect_uri)
    if fragment:
        return urlunsplit(parts._replace(fragment=urlencode(values)))
    query = f"{parts.query}&{urlencode(values)}" if parts.query else urlencode(values)
    return urlunsplit(parts._replace(query=query))


def authorization_response(
    redirect_uri: str, values: Mapping[str, str | int | None], mode: ResponseMode
) -> AuthorizationResponse:
    clean = {k: str(v) for k, v in values.items() if v is not None}
    return AuthorizationResponse(redirect_uri, clean, mode)


def response_mode_for(response_type: str | None, requested: str | None) -> ResponseMode:
    """The requested mode when it is allowed, else the response type's default (Multiple
    Response Type Encoding Practices §5: tokens never go in the query)."""
    in_fragment = response_type in RESPONSE_TYPES and response_type != "code"
    if requested in RESPONSE_MODES and not (requested == "query" and in_fragment):
        return requested  # type: ignore[return-value]
    return "fragment" if in_fragment else "query"


def parse_max_age(value: str | None) -> int | None:
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 10:
        raise InvalidRequest("max_age must be a number of seconds")
    return int(value)
