"""The reserved ``authgate:*`` scopes: what an admin client's token may do.

``authgate:admin`` allows everything. ``authgate:{resource}`` allows reading and changing
one resource (clients, users, spaces, keys, audit); ``authgate:{resource}:read`` allows
reading it only. Consents, sessions and grants belong to ``users``.

The names are reserved: the scope catalog may not hold them (settings refuse it), and
ordinary registration (the CLI's ``client create``, the portal, dynamic registration)
refuses them, because they are not in the catalog. Only ``authgate admin bootstrap`` and the
admin API, for a token with ``authgate:admin``, register clients with them
(:meth:`ClientRegistry.register` with ``privileged=True``), so a narrower token cannot
give itself more.
"""

from __future__ import annotations

from typing import Final, Literal

RESERVED_PREFIX: Final = "authgate:"
ADMIN: Final = "authgate:admin"
Resource = Literal["clients", "users", "spaces", "keys", "audit"]
RESOURCES: Final[tuple[Resource, ...]] = ("clients", "users", "spaces", "keys", "audit")

ADMIN_SCOPES: Final[dict[str, str]] = {
    ADMIN: "Everything the admin API offers",
    **{f"{RESERVED_PREFIX}{r}": f"Read and change {r}" for r in RESOURCES},
    **{f"{RESERVED_PREFIX}{r}:read": f"Read {r}" for r in RESOURCES},
}


def is_reserved(scope: str) -> bool:
    return scope.startswith(RESERVED_PREFIX)


def allowing(declared: list[str]) -> frozenset[str]:
    """The scopes that allow an operation declared with ``authgate:{resource}`` (to change
    it) or ``authgate:{resource}:read`` (to read it): those, ``authgate:{resource}`` for a
    read, and ``authgate:admin`` always."""
    allowed = {ADMIN}
    for scope in declared:
        allowed.add(scope)
        if scope.endswith(":read"):
            allowed.add(scope.removesuffix(":read"))
    return frozenset(allowed)
