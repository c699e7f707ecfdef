"""Which issuer a request is for, resolved once at the edge (seed 001; Discovery §4.1).

The rules are in protocol/issuers.py. Any other ``Host`` is refused with a plain 400, so
that no link, redirect or discovery document is ever built from a host an attacker chose
(Host-header injection).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from authgate.protocol.context import Issuer
from authgate.protocol.issuers import SPACES_PREFIX, IssuerResolver, valid_slug

Scope = MutableMapping[str, Any]
__all__ = [
    "SPACES_PREFIX",
    "IssuerResolver",
    "Scope",
    "bad_host",
    "host_of",
    "issuer_of",
    "resolve_request",
    "valid_slug",
]


def issuer_of(scope: Scope) -> Issuer:
    """The issuer the middleware resolved for this request."""
    issuer: Issuer = scope["state"]["issuer"]
    return issuer


def host_of(scope: Scope) -> bytes:
    for name, value in scope["headers"]:
        if name == b"host":
            return bytes(value)
    return b""


async def resolve_request(resolver: IssuerResolver, scope: Scope, send: Any) -> Issuer | None:
    """Resolve the issuer of an HTTP request into ``scope`` (or answer 400 and return
    ``None``). A ``/spaces/{slug}`` prefix becomes the ASGI ``root_path``, so that one
    route table serves every issuer."""
    path = scope["path"]
    issuer = await resolver.resolve(host_of(scope).decode("latin-1").lower(), path)
    if issuer is None:
        await bad_host(send)
        return None
    if issuer.prefix and path.startswith(issuer.prefix):
        # Starlette routes on the path below root_path (ASGI's mount convention).
        scope["root_path"] = scope.get("root_path", "") + issuer.prefix
    scope.setdefault("state", {})["issuer"] = issuer
    return issuer


async def bad_host(send: Any) -> None:
    body = b"This server does not serve that address.\n"
    await send(
        {
            "type": "http.response.start",
            "status": 400,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
