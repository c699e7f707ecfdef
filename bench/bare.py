"""The ceiling for ``make bench``: the smallest ASGI app, on the server stack authgate uses.

Served by uvicorn with uvloop and httptools, exactly like ``authgate serve``, it answers
every request with a small JSON body and does nothing else (a request's body is read to
its end first, as any endpoint must). Whatever authgate achieves is measured as a fraction
of its ``GET /``; its form ``POST`` is shown beside it, the ceiling of the POST endpoints.

    python -m uvicorn bench.bare:app --loop uvloop --http httptools   (from the repo root)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]

BODY = b'{"ok":true}'
START: Message = {
    "type": "http.response.start",
    "status": 200,
    "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(BODY)).encode("ascii")),
    ],
}
END: Message = {"type": "http.response.body", "body": BODY}


async def app(
    scope: Message,
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    more = scope["method"] == "POST"
    while more:
        more = (await receive()).get("more_body", False)
    await send(START)
    await send(END)
