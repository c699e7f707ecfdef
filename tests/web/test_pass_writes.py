"""A connection's writes go out once per pass of the event loop (web/pass_writes.py), in
order, with flow control and ``close`` intact."""

from __future__ import annotations

import asyncio
from typing import Any

from authgate.web.pass_writes import HOLD_AT_MOST, PassWrites


class Transport:
    """Records each write that reached the connection: one per system call."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False
        self.paused = False

    def write(self, data: bytes) -> None:
        assert not self.closed, "a write after close"
        self.writes.append(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        self.paused = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 8000) if name == "sockname" else default

    def write_eof(self) -> None:
        self.writes.append(b"<eof>")

    def abort(self) -> None:
        self.closed = True

    def get_write_buffer_size(self) -> int:
        return 7


async def next_pass() -> None:
    await asyncio.sleep(0)


async def test_a_response_head_and_body_go_out_in_one_write_at_the_end_of_the_pass() -> None:
    raw = Transport()
    writes = PassWrites(raw, asyncio.get_running_loop())  # type: ignore[arg-type]
    writes.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    writes.write(b"ok")
    assert raw.writes == []  # held for the rest of the pass
    await next_pass()
    assert raw.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"]
    writes.write(b"next")  # a later pass: its own write
    await next_pass()
    assert raw.writes[1:] == [b"next"]


async def test_the_other_callbacks_of_the_pass_run_before_the_write() -> None:
    raw = Transport()
    loop = asyncio.get_running_loop()
    writes = PassWrites(raw, loop)  # type: ignore[arg-type]
    seen: list[int] = []
    loop.call_soon(lambda: seen.append(len(raw.writes)))  # ready before the first write
    writes.write(b"a")
    loop.call_soon(lambda: seen.append(len(raw.writes)))  # ready after it
    await next_pass()
    await next_pass()
    assert seen == [0, 1] and raw.writes == [b"a"]


async def test_close_sends_what_is_held_first_and_nothing_after() -> None:
    raw = Transport()
    writes = PassWrites(raw, asyncio.get_running_loop())  # type: ignore[arg-type]
    writes.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    writes.close()
    assert raw.writes == [b"HTTP/1.1 400 Bad Request\r\n\r\n"] and raw.closed
    await next_pass()  # the scheduled flush finds nothing
    assert len(raw.writes) == 1 and writes.is_closing()


async def test_a_refusal_after_a_held_response_goes_out_after_it() -> None:
    """The protocol's own 400 for a malformed pipelined request, written in the pass that
    answered the request before it, follows that answer on the wire."""
    raw = Transport()
    writes = PassWrites(raw, asyncio.get_running_loop())  # type: ignore[arg-type]
    writes.write(b"HTTP/1.1 200 OK\r\n\r\n")
    writes.write(b"body")
    writes.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    writes.close()
    assert raw.writes == [b"HTTP/1.1 200 OK\r\n\r\nbodyHTTP/1.1 400 Bad Request\r\n\r\n"]


async def test_what_is_held_when_the_peer_has_gone_is_dropped() -> None:
    raw = Transport()
    writes = PassWrites(raw, asyncio.get_running_loop())  # type: ignore[arg-type]
    writes.write(b"response")
    raw.closed = True  # connection_lost
    await next_pass()
    assert raw.writes == []


async def test_a_large_body_reaches_the_transport_at_once_for_its_flow_control() -> None:
    raw = Transport()
    writes = PassWrites(raw, asyncio.get_running_loop())  # type: ignore[arg-type]
    writes.write(b"head")
    writes.write(b"x" * HOLD_AT_MOST)
    assert raw.writes == [b"head" + b"x" * HOLD_AT_MOST]
    writes.writelines([b"1", b"2"])
    await next_pass()
    assert raw.writes[1:] == [b"12"]


async def test_everything_else_is_the_transports() -> None:
    raw = Transport()
    writes = PassWrites(raw, asyncio.get_running_loop())  # type: ignore[arg-type]
    writes.pause_reading()
    assert raw.paused and writes.get_extra_info("sockname") == ("127.0.0.1", 8000)
    assert writes.transport is raw


def test_every_method_of_a_transport_is_there() -> None:
    """Named one by one (no __getattr__), so none may be missing."""
    for name in dir(asyncio.Transport):
        if not name.startswith("_"):
            assert callable(getattr(PassWrites, name, None)), name


async def test_write_eof_sends_what_is_held_first() -> None:
    raw = Transport()
    writes = PassWrites(raw, asyncio.get_running_loop())  # type: ignore[arg-type]
    writes.write(b"body")
    writes.write_eof()
    assert raw.writes == [b"body", b"<eof>"]


async def test_abort_drops_what_is_held_and_the_buffer_size_counts_it() -> None:
    raw = Transport()
    writes = PassWrites(raw, asyncio.get_running_loop())  # type: ignore[arg-type]
    writes.write(b"12345")
    assert writes.get_write_buffer_size() == 5 + 7
    writes.abort()
    await next_pass()
    assert raw.closed and raw.writes == []
    assert writes.get_write_buffer_size() == 7
