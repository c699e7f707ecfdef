"""The ceiling for ``make bench``: the smallest ASGI app, on the server stack authgate uses.

Served by uvicorn with uvloop and httptools, exactly like ``authgate serve``, it answers
every request with a small JSON body and does nothing else (a request's body is read to
its end first, as any endpoint must). Whatever authgate achieves is measured as a fraction
of its ``GET /``; its form ``POST`` is shown beside it, the ceiling of the POST endpoints,
and its ``GET /document``, the ceiling of a published document: the provider metadata's
size and the very headers authgate sends with it (seven instead of three, which the server
validates and writes one by one).

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

#: a document as large as the provider metadata, with its response's headers
DOCUMENT = b'{"document":"' + b"x" * 1600 + b'"}'
DOCUMENT_START: Message = {
    "type": "http.response.start",
    "status": 200,
    "headers": [
        (b"content-type", b"application/json"),
        (b"cache-control", b"public, max-age=3600"),
        (b"etag", b'"246c7f8b4ab5e595e771e43e7e29c88f"'),
        (b"access-control-allow-origin", b"*"),
        (b"content-length", str(len(DOCUMENT)).encode("ascii")),
        (b"x-request-id", b"583322cb5c22-1"),
    ],
}
DOCUMENT_END: Message = {"type": "http.response.body", "body": DOCUMENT}


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
    if scope["path"] == "/document":
        await send(DOCUMENT_START)
        await send(DOCUMENT_END)
        return
    await send(START)
    await send(END)
