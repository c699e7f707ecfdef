"""RFC 8252 §7.3: the loopback redirect of a native app. A one-shot HTTP listener on
``127.0.0.1`` receives the browser's redirect back (the code, or the error) and answers
it with a short page; then it stops."""

from __future__ import annotations

import html
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body style="font-family: sans-serif; max-width: 32em; margin: 4em auto">
<h1>{title}</h1><p>{text}</p></body></html>
"""


class _Server(HTTPServer):
    def __init__(self, address: tuple[str, int], path: str) -> None:
        self.path = path
        self.callback: str | None = None
        self.arrived = threading.Event()
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        params = parse_qs(parts.query)
        if parts.path != self.server.path or not ({"code", "error"} & params.keys()):
            self._answer(404, "Not found", "This address only receives the sign-in redirect.")
            return
        if self.server.callback is None:
            host, port = self.server.server_address[:2]
            self.server.callback = f"http://{host!s}:{port}{self.path}"
            self.server.arrived.set()
        if "error" in params:
            reason = params.get("error_description", params["error"])[0]
            self._answer(200, "Sign-in not completed", html.escape(reason))
        else:
            self._answer(200, "Signed in", "You can close this window and return to the terminal.")

    def _answer(self, status: int, title: str, text: str) -> None:
        body = PAGE.format(title=html.escape(title), text=text).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the request line holds the authorization code."""


class LoopbackListener:
    """Listens on ``http://127.0.0.1:{port}{path}`` (``port=0``: any free port, which
    RFC 8252 §7.3 says the server must accept). Register the client with the redirect
    URI ``http://127.0.0.1/callback`` (authgate matches loopback URIs on all but the port).
    """

    def __init__(self, port: int = 0, path: str = "/callback", host: str = "127.0.0.1") -> None:
        self._server = _Server((host, port), path)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def redirect_uri(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{self._server.path}"

    def wait(self, timeout: float | None = None) -> str | None:
        """The full URL the browser was redirected to; ``None`` after ``timeout`` seconds."""
        if not self._server.arrived.wait(timeout):
            return None
        return self._server.callback

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LoopbackListener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
