"""Page rendering with the security headers every page carries."""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse, RedirectResponse, Response

from authgate.protocol.context import Issuer
from authgate.settings import Settings
from authgate.web.pages.framing import Framing

TEMPLATES = Path(__file__).parent.parent / "templates"
STATIC_PATH = "/static/authgate.css"
COPY_SCRIPT = "/static/copy.js"
FAVICON = "/static/favicon.svg"
#: what CSP can name as a host-source (CSP3 §2.3.1: no IPv6 literals, no userinfo)
_CSP_HOST = re.compile(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?")


def image_source(url: str | None) -> str | None:
    """The CSP ``img-src`` source that allows ``url`` (an app's logo, a user's picture):
    its origin; ``None`` for a local ``/path`` (already ``'self'``) or a URL no source can
    name, whose image the browser then does not load."""
    if not url or url.startswith("/"):
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not _CSP_HOST.fullmatch(parts.netloc):
        return None
    return f"{parts.scheme}://{parts.netloc}"


def page_headers(settings: Settings, ancestors: Sequence[str]) -> dict[str, str]:
    """CSP with ``frame-ancestors`` (``'none'`` without origins), matching X-Frame-Options,
    no referrer."""
    frame = " ".join(ancestors) or "'none'"
    img = "'self' data:"
    if settings.logo_url and settings.logo_url.startswith("https://"):
        parts = urlsplit(settings.logo_url)
        img += f" https://{parts.netloc}"
    csp = (
        f"default-src 'none'; style-src 'self'; img-src {img}; "
        f"base-uri 'none'; frame-ancestors {frame}"
    )
    headers = {
        "Content-Security-Policy": csp,
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    # X-Frame-Options cannot name several origins; with an allow-list, CSP decides alone.
    if not ancestors:
        headers["X-Frame-Options"] = "DENY"
    return headers


def when(timestamp: int | None) -> str:
    """A time as people read it: ``2026-12-01 15:43 UTC``."""
    if timestamp is None:
        return "never"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def iso(timestamp: int | None) -> str:
    """A time for ``<time datetime>``."""
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def duration(seconds: int) -> str:
    """``3600`` → ``1 hour``; the largest unit that divides it, else seconds."""
    for size, unit in ((31536000, "year"), (86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def ago(timestamp: int | None, now: float) -> str:
    """``5 minutes ago``, ``yesterday``, ``12 days ago``; the date after a year."""
    if timestamp is None:
        return "never"
    seconds = max(0, int(now) - timestamp)
    if seconds < 60:
        return "just now"
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = seconds // size
            if unit == "day" and count == 1:
                return "yesterday"
            if unit == "day" and count > 365:
                return when(timestamp)
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return when(timestamp)  # pragma: no cover


class Pages:
    """Renders the pages of each issuer, with the headers its framing rules give them."""

    def __init__(
        self, settings: Settings, framing: Framing, clock: Callable[[], float] = time.time
    ) -> None:
        self._env = Environment(
            loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"])
        )
        self._env.filters.update(
            when=when,
            iso=iso,
            duration=duration,
            shell=shlex.quote,
            ago=lambda timestamp: ago(timestamp, clock()),
        )
        self._settings = settings
        self.framing = framing
        self._default_headers = page_headers(settings, framing.default)
        self._globals = {
            "platform_name": settings.platform_name,
            "logo_url": settings.logo_url,
            "static_url": STATIC_PATH,
            "copy_script": COPY_SCRIPT,
            "favicon_url": FAVICON,
        }

    def headers(self, issuer: Issuer) -> dict[str, str]:
        ancestors = self.framing.ancestors(issuer)
        if ancestors == self.framing.default:
            return self._default_headers
        return page_headers(self._settings, ancestors)

    def render(
        self, issuer: Issuer, template: str, status_code: int = 200, /, **context: Any
    ) -> HTMLResponse:
        html = self._env.get_template(template).render(**self._globals, **context)
        return HTMLResponse(html, status_code=status_code, headers=self.headers(issuer))

    def render_page(
        self,
        issuer: Issuer,
        template: str,
        status_code: int = 200,
        /,
        *,
        images: Iterable[str | None] = (),
        script: bool = False,
        own_forms: bool = True,
        **context: Any,
    ) -> HTMLResponse:
        """A page whose ``images`` (apps' logos, people's pictures; never fetched by the
        server) may load; with ``own_forms`` its forms post only here and are redirected
        only here (``form-action 'self'``: not the consent page, whose answer redirects to
        the app), with ``script`` the same-origin copy-button script may run."""
        page = self.render(issuer, template, status_code, **context)
        csp = page.headers["Content-Security-Policy"]
        sources = sorted({s for s in map(image_source, images) if s is not None})
        if sources:
            csp = csp.replace("img-src 'self' data:", "img-src 'self' data: " + " ".join(sources))
        if own_forms:
            csp += "; form-action 'self'"
        if script:
            csp += "; script-src 'self'"
        page.headers["Content-Security-Policy"] = csp
        return page

    def redirect(self, issuer: Issuer, url: str, status_code: int = 303) -> Response:
        return RedirectResponse(url, status_code=status_code, headers=self.headers(issuer))

    def error(
        self,
        issuer: Issuer,
        title: str,
        message: str,
        status_code: int = 400,
        *,
        from_link: bool = True,
    ) -> HTMLResponse:
        """An error page; ``from_link``: it answers a link that came from an app (the
        authorization endpoint's), which the page's small print speaks to."""
        return self.render(
            issuer, "error.html", status_code, title=title, message=message, from_link=from_link
        )
