"""The console's start page (``/admin``): what the server holds at a glance, and the
latest entries of the audit log."""

from __future__ import annotations

import contextlib

from starlette.requests import Request
from starlette.responses import Response

from authgate.audit.events import AuditQuery
from authgate.web.admin_console.base import CONSOLE, ConsoleBase

RECENT = 8


class OverviewPage(ConsoleBase):
    async def show(self, request: Request) -> Response:
        gate = await self._gate(request, CONSOLE)
        if isinstance(gate, Response):
            return gate
        site, me = gate
        with contextlib.suppress(Exception):
            await self._services.audit.flush()
        ring = self._services.keys
        now = self._services.minter.now()
        keys = await ring.keys()
        return self._page(
            request,
            site,
            me,
            "admin_overview.html",
            area="overview",
            notice=self._notice(request, me).get("notice", ""),
            clients=len(await self._services.clients.all()),
            spaces=len(await self._services.space_admin.all()),
            active_keys=[k for k in keys if ring.state(k, now) == "active"],
            recent=(await self._services.audit.page(AuditQuery(limit=RECENT))).events,
        )
