"""Platform profiles: TOML presets of settings shipped in the package.

A profile is data: the settings that make authgate keep one platform's documented
promises (paths, parameter sources, lifetimes, grants, wording). Each preset is
``<name>.toml`` in this package, with a ``[profile]`` table describing it and the settings
it sets at the top level. ``default`` is the built-in defaults: the secure modern server.

Precedence, lowest first: defaults < profile < config file < ``AUTHGATE_*`` < command
line. A preset never sets what belongs to one deployment (:data:`DEPLOYMENT_SETTINGS`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

DEFAULT = "default"

#: settings a profile must leave to the deployment: its address, storage and keys
DEPLOYMENT_SETTINGS = frozenset(
    {
        "profile",
        "database_url",
        "issuer",
        "secret_key",
        "base_domain",
        "redis_url",
        "redis_namespace",
        "demo",
        "forwarded_allow_ips",
    }
)


class UnknownProfile(ValueError):
    """No preset of that name ships with authgate."""

    def __init__(self, name: str) -> None:
        shown = name if len(name) <= 40 else name[:40] + "…"
        super().__init__(f"unknown profile {shown!r}; choose from {', '.join(names())}")


@dataclass(frozen=True)
class Profile:
    name: str
    #: one line: which platform's documentation the profile follows
    summary: str
    #: what a reader should know about it, a few sentences
    about: str = ""
    #: the settings it sets, as a config file would (TOML keys)
    settings: dict[str, Any] = field(default_factory=dict)


def names() -> list[str]:
    """Every profile's name, ``default`` first."""
    found = sorted(
        entry.name.removesuffix(".toml")
        for entry in resources.files(__package__).iterdir()
        if entry.name.endswith(".toml")
    )
    return [DEFAULT, *(name for name in found if name != DEFAULT)]


@cache
def load(name: str) -> Profile:
    """The preset ``name``, or :class:`UnknownProfile`."""
    if name not in names():
        raise UnknownProfile(name)
    text = resources.files(__package__).joinpath(f"{name}.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    meta = data.pop("profile", {})
    fixed = DEPLOYMENT_SETTINGS & set(data)
    if fixed:
        raise ValueError(f"profile {name!r} sets {', '.join(sorted(fixed))}: deployments do")
    return Profile(
        name=name,
        summary=str(meta.get("summary", "")),
        about=" ".join(str(meta.get("about", "")).split()),
        settings=data,
    )
