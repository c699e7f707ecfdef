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
Header = tuple[bytes, bytes]
_METADATA_PATHS = frozenset({OPENID_CONFIGURATION, OAUTH_AUTHORIZATION_SERVER})


@dataclass(frozen=True)
class Published:
    """A document with its response headers, built once."""

    body: bytes
    etag: bytes
    #: the 200's headers, and the 304's (no content type or length)
    headers: list[tuple[bytes, bytes]]
    not_modified: list[tuple[bytes, bytes]]

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
        length = (b"content-length", str(len(body)).encode())
        return cls(body, tag, [*headers, length], headers[1:])


def _if_none_match(scope: Scope) -> bytes | None:
    for name, value in scope["headers"]:
        if name == b"if-none-match":
            return bytes(value)
    return None


class PublishedDocuments:
    #: the documents' paths on the root issuer, for a quick membership test
    root_paths = frozenset({JWKS_PATH, *_METADATA_PATHS})

    def __init__(self, keys: KeyRing, features: ServerFeatures) -> None:
        self._keys = keys
        self._features = features
        #: (issuer URL, key set ETag) -> document; bounded by the number of issuers
        self._metadata: dict[tuple[str, str], Published] = {}
        self._jwks: tuple[str, Published] | None = None

    @staticmethod
    def kind_of(scope: Scope, issuer: Issuer) -> str | None:
        """``"jwks"`` or ``"metadata"`` when the request is for one (no await)."""
        path = scope["path"]
        if issuer.prefix and path.startswith(issuer.prefix + "/"):
            path = path[len(issuer.prefix) :]
        elif issuer.prefix and path == OAUTH_AUTHORIZATION_SERVER + issuer.prefix:
            path = OAUTH_AUTHORIZATION_SERVER  # RFC 8414 §3.1: a path issuer's metadata
        if path == JWKS_PATH:
            return "jwks"
        return "metadata" if path in _METADATA_PATHS else None

    def _cached(self, kind: str, issuer_url: str) -> Published | None:
        keys = self._keys.fresh_jwks()
        if keys is None:
            return None
        if kind == "jwks":
            jwks = self._jwks
            return jwks[1] if jwks is not None and jwks[0] == keys.etag else None
        return self._metadata.get((issuer_url, keys.etag))

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

    def ready(self, kind: str, issuer: Issuer) -> Published | None:
        """The document ``kind`` of ``issuer`` if it is in memory and current: then
        :func:`send_published` answers without an await on anything but ``send``."""
        return self._cached(kind, issuer.url)

    async def answer(
        self, scope: Scope, send: Any, issuer: Issuer, kind: str, *extra: Header
    ) -> int:
        """Answer a GET or HEAD for the document ``kind`` (from :meth:`kind_of`), with the
        ``extra`` headers; the status answered."""
        published = self._cached(kind, issuer.url)
        if published is None:
            published = await (self.jwks() if kind == "jwks" else self.metadata(issuer.url))
        return await send_published(scope, send, published, _if_none_match(scope), *extra)


async def send_published(
    scope: Scope, send: Any, published: Published, if_none_match: bytes | None, *extra: Header
) -> int:
    """``published`` as the answer to a GET or HEAD, or ``304`` when the client's
    ``If-None-Match`` (``if_none_match``) names it (RFC 9110 §13.1.2); the status."""
    if if_none_match == published.etag:
        start = {
            "type": "http.response.start",
            "status": 304,
            "headers": [*published.not_modified, *extra],
        }
        await send(start)
        await send({"type": "http.response.body", "body": b""})
        return 304
    headers = [*published.headers, *extra]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    body = b"" if scope["method"] == "HEAD" else published.body
    await send({"type": "http.response.body", "body": body})
    return 200
