"""Redirect URIs allowed at registration (RFC 6749 §3.1.2, RFC 8252 §7.3, RFC 9700 §2.1)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from authgate.errors import InvalidRequest
from authgate.text import is_unicode

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
_FORBIDDEN_SCHEMES = frozenset({"javascript", "data", "vbscript", "file"})
#: RFC 8252 §7.3: a loopback IP literal with at most a numeric port, nothing else.
_LOOPBACK_NETLOC = re.compile(r"(127\.0\.0\.1|\[::1\])(?::([0-9]{1,5}))?")


def _unsafe_chars(uri: str) -> bool:
    """Whitespace or control characters, which ``urlsplit`` would silently drop."""
    return any(c.isspace() or ord(c) < 0x20 or c == "\x7f" for c in uri)


def validate_redirect_uri(uri: str) -> str:
    """Return ``uri`` if it may be registered, else raise :class:`InvalidRequest`.

    §3.1.2: the URI MUST be absolute and MUST NOT include a fragment. Plain ``http`` is
    allowed only for loopback addresses (native apps); custom schemes (``com.app:/cb``)
    are allowed for native apps, script-bearing ones are not.
    """
    if len(uri) > 2000 or _unsafe_chars(uri):
        raise InvalidRequest(f"redirect URI {uri[:80]!r} is too long or contains spaces")
    if not is_unicode(uri):
        raise InvalidRequest(f"redirect URI {uri[:80]!r} is not valid UTF-8 text")
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        raise InvalidRequest(f"redirect URI {uri[:80]!r} is not a valid URI") from None
    del port
    scheme = parts.scheme.lower()
    if not scheme:
        raise InvalidRequest(f"redirect URI {uri[:80]!r} must be absolute")
    if "#" in uri:
        raise InvalidRequest(f"redirect URI {uri[:80]!r} must not contain a fragment")
    if scheme in _FORBIDDEN_SCHEMES:
        raise InvalidRequest(f"redirect URI scheme {scheme!r} is not allowed")
    if scheme in {"http", "https"} and not parts.hostname:
        raise InvalidRequest(f"redirect URI {uri[:80]!r} has no host")
    if scheme == "http" and (parts.hostname or "").lower() not in LOOPBACK_HOSTS:
        raise InvalidRequest(
            f"redirect URI {uri[:80]!r} must use https (plain http is only for loopback)"
        )
    if parts.username or parts.password:
        raise InvalidRequest(f"redirect URI {uri[:80]!r} must not contain credentials")
    return uri


def _loopback(uri: str) -> tuple[str, str, str] | None:
    """Host, path and query of an ``http`` loopback IP URI (RFC 8252 §7.3) whose authority
    is only the IP literal and a numeric port; ``None`` for anything else."""
    if "#" in uri or _unsafe_chars(uri):
        return None
    parts = urlsplit(uri)
    match = _LOOPBACK_NETLOC.fullmatch(parts.netloc)
    if parts.scheme != "http" or match is None:
        return None
    if match[2] is not None and int(match[2]) > 65535:
        return None
    return match[1], parts.path, parts.query


def redirect_uri_matches(requested: str, registered: str, rule: str) -> bool:
    """Does ``requested`` match one registered URI?

    - ``exact`` (RFC 9700 §4.1.3): simple string comparison,
    - ``host_and_path`` (seed 003): same scheme, host, port and path; the query
      may differ,
    - loopback IP redirects (RFC 8252 §7.3) under either rule: only the port may differ;
      scheme, host, path (and under ``exact`` the query) are compared exactly.

    Callers first check ``requested`` with :func:`validate_redirect_uri`.
    """
    loopback = _loopback(registered)
    if loopback is not None:
        asked = _loopback(requested)
        if asked is not None:
            return asked[:2] == loopback[:2] if rule == "host_and_path" else asked == loopback
    if rule == "host_and_path":
        try:
            req, reg = urlsplit(requested), urlsplit(registered)
        except ValueError:
            return False
        return not req.fragment and (req.scheme, req.netloc.lower(), req.path) == (
            reg.scheme,
            reg.netloc.lower(),
            reg.path,
        )
    return requested == registered
