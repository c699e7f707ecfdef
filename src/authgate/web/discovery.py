"""Published documents served from memory: the JWKS (RFC 7517 §5)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from authgate.protocol.keyring import JWKS_MAX_AGE, KeyRing

JWKS_PATH = "/.well-known/jwks.json"


class KeySetHandler:
    def __init__(self, keys: KeyRing) -> None:
        self._keys = keys

    async def jwks(self, request: Request) -> Response:
        document = await self._keys.jwks()
        headers = {
            "Cache-Control": f"public, max-age={JWKS_MAX_AGE}",
            "ETag": document.etag,
            "Access-Control-Allow-Origin": "*",
        }
        if request.headers.get("if-none-match") == document.etag:
            return Response(status_code=304, headers=headers)
        return Response(document.body, media_type="application/jwk-set+json", headers=headers)
