"""Around the whole API, in ASGI: what every answer shares.

- ``Cache-Control: no-store`` on every answer (one may hold a secret; all are an operator's
  view of live data).
- An ``ETag`` on every successful read that has none of its own (lists, sessions, grants):
  a digest of the body. Resources with a revision set theirs (``etags.py``).
- A bug stops here: Starlette's server-error middleware answers it with the JSON
  ``server_error`` (errors.py) and then raises it again for a server to log; it was logged
  and answered already, so it does not reach the outer app (whose error page is for people).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from authgate.web.admin_api.etags import body_tag

NO_STORE = (b"cache-control", b"no-store")


class AdminEdge:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        held: Message | None = None
        chunks: list[bytes] = []
        reading = scope["method"] == "GET"

        async def forward(message: Message) -> None:
            nonlocal started, held
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", ()))
                names = {name.lower() for name, _ in headers}
                if b"cache-control" not in names:
                    headers.append(NO_STORE)
                message = {**message, "headers": headers}
                if reading and message["status"] == 200 and b"etag" not in names:
                    held = message  # until the body is complete
                    return
            elif held is not None and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = b"".join(chunks)
                start, held = held, None
                start["headers"].append((b"etag", body_tag(body).encode()))
                await send(start)
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        try:
            await self.app(scope, receive, forward)
        except Exception:
            if not started:
                raise
