"""What a space and its members may hold, checked before anything is stored.

Each check returns the normalized value or raises :class:`ValueError` with the message
the command prints.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from authgate.protocol.redirect_uris import LOOPBACK_HOSTS
from authgate.text import is_unicode

_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_PORT = re.compile(r"[1-9][0-9]{0,4}")
#: OpenID Connect Core §5.1 ``phone_number``: E.164 is recommended; we accept it written
#: with spaces or hyphens, and nothing else.
_PHONE = re.compile(r"\+[0-9][0-9 -]*")


def split_port(host: str) -> tuple[str, str | None]:
    name, colon, port = host.partition(":")
    return name, port if colon else None


def domain(value: str, issuer: str, base_domain: str | None) -> str:
    """A custom domain a space's issuer is served on: a lowercase host name (RFC 1123
    labels), optionally ``:PORT``, at most 253 characters. Not the issuer's own host, nor
    under ``base_domain`` (whose subdomains are the spaces' slugs)."""
    text = value.strip().lower()
    scheme = urlsplit(issuer).scheme
    text = text.removesuffix(":443" if scheme == "https" else ":80")  # RFC 9110 §4.2.3
    name, port = split_port(text)
    if (
        len(text) > 253
        or not all(_LABEL.fullmatch(label) for label in name.split("."))
        or (port is not None and not (_PORT.fullmatch(port) and 0 < int(port) <= 65535))
    ):
        raise ValueError(f"{value[:80]!r} is not a host name such as login.example.com[:PORT]")
    own = (urlsplit(issuer).hostname or "").lower()
    if name == own:
        raise ValueError(f"{value[:80]!r} is on the issuer's own host {own!r}")
    if base_domain is not None:
        base, _ = split_port(base_domain)
        if name == base or name.endswith("." + base):
            raise ValueError(
                f"{value[:80]!r} is under base_domain {base_domain!r}, "
                "whose subdomains are the spaces' slugs"
            )
    return text


def picture(value: str) -> str | None:
    """OpenID Connect Core §5.1 ``picture``: a URL of the profile picture, served over
    https (plain http only on loopback), at most 2000 characters. ``""`` clears it."""
    text = value.strip()
    if not text:
        return None
    message = f"picture {text[:80]!r} must be an https:// URL of at most 2000 characters"
    if (
        len(text) > 2000
        or any(c.isspace() or ord(c) < 0x20 or c == "\x7f" for c in text)
        or not is_unicode(text)
    ):
        raise ValueError(message)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError:
        raise ValueError(message) from None
    loopback = parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS
    if (parts.scheme != "https" and not loopback) or not parts.hostname:
        raise ValueError(message + " (plain http only on loopback)")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"picture {text[:80]!r} must not contain credentials")
    return text


def phone(value: str) -> str | None:
    """``+`` then digits, spaces or hyphens, at most 32 characters. ``""`` clears it."""
    text = value.strip()
    if not text:
        return None
    if len(text) > 32 or not _PHONE.fullmatch(text):
        raise ValueError(
            f"phone {text[:40]!r} must be '+' then digits, spaces or hyphens "
            "(at most 32 characters)"
        )
    return text


def name(value: str, what: str = "name") -> str | None:
    """At most 200 characters. ``""`` clears it."""
    text = value.strip()
    if len(text) > 200:
        raise ValueError(f"the {what} must have at most 200 characters")
    if any(ord(c) < 0x20 or c == "\x7f" for c in text):
        raise ValueError(f"the {what} must not contain control characters")
    if not is_unicode(text):
        raise ValueError(f"the {what} is not valid UTF-8 text")
    return text or None
