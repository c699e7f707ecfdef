"""authgate: an OAuth 2.0 authorization server for API platforms.

Mount it in your own ASGI app, or run ``authgate serve``::

    from authgate import Settings, create_app

    app = create_app(Settings(database_url="sqlite:///data/authgate.db"))
"""

from __future__ import annotations

from authgate.settings import Settings, load_settings
from authgate.web.app import create_app

__all__ = ["Settings", "create_app", "load_settings"]
__version__ = "0.1.0"
