"""authgate: an OAuth 2.0 authorization server for API platforms.

Mount it in your own ASGI app, or run ``authgate serve``::

    from authgate import Settings, create_app

    app = create_app(Settings(database_url="sqlite:///data/authgate.db"))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authgate.settings import Settings, load_settings

if TYPE_CHECKING:
    from authgate.web.app import create_app

__all__ = ["Settings", "create_app", "load_settings"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """``create_app`` is imported on first use: the CLI, which imports this package, starts
    without loading the web stack."""
    if name == "create_app":
        from authgate.web.app import create_app

        return create_app
    raise AttributeError(f"module 'authgate' has no attribute {name!r}")
