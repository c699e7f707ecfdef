"""Published documents, answered from memory before any routing: the provider metadata
(OpenID Connect Discovery §4, RFC 8414 §3) and the JWKS (RFC 7517 §5), per issuer.

They are read by every relying party, often on every token validation, so they skip the
framework entirely: a dictionary look-up and two ASGI messages of prepared bytes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from authgate.protocol.context import Issuer
from authgate.protocol.keyring import JWKS_MAX_AGE, KeyRing
from authgate.protocol.oidc.discovery import (
    OAUTH_AUTHORIZATION_SERVER,
    OPENID_CONFIGURATION,
    ServerFeatures,
    provider_metadata,
)
from authgate.web.issuers import Scope

JWKS_PATH = "/.well-known/jwks.json"
#: Provider metadata changes only with a new release or new settings: an hour's caching.
METADATA_MAX_AGE = 3600
_METADATA_PATHS = frozenset({OPENID_CONFIGURATION, OAUTH_AUTHORIZATION_SERVER})


@dataclass(frozen=True)
class Published:
    body: bytes
    etag: bytes
    headers: list[tuple[bytes, bytes]]

    @classmethod
    def of(cls, body: bytes, media_type: str, max_age: int, etag: str | None = None) -> Published:
        tag = (etag or '"' + hashlib.sha256(body).hexdigest()[:32] + '"').encode()
        headers = [
            (b"content-type", media_type.encode()),
            (b"cache-control", f"public, max-age={max_age}".encode()),
            (b"etag", tag),
            # Discovery and keys are public, read by browser-based relying parties too.
            (b"access-control-allow-origin", b"*"),
        ]
        return cls(body, tag, headers)


def _if_none_match(scope: Scope) -> bytes | None:
    for name, value in scope["headers"]:
        if name == b"if-none-match":
            return bytes(value)
    return None


class PublishedDocuments:
    def __init__(self, keys: KeyRing, features: ServerFeatures) -> None:
        self._keys = keys
        self._features = features
        #: (issuer URL, key set ETag) -> document; bounded by the number of issuers
        self._metadata: dict[tuple[str, str], Published] = {}
        self._jwks: tuple[str, Published] | None = None

    async def _document(self, scope: Scope, issuer: Issuer) -> Published | None:
        path = scope["path"]
        if issuer.prefix and path.startswith(issuer.prefix + "/"):
            path = path[len(issuer.prefix) :]
        elif issuer.prefix and path == OAUTH_AUTHORIZATION_SERVER + issuer.prefix:
            path = OAUTH_AUTHORIZATION_SERVER  # RFC 8414 §3.1: a path issuer's metadata
        if path == JWKS_PATH:
            return await self.jwks()
        if path in _METADATA_PATHS:
            return await self.metadata(issuer.url)
        return None

    async def jwks(self) -> Published:
        keys = await self._keys.jwks()
        if self._jwks is None or self._jwks[0] != keys.etag:
            published = Published.of(keys.body, "application/jwk-set+json", JWKS_MAX_AGE, keys.etag)
            self._jwks = (keys.etag, published)
        return self._jwks[1]

    async def metadata(self, issuer_url: str) -> Published:
        keys = await self._keys.jwks()
        published = self._metadata.get((issuer_url, keys.etag))
        if published is None:
            document = provider_metadata(issuer_url, self._features, keys.algorithms)
            body = json.dumps(document, separators=(",", ":")).encode()
            published = Published.of(body, "application/json", METADATA_MAX_AGE)
            if len(self._metadata) > 10_000:
                self._metadata.clear()
            self._metadata[(issuer_url, keys.etag)] = published
        return published

    async def answer(self, scope: Scope, send: Any, issuer: Issuer) -> bool:
        """Answer a GET or HEAD for one of the documents; ``False`` for anything else."""
        if scope["method"] not in ("GET", "HEAD"):
            return False
        published = await self._document(scope, issuer)
        if published is None:
            return False
        if _if_none_match(scope) == published.etag:
            headers = [h for h in published.headers if h[0] != b"content-type"]
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return True
        length = (b"content-length", str(len(published.body)).encode())
        await send(
            {"type": "http.response.start", "status": 200, "headers": [*published.headers, length]}
        )
        body = b"" if scope["method"] == "HEAD" else published.body
        await send({"type": "http.response.body", "body": body})
        return True
