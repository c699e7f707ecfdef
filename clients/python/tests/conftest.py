"""The SDK's end-to-end tests run against real ``authgate serve`` processes started by
``tests/e2e/profile_support.py`` (the server's own helper): the CLI makes users, clients
and spaces, an httpx browser signs in and answers the consent page.

One server per profile for the whole run, shared by the modules that only add their own
clients and users; modules that need other settings (a rate limit, fast key refresh)
start their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.e2e.profile_support import ProfileServer, serve_profile

from sdk_support import MEMBER, OUTSIDER, SPACE, register


@pytest.fixture(scope="session")
def root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProfileServer]:
    """The default profile, with the space ``acme`` (issuer ``{root}/spaces/acme``).
    Its API allows more than 60 requests a minute per user: many tests call ``/api/me``
    as the same member (the limit itself is tested on a server of its own)."""
    for server in serve_profile("default", tmp_path_factory, api_rate_limit="6000/minute"):
        server.user(MEMBER, "Member Person")
        server.user(OUTSIDER, "Outside Person")
        server.cli("space", "create", "--slug", SPACE, "--name", "Acme Coworking")
        server.cli(
            "space", "add-member", "--space", SPACE, "--email", MEMBER, "--name", "Member at Acme"
        )
        yield server


@pytest.fixture(scope="session")
def redbooth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProfileServer]:
    for server in serve_profile("redbooth", tmp_path_factory):
        server.user(MEMBER, "Member Person")
        yield server


@pytest.fixture(scope="session")
def cobot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProfileServer]:
    for server in serve_profile("cobot", tmp_path_factory):
        server.user(MEMBER, "Member Person")
        yield server


#: every grant of the root server, for one confidential app that the tests share (each
#: CLI call starts a Python process: one app per server keeps the suite fast)
ALL_GRANTS = (
    "authorization_code",
    "refresh_token",
    "password",
    "client_credentials",
    "token-exchange",
    "implicit",
)


@pytest.fixture(scope="session")
def app(root: ProfileServer) -> Any:
    """A confidential client of the root server with every grant; ``redirect_uri``."""
    return register(root, *ALL_GRANTS)


@pytest.fixture(scope="session")
def resource_server(root: ProfileServer) -> Any:
    """A client registered with ``--resource-server``: it may introspect any token."""
    return register(root, "client_credentials", resource_server="")
