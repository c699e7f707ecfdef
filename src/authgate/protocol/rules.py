"""What registration accepts: the one set of rules for apps (clients) and accounts (users).

The CLI, the developer portal and the account pages (and the admin API and dynamic
registration when they come) all check values here, so that they never disagree. Each
check returns the normalized value or raises :class:`RegistrationError`, whose ``field``
names the form field the message belongs to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from authgate.domain import GRANT_ALIASES, TOKEN_EXCHANGE
from authgate.errors import InvalidRequest
from authgate.protocol.redirect_uris import LOOPBACK_HOSTS, validate_redirect_uri
from authgate.protocol.scopes import format_scope
from authgate.text import is_unicode, storable

#: the longest description of an app, in characters
DESCRIPTION_CHARS = 1000
#: the longest URL stored (homepage, logo, privacy policy, redirect URI, picture)
URL_CHARS = 2000
#: RFC 8252 §7.1: a private-use scheme is a reverse domain name, "com.example.app"
_PRIVATE_SCHEME = re.compile(r"[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+")
#: what CSP can name as a host-source (CSP3 §2.3.1: no IPv6 literals, no userinfo)
CSP_HOST = re.compile(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?")
#: grants that use the client's secret (or, for a public client, its id) at the token
#: endpoint; the implicit flow never does
_TOKEN_ENDPOINT_GRANTS = frozenset(
    {"authorization_code", "client_credentials", "password", "refresh_token", TOKEN_EXCHANGE}
)


class RegistrationError(InvalidRequest):
    """A registration value is not acceptable; the message says which and why, and
    ``field`` names the form field it is about (``None``: the form as a whole)."""

    def __init__(self, description: str = "", *, field: str | None = None) -> None:
        super().__init__(description)
        self.field = field


def _control(text: str, *, newlines: bool = False) -> bool:
    allowed = "\n" if newlines else ""
    return any((ord(c) < 0x20 and c not in allowed) or c == "\x7f" for c in text)


# ---------------------------------------------------------------------------- apps


def client_name(value: str) -> str:
    name = value.strip()
    if not name or len(name) > 200:
        raise RegistrationError("a client needs a name of 1 to 200 characters", field="name")
    if not storable(name):
        raise RegistrationError(
            "the client name must be UTF-8 text without NUL characters", field="name"
        )
    if _control(name):
        raise RegistrationError("the client name must not contain control characters", field="name")
    return name


def description(value: str | None) -> str | None:
    """What the app does, for its users: at most 1000 characters; ``""`` clears it."""
    text = (value or "").replace("\r\n", "\n").strip()
    if len(text) > DESCRIPTION_CHARS:
        raise RegistrationError(
            f"the description must have at most {DESCRIPTION_CHARS} characters",
            field="description",
        )
    if not storable(text) or _control(text, newlines=True):
        raise RegistrationError(
            "the description must be UTF-8 text without control characters", field="description"
        )
    return text or None


def _url_text(value: str, field: str, what: str) -> str:
    text = value.strip()
    if len(text) > URL_CHARS or any(c.isspace() for c in text) or _control(text):
        raise RegistrationError(
            f"the {what} must be a URL of at most {URL_CHARS} characters, without spaces",
            field=field,
        )
    if not is_unicode(text):
        raise RegistrationError(f"the {what} is not valid UTF-8 text", field=field)
    return text


def page_url(value: str | None, field: str, what: str) -> str | None:
    """A page users may open (the homepage, the privacy policy): ``https://`` (plain
    ``http://`` only on loopback); ``""`` clears it."""
    text = _url_text(value or "", field, what)
    if not text:
        return None
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError:
        raise RegistrationError(f"the {what} is not a valid URL", field=field) from None
    loopback = parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS
    if (parts.scheme != "https" and not loopback) or not parts.hostname:
        raise RegistrationError(
            f"the {what} must start with https:// (plain http only on loopback)", field=field
        )
    if parts.username is not None or parts.password is not None:
        raise RegistrationError(f"the {what} must not contain a user name or password", field=field)
    return text


def logo_url(value: str | None) -> str | None:
    """An image the pages show (never fetched by the server): ``https://`` on a host name
    that a Content-Security-Policy can name, or a ``/path`` on this server; ``""`` clears it."""
    field, what = "logo_url", "logo URL"
    text = _url_text(value or "", field, what)
    if not text:
        return None
    if text.startswith("/"):
        if text.startswith("//") or "\\" in text:
            raise RegistrationError("a logo path must start with a single /", field=field)
        return text
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018
    except ValueError:
        raise RegistrationError(f"the {what} is not a valid URL", field=field) from None
    if parts.scheme != "https" or not parts.netloc or not CSP_HOST.fullmatch(parts.netloc):
        raise RegistrationError(
            "the logo URL must be https://host/... (a host name, not an IP address of "
            "IPv6 form) or a /path on this server",
            field=field,
        )
    return text


