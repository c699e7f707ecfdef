"""uvicorn's httptools protocol with the limits production servers keep.

uvicorn buffers a request head of any size and waits for slow heads and bodies forever.
:class:`LimitedHttpProtocol` answers like nginx and gunicorn do:

- a request line plus headers over ``max_head_bytes``: ``431`` and close (RFC 6585 §5);
- a head not complete ``read_timeout`` seconds after its first byte, or a body that sends
  nothing for ``read_timeout`` seconds: ``408`` and close (RFC 9110 §15.5.9);
- a malformed request (a bad chunk, RFC 9112 §7.1): ``400`` and close;
- a new connection that sends nothing is idle like a kept-alive one, and is closed after
  uvicorn's keep-alive timeout.

The keep-alive timer is armed once per connection and re-armed lazily: uvicorn arms a new
timer after every response and cancels it at the next request, which costs about 2 µs of
a libuv timer per request (measured in uvloop). Here a response only notes when the
connection became idle; the one timer, when it fires, closes the connection if it has been
idle for the whole timeout, and otherwise waits for the rest of it.

A refused request behind pipelined ones that are still being answered (RFC 9112 §9.3.2)
waits for them: their responses go out first, in order, then the refusal, then the close.

Each of these logs one short line. The common request, whose head arrives in one read and
whose body follows at once, arms no timer: only a head or body still incomplete at the end
of a read does, and a body's timer is re-armed lazily (it checks a progress flag).

The connection's writes go out once per pass of the event loop (web/pass_writes.py).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from authgate.web.pass_writes import PassWrites


@dataclass(frozen=True)
class RequestLimits:
    max_head_bytes: int = 16 * 1024
    read_timeout: float = 10.0


class LimitedConfig(Config):
    """A uvicorn ``Config`` that carries :class:`RequestLimits` to every worker process."""

    def __init__(self, app: str, *, limits: RequestLimits, **options: Any) -> None:
        self.limits = limits
        super().__init__(app, **options)


class _HeadTooLarge(Exception):
    pass


class LimitedHttpProtocol(HttpToolsProtocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        limits = config.limits if isinstance(config, LimitedConfig) else RequestLimits()
        self._max_head = limits.max_head_bytes
        self._read_timeout = limits.read_timeout
        self._in_head = False  # between the first byte of a request and its last header
        self._in_body = False  # between the last header and the end of the body
        self._read_size = 0  # bytes of the read being parsed
        self._head_first = 0  # bytes of the read in which the request began
        self._head_reads = 0  # bytes of the later reads while the head was incomplete
        self._progress = False  # body bytes arrived since the read timer was armed
        self._read_timer: asyncio.TimerHandle | None = None
        #: when the connection last became idle (no request in progress); None: busy
        self._idle_since: float | None = None
        #: a refusal (status, reason, level) waiting for the responses owed before it
        self._refusal: tuple[int, str, int] | None = None

    def _unsupported_upgrade_warning(self) -> None:
        """authgate speaks no WebSocket (``ws="none"``), so an ``Upgrade`` request is
        served as plain HTTP, quietly: uvicorn's warning, and its advice to install a
        WebSocket library, would be two log lines per request for any client to cause."""

    # ------------------------------------------------------------------ transport events

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        # Every write of the connection, its responses' and the refusals below, goes out at
        # the end of the event loop's pass (web/pass_writes.py).
        super().connection_made(PassWrites(transport, self.loop))  # type: ignore[arg-type]
        self._idle_since = self.loop.time()
        self._arm_keep_alive(self.timeout_keep_alive)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_read_timer()
        self._unset_keepalive_if_required()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refusal is not None:
            # Read and dropped, not left unread: a close with unread bytes would be a
            # reset, which can destroy the responses still on their way to the client.
            return
        self._idle_since = None  # busy: the keep-alive timer, if it fires, waits
        if self._in_head:
            self._head_reads += len(data)
        self._read_size = len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError as exc:
            if isinstance(exc.__context__, _HeadTooLarge):
                self._refuse(431, "request head too large")
            else:
                self._refuse(400, "invalid HTTP request")
            return
        if self._in_head:
            # The later reads went wholly to the head: httptools buffers it, so stop here.
            if self._head_reads > self._max_head:
                self._refuse(431, "request head too large")
            elif self._read_timer is None:
                self._read_timer = self.loop.call_later(self._read_timeout, self._read_timed_out)
        elif self._in_body:
            if self._read_timer is None:
                self._progress = False
                self._read_timer = self.loop.call_later(self._read_timeout, self._read_timed_out)
            else:
                self._progress = True

    # ------------------------------------------------------------------ keep-alive

    def on_response_complete(self) -> None:
        # uvicorn's, except that an idle connection notes the time instead of arming a
        # new timer
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
        elif self._refusal is not None:
            self._refuse(*self._refusal)
        else:
            self._idle_since = self.loop.time()
            if self.timeout_keep_alive_task is None:
                self._arm_keep_alive(self.timeout_keep_alive)

    def _arm_keep_alive(self, delay: float) -> None:
        self.timeout_keep_alive_task = self.loop.call_later(delay, self._keep_alive_due)

    def _keep_alive_due(self) -> None:
        self.timeout_keep_alive_task = None
        idle_since = self._idle_since
        if idle_since is None:
            return  # a request is in progress: its response arms the timer again
        remaining = idle_since + self.timeout_keep_alive - self.loop.time()
        if remaining > 0:
            self._arm_keep_alive(remaining)
        else:
            self.timeout_keep_alive_handler()

    # ------------------------------------------------------------------ parser callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._in_body = False
        self._head_first = self._read_size
        self._head_reads = 0
        if self._read_timer is not None:
            self._cancel_read_timer()

    def on_headers_complete(self) -> None:
        self._in_head = False
        if self._read_timer is not None:
            self._cancel_read_timer()
        # The reads that carried the head bound its size; count exactly only above the limit.
        if self._head_first + self._head_reads > self._max_head and self._head_size() > (
            self._max_head
        ):
            raise _HeadTooLarge
        super().on_headers_complete()
        self._in_body = True

    def on_message_complete(self) -> None:
        self._in_body = False
        if self._read_timer is not None:
            self._cancel_read_timer()
        super().on_message_complete()

    # ------------------------------------------------------------------ limits

    def _head_size(self) -> int:
        return len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)

    def _cancel_read_timer(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _read_timed_out(self) -> None:
        self._read_timer = None
        if self._in_head:
            self._refuse(408, "request head not received in time", logging.INFO)
        elif self._in_body:
            if self._progress or self.flow.read_paused:
                self._progress = False
                self._read_timer = self.loop.call_later(self._read_timeout, self._read_timed_out)
            else:
                self._refuse(408, "request body stalled", logging.INFO)

    def _refuse(self, status: int, reason: str, level: int = logging.WARNING) -> None:
        """Answer ``status`` if no response has begun on the wire, and close; a request
        refused in its head while earlier ones are still being answered, once they are."""
        self._cancel_read_timer()
        cycle: Any = self.cycle  # None before the first request; in a head, the previous one
        if not self._in_body and cycle is not None and not cycle.response_complete:
            self._in_head = False
            self._refusal = (status, reason, level)
            return
        self._refusal = None
        if self._in_body:
            may_answer = not cycle.response_started
        else:
            may_answer = cycle is None or cycle.response_complete
        self._in_head = self._in_body = False
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True  # whatever the app still sends goes nowhere
        if may_answer and not self.transport.is_closing():
            body = reason.encode("ascii")
            head = [STATUS_LINE[status]]
            for name, value in self.server_state.default_headers:
                head += [name, b": ", value, b"\r\n"]
            head.append(b"content-type: text/plain; charset=utf-8\r\n")
            head.append(b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body))
            self.transport.write(b"".join(head) + body)
        self.transport.close()
        host, port = self.client or ("-", 0)
        self.logger.log(level, "%s:%d - %d %s", host, port, status, reason)
