"""Redirect URIs allowed at registration (RFC 6749 §3.1.2, RFC 8252 §7.3, RFC 9700 §2.1)."""

from __future__ import annotations

from urllib.parse import urlsplit

from authgate.errors import InvalidRequest

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
_FORBIDDEN_SCHEMES = frozenset({"javascript", "data", "vbscript", "file"})


def validate_redirect_uri(uri: str) -> str:
    """Return ``uri`` if it may be registered, else raise :class:`InvalidRequest`.

    §3.1.2: the URI MUST be absolute and MUST NOT include a fragment. Plain ``http`` is
    allowed only for loopback addresses (native apps); custom schemes (``com.app:/cb``)
    are allowed for native apps, script-bearing ones are not.
    """
    if len(uri) > 2000 or any(c.isspace() or ord(c) < 0x20 for c in uri):
        raise InvalidRequest(f"redirect URI {uri[:80]!r} is too long or contains spaces")
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


def _is_loopback(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme == "http" and (parts.hostname or "") in {"127.0.0.1", "::1"}


def _without_port(uri: str) -> tuple[str, str, str, str]:
    parts = urlsplit(uri)
    return parts.scheme, parts.hostname or "", parts.path, parts.query


def redirect_uri_matches(requested: str, registered: str, rule: str) -> bool:
    """Does ``requested`` match one registered URI?

    - ``exact`` (RFC 9700 §4.1.3): simple string comparison,
    - ``host_and_path`` (seed 003, Redbooth): same scheme, host, port and path; the query
      may differ,
    - loopback IP redirects match on any port (RFC 8252 §7.3) under either rule.
    """
    try:
        if _is_loopback(registered) and _is_loopback(requested):
            a, b = _without_port(requested), _without_port(registered)
            if rule == "host_and_path":
                return a[:3] == b[:3]
            return a == b
        if rule == "host_and_path":
            req, reg = urlsplit(requested), urlsplit(registered)
            return not req.fragment and (req.scheme, req.netloc.lower(), req.path) == (
                reg.scheme,
                reg.netloc.lower(),
                reg.path,
            )
    except ValueError:
        return False
    return requested == registered
