"""A connection's writes held until the end of the event loop's pass, then sent as one.

uvicorn writes a response's head when the app sends ``http.response.start`` and its body
at ``http.response.body``: two ``send`` system calls per response, each of which, on
loopback and on most NICs, runs the network stack's receive path and wakes the client
before it returns. Under load the server answers the requests of many connections in one
pass of the event loop, and those calls, between one request's Python and the next, evict
the CPU caches that the next request needs: measured by ``make bench`` on a 2-CPU VM, a
third of the time of an introspection or ``GET /api/me``.

:class:`PassWrites` stands in for the connection's transport (uvicorn's protocol and its
request cycles write through it). The first write of a pass is held and a flush is
scheduled with ``call_soon``, which runs after every callback already ready: the other
requests of the pass run first, from warm caches, and each connection's response then
goes out in one call, head and body together. Netty's ``FlushConsolidationHandler`` does
the same for the same reason.

- Order on the connection is kept: everything goes through the one buffer.
- A response waits no longer than the rest of its pass (microseconds when idle).
- Flow control still holds: past :data:`HOLD_AT_MOST` bytes the buffer goes out at once,
  so that a large or streamed body reaches the transport, which pauses the writer.
- ``close`` sends what is held first; what is held when the peer has gone is dropped, as
  the transport would drop it.
"""

from __future__ import annotations

import asyncio
from typing import Any

#: bytes held before a write goes out at once (a large body, a streamed response)
HOLD_AT_MOST = 64 * 1024


class PassWrites:
    """``asyncio.Transport``'s interface over ``transport``; see the module docstring."""

    __slots__ = ("_held", "_loop", "_size", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] | None = None
        self._size = 0

    @property
    def transport(self) -> asyncio.Transport:
        """The connection's own transport."""
        return self._transport

    def write(self, data: bytes) -> None:
        held = self._held
        if held is None:
            self._held = [data]
            self._size = len(data)
            self._loop.call_soon(self.flush)
        else:
            held.append(data)
            self._size += len(data)
        if self._size > HOLD_AT_MOST:
            self.flush()

    def flush(self) -> None:
        """Send what is held (a scheduled flush after an early one finds nothing)."""
        held = self._held
        if held is None:
            return
        self._held = None
        if not self._transport.is_closing():
            self._transport.write(held[0] if len(held) == 1 else b"".join(held))

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    # The rest of asyncio.Transport's interface is the transport's own, each method named
    # (a __getattr__ would put every attribute access of this class, the writes' too,
    # through CPython's slower look-up hook).

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def abort(self) -> None:
        """Close at once: what is held is dropped, as the transport drops its buffer."""
        self._held = None
        self._transport.abort()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()

    def get_write_buffer_size(self) -> int:
        """What waits to be sent: the held bytes and the transport's buffer."""
        held = 0 if self._held is None else self._size
        return held + self._transport.get_write_buffer_size()