def redirect_uri(value: str) -> str:
    """A redirect URI that may be registered: what :func:`validate_redirect_uri` accepts
    (https, loopback http on any port, no fragment, no credentials, no script schemes),
    and besides http(s) only private-use schemes of native apps (RFC 8252 §7.1: a reverse
    domain name such as ``com.example.app:/callback``)."""
    uri = value.strip()
    try:
        validate_redirect_uri(uri)
    except InvalidRequest as exc:
        raise RegistrationError(exc.description, field="redirect_uris") from None
    scheme = uri.split(":", 1)[0].lower()
    if scheme not in {"http", "https"} and not _PRIVATE_SCHEME.fullmatch(scheme):
        raise RegistrationError(
            f"redirect URI scheme {scheme[:40]!r} is not allowed: use https://, http:// on "
            "a loopback address, or a native app's private-use scheme named like a reverse "
            "domain (com.example.app:/callback, RFC 8252 §7.1)",
            field="redirect_uris",
        )
    return uri


def redirect_uris(values: Iterable[str]) -> tuple[str, ...]:
    """Each URI checked, blank lines dropped, each once, in the order given."""
    return tuple(dict.fromkeys(redirect_uri(v) for v in values if v.strip()))


def grant_choice(grants: Iterable[str], *, public: bool) -> frozenset[str]:
    """The combination of grants a client is registered with (names already known):

    - ``refresh_token`` is not a flow of its own: it continues an authorization code or
      password grant (RFC 6749 §1.5),
    - a public client cannot use ``client_credentials`` (RFC 6749 §4.4: confidential
      clients only),
    - a client that only uses the implicit flow gets its tokens in the browser and never
      presents a secret: it is public (RFC 6749 §2.1, §4.2).
    """
    chosen = frozenset(GRANT_ALIASES.get(g, g) for g in grants)
    if not chosen:
        raise RegistrationError("a client needs at least one grant type", field="grant_types")
    if "refresh_token" in chosen and not chosen & {"authorization_code", "password"}:
        raise RegistrationError(
            "refresh_token is not a flow of its own: choose it with authorization_code or "
            "password, whose refresh tokens it redeems",
            field="grant_types",
        )
    if public and "client_credentials" in chosen:
        raise RegistrationError(
            "a public client cannot use client_credentials", field="grant_types"
        )
    if not public and not chosen & _TOKEN_ENDPOINT_GRANTS:
        raise RegistrationError(
            "a client that only uses the implicit flow never uses a secret: register it as "
            "public (--public)",
            field="client_type",
        )
    return chosen


def scope_choice(scopes: Iterable[str], catalog: Mapping[str, str]) -> frozenset[str]:
    """Scopes of the catalog; at least one when the catalog has any."""
    chosen = frozenset(scopes)
    unknown = chosen - set(catalog)
    if unknown:
        raise RegistrationError(
            f"unknown scope {sorted(unknown)[0][:80]!r}; the catalog has "
            f"{format_scope(catalog) or 'no scopes'}",
            field="scopes",
        )
    if not chosen and catalog:
        raise RegistrationError(
            f"choose at least one scope: {format_scope(catalog)} (the OpenID Connect scopes "
            "openid, profile, email and phone need not be chosen)",
            field="scopes",
        )
    return chosen


# ---------------------------------------------------------------------------- accounts

#: RFC 9700 has no number; NIST SP 800-63B §5.1.1.2 asks for at least 8 characters
PASSWORD_MIN = 8
PASSWORD_MAX = 1024


def password(value: str, field: str = "password") -> str:
    """8 to 1024 characters, not only spaces, kept exactly as typed."""
    if not PASSWORD_MIN <= len(value) <= PASSWORD_MAX:
        raise RegistrationError(
            f"the password must have {PASSWORD_MIN} to {PASSWORD_MAX} characters", field=field
        )
    if not value.strip():
        raise RegistrationError("the password must not be only spaces", field=field)
    if not is_unicode(value):
        raise RegistrationError("the password is not valid UTF-8 text", field=field)
    return value


def email(value: str) -> str:
    """An e-mail address (the login name), stored lowercased in a column of 320."""
    text = value.strip()
    local, at, domain = text.rpartition("@")
    if (
        not at
        or not local
        or not domain
        or len(text.lower()) > 320
        or any(c.isspace() for c in text)
        or _control(text)
        or not storable(text)
    ):
        raise RegistrationError(f"{text[:320]!r} is not an e-mail address", field="email")
    return text


def person_name(value: str, field: str = "name") -> str:
    """A user's display name: at most 200 characters; may be empty."""
    text = value.strip()
    if len(text) > 200:
        raise RegistrationError("the name must have at most 200 characters", field=field)
    if not storable(text):
        raise RegistrationError("the name must be UTF-8 text without NUL characters", field=field)
    if _control(text):
        raise RegistrationError("the name must not contain control characters", field=field)
    return text
