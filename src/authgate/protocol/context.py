"""What the web edge knows about one request, passed down explicitly to the protocol."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RequestContext:
    #: the peer's address (a configured proxy's forwarded address, else the socket's)
    client_address: str
