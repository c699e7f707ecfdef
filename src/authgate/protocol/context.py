"""What the web edge knows about one request, passed down explicitly to the protocol."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from authgate.domain import Space, SpaceId


@dataclass(frozen=True, slots=True)
class Issuer:
    """The issuer a request is served for: the root one, or a space's (seed 001)."""

    #: the issuer identifier (OpenID Connect Discovery §3, RFC 8414 §2)
    url: str
    space: Space | None = None
    #: where this issuer's endpoints and pages live on its host: "" or "/spaces/{slug}"
    prefix: str = ""

    @property
    def space_id(self) -> SpaceId | None:
        return None if self.space is None else self.space.id


# Immutable and built for every request: a NamedTuple costs half of a frozen dataclass.
class RequestContext(NamedTuple):
    #: the peer's address (a configured proxy's forwarded address, else the socket's)
    client_address: str
    issuer: Issuer
