"""Page rendering with the security headers every page carries."""

from __future__ import annotations

from collections.abc import Sequence
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


class Pages:
    """Renders the pages of each issuer, with the headers its framing rules give them."""

    def __init__(self, settings: Settings, framing: Framing) -> None:
        self._env = Environment(
            loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"])
        )
        self._settings = settings
        self.framing = framing
        self._default_headers = page_headers(settings, framing.default)
        self._globals = {
            "platform_name": settings.platform_name,
            "logo_url": settings.logo_url,
            "static_url": STATIC_PATH,
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

    def redirect(self, issuer: Issuer, url: str, status_code: int = 303) -> Response:
        return RedirectResponse(url, status_code=status_code, headers=self.headers(issuer))

    def error(
        self, issuer: Issuer, title: str, message: str, status_code: int = 400
    ) -> HTMLResponse:
        return self.render(issuer, "error.html", status_code, title=title, message=message)
