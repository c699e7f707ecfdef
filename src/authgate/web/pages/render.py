"""Page rendering with the security headers every page carries."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse, RedirectResponse, Response

from authgate.settings import Settings

TEMPLATES = Path(__file__).parent.parent / "templates"
STATIC_PATH = "/static/authgate.css"


def page_headers(settings: Settings) -> dict[str, str]:
    """CSP with ``frame-ancestors`` (default 'none'), matching X-Frame-Options, no referrer."""
    ancestors = " ".join(settings.frame_ancestors) or "'none'"
    img = "'self' data:"
    if settings.logo_url and settings.logo_url.startswith("https://"):
        parts = urlsplit(settings.logo_url)
        img += f" https://{parts.netloc}"
    csp = (
        f"default-src 'none'; style-src 'self'; img-src {img}; "
        f"base-uri 'none'; frame-ancestors {ancestors}"
    )
    headers = {
        "Content-Security-Policy": csp,
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    # X-Frame-Options cannot name several origins; with an allow-list, CSP decides alone.
    if not settings.frame_ancestors:
        headers["X-Frame-Options"] = "DENY"
    return headers


class Pages:
    def __init__(self, settings: Settings) -> None:
        self._env = Environment(
            loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"])
        )
        self.headers = page_headers(settings)
        self._globals = {
            "platform_name": settings.platform_name,
            "logo_url": settings.logo_url,
            "static_url": STATIC_PATH,
        }

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        html = self._env.get_template(template).render(**self._globals, **context)
        return HTMLResponse(html, status_code=status_code, headers=self.headers)

    def redirect(self, url: str, status_code: int = 303) -> Response:
        return RedirectResponse(url, status_code=status_code, headers=self.headers)

    def error(self, title: str, message: str, status_code: int = 400) -> HTMLResponse:
        return self.render("error.html", status_code, title=title, message=message)
