"""Which issuer a request is for, resolved once at the edge (seed 001; Discovery §4.1).

- the configured issuer's host: the root issuer, or a space's under ``/spaces/{slug}``;
- ``{slug}.{base_domain}`` for an existing space, when ``base_domain`` is set;
- a custom domain registered for a space.

Any other ``Host`` is refused with a plain 400, so that no link, redirect or discovery
document is ever built from a host an attacker chose (Host-header injection).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any
from urllib.parse import urlsplit

from authgate.domain import Space
from authgate.protocol.context import Issuer
from authgate.storage.base import SpaceStore
from authgate.storage.cache import TtlCache

Scope = MutableMapping[str, Any]
SPACES_PREFIX = "/spaces/"
_WELL_KNOWN_SPACES = "/.well-known/oauth-authorization-server/spaces/"
_SPACE_PATHS = (SPACES_PREFIX, _WELL_KNOWN_SPACES)
_SLUG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


def valid_slug(slug: str) -> bool:
    """A DNS label (RFC 1123): it names a subdomain too."""
    return (
        0 < len(slug) <= 63
        and set(slug) <= _SLUG_CHARS
        and not slug.startswith("-")
        and not slug.endswith("-")
    )


def issuer_of(scope: Scope) -> Issuer:
    """The issuer the middleware resolved for this request."""
    issuer: Issuer = scope["state"]["issuer"]
    return issuer


class IssuerResolver:
    def __init__(
        self,
        root_url: str,
        base_domain: str | None,
        spaces: SpaceStore,
        *,
        cache_seconds: float,
    ) -> None:
        parts = urlsplit(root_url)
        self.root = Issuer(root_url)
        self._scheme = parts.scheme
        self._default_port = ":443" if parts.scheme == "https" else ":80"
        self._root_host = parts.netloc.lower().removesuffix(self._default_port)
        self._root_host_bytes = self._root_host.encode("latin-1")
        self._base = "." + base_domain.lower() if base_domain else None
        self._spaces = spaces
        self._by_slug: TtlCache[str, Space] = TtlCache(cache_seconds, 10_000)
        self._by_domain: TtlCache[str, Space] = TtlCache(cache_seconds, 10_000)

    def forget(self) -> None:
        """Drop the cached spaces (registered with the cache invalidation)."""
        self._by_slug.clear()
        self._by_domain.clear()

    async def _space(self, slug: str) -> Space | None:
        if not valid_slug(slug):
            return None
        found, space = self._by_slug.hit(slug)
        return space if found else self._by_slug.put(slug, await self._spaces.by_slug(slug))

    async def _custom(self, host: str) -> Space | None:
        if len(host) > 253:
            return None
        found, space = self._by_domain.hit(host)
        return space if found else self._by_domain.put(host, await self._spaces.by_domain(host))

    def space_issuer(self, space: Space) -> Issuer:
        """Where a space's issuer lives when a request names none: its subdomain when
        ``base_domain`` is set, else the path on the root host."""
        if self._base is not None:
            return Issuer(f"{self._scheme}://{space.slug}{self._base}", space)
        prefix = SPACES_PREFIX + space.slug
        return Issuer(self.root.url + prefix, space, prefix)

    def root_of(self, host: bytes, path: str) -> Issuer | None:
        """The root issuer when the request plainly is for it (the hot path: no await,
        no decoding); ``None`` means: ask :meth:`resolve`."""
        if host == self._root_host_bytes and not path.startswith(_SPACE_PATHS):
            return self.root
        return None

    async def resolve(self, host: str, path: str) -> Issuer | None:
        """The issuer; ``None`` for a host or space that does not exist."""
        if host.endswith(self._default_port):  # RFC 9110 §4.2: the same origin
            host = host[: -len(self._default_port)]
        if host == self._root_host:
            if path.startswith(_WELL_KNOWN_SPACES):  # RFC 8414 §3.1 for a path issuer
                path = path[len(_WELL_KNOWN_SPACES) - len(SPACES_PREFIX) :]
            elif not path.startswith(SPACES_PREFIX):
                return self.root
            slug = path[len(SPACES_PREFIX) :].partition("/")[0]
            space = await self._space(slug)
            if space is None:
                return None
            prefix = SPACES_PREFIX + slug
            return Issuer(self.root.url + prefix, space, prefix)
        if self._base is not None and host.endswith(self._base):
            space = await self._space(host[: -len(self._base)])
        else:
            space = await self._custom(host)
        if space is None:
            return None
        return Issuer(f"{self._scheme}://{host}", space)


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
