"""The scopes the demo API's endpoints need, by role: a profile may name them after its
own catalog (``demo_api_scopes``, e.g. Cloud BOT's ``refer`` for reading)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Role = Literal["read", "write", "admin"]
ROLES: tuple[Role, ...] = ("read", "write", "admin")


@dataclass(frozen=True)
class ApiScopes:
    read: str = "read"
    write: str = "write"
    admin: str = "admin"

    @classmethod
    def named(cls, names: Mapping[Role, str]) -> ApiScopes:
        """Each role's scope: the catalog's name given in ``names``, else the role's own."""
        return cls(**{role: names.get(role, role) for role in ROLES})
