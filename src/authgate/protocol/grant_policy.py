"""Which grants the server offers, and which a client may use (settings ``grant_types`` and
``client_base_grants``).

A client may use a grant when the server offers it and the client was registered with it
or every client has it (a base grant, seed 004: the password flow "is enabled by default
for all registered applications"). Base grants apply at request time: changing the setting
changes what existing clients may do, and nothing of it is stored on a client. A grant the
server stops offering is refused to every client, whatever it was registered with.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from authgate.domain import GRANT_ALIASES, GRANT_TYPES, Client

#: Grants that come with refresh tokens: having one enables ``refresh_token`` (seed 004).
REFRESHING = frozenset({"authorization_code", "password"})
_SHORT = {urn: alias for alias, urn in GRANT_ALIASES.items()}


def grant_names(grants: Iterable[str]) -> str:
    """``grants`` in :data:`GRANT_TYPES` order, by the short names the CLI takes."""
    chosen = set(grants)
    return ", ".join(_SHORT.get(g, g) for g in GRANT_TYPES if g in chosen) or "none"


@dataclass(frozen=True)
class GrantPolicy:
    #: the grants this server offers at all
    offered: frozenset[str] = frozenset(GRANT_TYPES)
    #: grants every client may use without being registered with them
    base: frozenset[str] = frozenset()

    def grants_of(self, client: Client) -> frozenset[str]:
        """What ``client`` may use now. A base grant that comes with refresh tokens also
        enables ``refresh_token``, unless the client's refresh policy is ``none``, as
        registration does for the grants a client is registered with."""
        grants = set(client.grant_types | self.base)
        if self.base & REFRESHING and client.refresh_policy != "none":
            grants.add("refresh_token")
        return frozenset(grants & self.offered)

    def allows(self, client: Client, grant_type: str) -> bool:
        """Whether ``client`` may use ``grant_type`` now (the token endpoint's check)."""
        if grant_type not in self.offered:
            return False
        return grant_type in client.grant_types or grant_type in self.grants_of(client)
