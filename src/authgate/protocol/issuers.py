"""Which issuer a host and path stand for (seed 001; Discovery §4.1), and whether a URL
is one of this server's issuers, without HTTP:

- the configured issuer's host: the root issuer, or a space's under ``/spaces/{slug}``;
- ``{slug}.{base_domain}`` for an existing space, when ``base_domain`` is set;
- a custom domain registered for a space.

The web edge resolves every request with it (``web/issuers.py``); the JWT access-token
format asks it whether a token's ``iss`` is ours; the token exchange grant maps a
``resource`` URL to the space it names (RFC 8693 §2.1).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from authgate.domain import Space
from authgate.protocol.context import Issuer
from authgate.storage.base import SpaceStore
from authgate.storage.cache import TtlCache

SPACES_PREFIX = "/spaces/"
_WELL_KNOWN_SPACES = "/.well-known/oauth-authorization-server/spaces/"
SPACE_PATHS = (SPACES_PREFIX, _WELL_KNOWN_SPACES)
_SLUG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
_MAX_URL = 2048


def valid_slug(slug: str) -> bool:
    """A DNS label (RFC 1123): it names a subdomain too."""
    return (
        0 < len(slug) <= 63
        and set(slug) <= _SLUG_CHARS
        and not slug.startswith("-")
        and not slug.endswith("-")
    )


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
        #: by name, for the metrics' hit ratios
        self.caches: dict[str, TtlCache[Any, Any]] = {
            "spaces_by_slug": self._by_slug,
            "spaces_by_domain": self._by_domain,
        }

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

    async def space_named(self, slug: str) -> Space | None:
        """The space with this slug (``None`` for anything that is no slug)."""
        return await self._space(slug)

    def space_issuer(self, space: Space) -> Issuer:
        """Where a space's issuer lives when a request names none: its subdomain when
        ``base_domain`` is set, else the path on the root host."""
        if self._base is not None:
            return Issuer(f"{self._scheme}://{space.slug}{self._base}", space)
        prefix = SPACES_PREFIX + space.slug
        return Issuer(self.root.url + prefix, space, prefix)

    def origins_of(self, space: Space) -> tuple[str, ...]:
        """The origins (RFC 6454) a space's issuer is served on besides the root host: its
        subdomain when ``base_domain`` is set, then each of its custom domains, all with the
        root issuer's scheme."""
        domains = tuple(f"{self._scheme}://{domain}" for domain in space.domains)
        if self._base is None:
            return domains
        return (f"{self._scheme}://{space.slug}{self._base}", *domains)

    def root_of(self, host: bytes, path: str) -> Issuer | None:
        """The root issuer when the request plainly is for it (the hot path: no await,
        no decoding); ``None`` means: ask :meth:`resolve`."""
        if host == self._root_host_bytes and not path.startswith(SPACE_PATHS):
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

    async def knows(self, url: str) -> bool:
        """Whether ``url`` is exactly the identifier of one of this server's issuers."""
        if url == self.root.url:
            return True
        if len(url) > _MAX_URL or not url.isascii():
            return False
        try:
            parts = urlsplit(url)
        except ValueError:
            return False
        if parts.scheme != self._scheme or parts.query or parts.fragment or "@" in parts.netloc:
            return False
        issuer = await self.resolve(parts.netloc.lower(), parts.path)
        return issuer is not None and issuer.url == url

    async def space_at(self, url: str) -> Space | None:
        """The space whose issuer serves ``url`` (a resource indicator, RFC 8707 §2: an
        absolute URI without a fragment, here of this server's scheme): a space's
        subdomain or custom domain, or ``/spaces/{slug}`` on the root host. ``None`` for
        the root issuer's resources and for anything else."""
        if len(url) > _MAX_URL or not url.isascii():
            return None
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018  (raises ValueError for a bad port)
        except ValueError:
            return None
        if (
            parts.scheme.lower() != self._scheme
            or not parts.hostname
            or parts.fragment
            or "#" in url
            or "@" in parts.netloc
        ):
            return None
        issuer = await self.resolve(parts.netloc.lower(), parts.path or "/")
        return None if issuer is None else issuer.space
