"""Fixtures shared by the HTTP tests (the database, app and client ones are in
tests/conftest.py)."""

from __future__ import annotations

import httpx
import pytest

from authgate.domain import User
from tests.conftest import Factory
from tests.web.flow import Browser


@pytest.fixture
async def alice(make: Factory) -> User:
    """The default user: alice@example.com, password "correct horse"."""
    return await make.user()


@pytest.fixture
def browser(http: httpx.AsyncClient) -> Browser:
    """A scripted browser on the root issuer's pages."""
    return Browser(http)
