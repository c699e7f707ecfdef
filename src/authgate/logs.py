"""What every log line of a request shares: its request id.

The web edge sets :data:`REQUEST_ID` for each HTTP request (the client's sane
``X-Request-Id``, or a new one) before anything else runs; log records and audit events
made while the request is served carry it.
"""

from __future__ import annotations

from contextvars import ContextVar

#: the id of the HTTP request being served in this task, if any
REQUEST_ID: ContextVar[str | None] = ContextVar("authgate_request_id", default=None)
