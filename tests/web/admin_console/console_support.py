"""Helpers for the admin console's HTTP tests: a signed-in administrator, forms posted
from the page that shows them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from authgate.audit.events import Actor, AuditEvent, AuditQuery
from authgate.domain import User
from authgate.services import Services
from tests.conftest import Factory
from tests.web.flow import Browser
from tests.web.portal_support import form_fields

CLI = Actor("cli", None, None)


async def make_admin(services: Services, make: Factory, email: str = "root@example.com") -> User:
    user = await make.user(email)
    return await services.user_admin.update(user, actor=CLI, is_admin=True)


class Console:
    """A browser signed in on the console."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def sign_in(self, email: str = "root@example.com") -> None:
        r = await Browser(self.http).login(email=email)
        assert r.status_code == 303, r.text

    async def page(self, path: str, status: int = 200) -> str:
        r = await self.http.get(path)
        assert r.status_code == status, (path, r.status_code, r.text[:2000])
        return r.text

    async def post(self, shown_on: str, action: str, **data: Any) -> httpx.Response:
        """Send the form posting to ``action`` from the page ``shown_on``, with ``data``
        over its hidden fields."""
        form = form_fields(await self.page(shown_on), action)
        return await self.http.post(action, data={**form, **data})

    async def done(self, shown_on: str, action: str, **data: Any) -> str:
        """As :meth:`post`, expecting a redirect; the page it leads to."""
        r = await self.post(shown_on, action, **data)
        assert r.status_code == 303, (r.status_code, r.text[:3000])
        return await self.page(r.headers["location"])


async def events(services: Services, **query: Any) -> list[AuditEvent]:
    await services.audit.flush()
    return (await services.audit.page(AuditQuery(**query))).events


@pytest.fixture
async def admin(services: Services, make: Factory) -> User:
    return await make_admin(services, make)


@pytest.fixture
async def console(http: httpx.AsyncClient, admin: User) -> Console:
    signed_in = Console(http)
    await signed_in.sign_in()
    return signed_in


@pytest.fixture
async def bob(make: Factory) -> User:
    return await make.user("bob@example.com")
