"""Published documents served from memory, per issuer: the provider metadata (OpenID
Connect Discovery §4, RFC 8414 §3) and the JWKS (RFC 7517 §5)."""

from __future__ import annotations

import hashlib
import json

from starlette.requests import Request
from starlette.responses import Response

from authgate.protocol.keyring import JWKS_MAX_AGE, KeyRing
from authgate.protocol.oidc.discovery import ServerFeatures, provider_metadata
from authgate.web.issuers import issuer_of

JWKS_PATH = "/.well-known/jwks.json"
#: Provider metadata changes only with a new release or new settings: an hour's caching.
METADATA_MAX_AGE = 3600


def _cached(request: Request, body: bytes, etag: str, max_age: int, media_type: str) -> Response:
    headers = {
        "Cache-Control": f"public, max-age={max_age}",
        "ETag": etag,
        # Discovery and keys are public, read by browser-based relying parties too.
        "Access-Control-Allow-Origin": "*",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


class DiscoveryHandler:
    def __init__(self, keys: KeyRing, features: ServerFeatures) -> None:
        self._keys = keys
        self._features = features
        #: (issuer URL, key set ETag) -> body and ETag; bounded by the number of issuers
        self._documents: dict[tuple[str, str], tuple[bytes, str]] = {}

    async def metadata(self, request: Request) -> Response:
        issuer = issuer_of(request.scope).url
        jwks = await self._keys.jwks()
        cached = self._documents.get((issuer, jwks.etag))
        if cached is None:
            document = provider_metadata(issuer, self._features, jwks.algorithms)
            body = json.dumps(document, separators=(",", ":")).encode()
            cached = (body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
            if len(self._documents) > 10_000:
                self._documents.clear()
            self._documents[(issuer, jwks.etag)] = cached
        return _cached(request, cached[0], cached[1], METADATA_MAX_AGE, "application/json")

    async def jwks(self, request: Request) -> Response:
        document = await self._keys.jwks()
        return _cached(
            request, document.body, document.etag, JWKS_MAX_AGE, "application/jwk-set+json"
        )
