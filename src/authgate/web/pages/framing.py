"""Who may frame an issuer's pages (CSP ``frame-ancestors``), and what the cookies of a
framed page need to still reach it.

Every page may be framed by the ``frame_ancestors`` origins (none by default). With
``frame_ancestors_space_origins``, a space's pages may also be framed by that space's own
origins, its subdomain and its custom domains (seed 000: an app framed in a space's pages
sends the user to the space's domain), never by another space's: the root issuer's pages
keep the global list alone.

A browser sends no ``SameSite=Lax`` cookie to a frame whose ancestors are on another site
(RFC 6265bis §5.2.1), and ignores one set there. A space's custom domain framed by its
subdomain (or the other way round) is such a frame, so the pages of a space that has an
origin besides the one being served set ``SameSite=None``, with ``Secure``: browsers
refuse ``None`` without it, so on a plain-http issuer the cookies stay ``Lax``.
"""

from __future__ import annotations

from collections.abc import Callable

from authgate.domain import Space
from authgate.protocol.context import Issuer
from authgate.web.pages.cookies import CookieFlags


def origin_of(issuer: Issuer) -> str:
    """The origin an issuer's pages are served from (its URL without its path prefix)."""
    return issuer.url.removesuffix(issuer.prefix) if issuer.prefix else issuer.url


class Framing:
    def __init__(
        self,
        ancestors: list[str],
        *,
        secure: bool,
        space_origins: Callable[[Space], tuple[str, ...]] | None = None,
    ) -> None:
        """``space_origins`` (``IssuerResolver.origins_of``) only when spaces' own origins
        may frame their pages; ``secure`` for an https issuer."""
        #: what the root issuer's pages (and, without ``space_origins``, all) allow
        self.default = tuple(ancestors)
        self._space_origins = space_origins
        self._lax = CookieFlags(secure=secure)
        self._cross_site = CookieFlags(secure=True, samesite="none") if secure else self._lax

    def _origins(self, issuer: Issuer) -> tuple[str, ...]:
        if issuer.space is None or self._space_origins is None:
            return ()
        return self._space_origins(issuer.space)

    def ancestors(self, issuer: Issuer) -> tuple[str, ...]:
        """The ``frame-ancestors`` sources of this issuer's pages; empty means none."""
        own = self._origins(issuer)
        if not own:
            return self.default
        return self.default + tuple(o for o in own if o not in self.default)

    def cookies(self, issuer: Issuer) -> CookieFlags:
        """``SameSite=None; Secure`` when another of the space's origins may frame this
        issuer's pages (and the issuer is https), else ``SameSite=Lax``."""
        here = origin_of(issuer)
        if any(origin != here for origin in self._origins(issuer)):
            return self._cross_site
        return self._lax
