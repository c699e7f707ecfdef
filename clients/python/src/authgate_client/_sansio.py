"""The sans-I/O core's vocabulary, and the two small drivers that run it.

Every flow of this package (discovery, each grant, the bearer auth's refresh and retries)
is written once, as a generator in the way httpx writes its auth flows: it yields the
requests it wants sent and gets the responses back. It may also yield three other steps:
:class:`Sleep` (wait before a retry), :class:`Save` (hand a new token to the app's store
callback) and :class:`Exclusive` (run a nested flow while holding the lock, so that
concurrent requests refresh once). The sync driver does these with ``time.sleep``, a
``threading.Lock`` and a plain call; the async one with ``anyio.sleep``, an
``anyio.Lock`` and an awaited call. That is the only code written twice.
"""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeAlias, TypeVar

import anyio
import httpx

from authgate_client.tokens import Token

T = TypeVar("T")


@dataclass(frozen=True)
class Fetch:
    """Send the request and read the whole body before handing the response back."""

    request: httpx.Request


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Save:
    """Call the token store callback with ``token``."""

    token: Token


@dataclass(frozen=True)
class Exclusive(Generic[T]):
    """Run ``flow`` holding the driver's lock; its result is sent back."""

    flow: Flow[T]


#: What a flow may yield. A bare request is sent and its response handed back unread
#: (the app's own API response, which it may stream).
Step: TypeAlias = "httpx.Request | Fetch | Sleep | Save | Exclusive[Any]"
Flow: TypeAlias = "Generator[Step, Any, T]"

SyncSaver = Callable[[Token], None]
AsyncSaver = Callable[[Token], Awaitable[None] | None]


def done(value: T) -> Flow[T]:
    """A flow that needs no I/O (a cache hit)."""
    return value
    yield  # pragma: no cover  (makes this a generator)


@dataclass
class _Frame:
    flow: Flow[Any]
    locked: bool


@dataclass
class SyncIO:
    save: SyncSaver | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    sleep: Callable[[float], None] = time.sleep


def drive_sync(flow: Flow[T], io: SyncIO) -> Generator[httpx.Request, httpx.Response, T]:
    """Run ``flow``: requests are yielded to the caller (httpx's auth machinery, or
    :func:`run_sync`), everything else is done here. Exceptions of a nested flow go to its
    parent, as with ``yield from``."""
    stack = [_Frame(flow, locked=False)]
    value: Any = None
    error: Exception | None = None
    try:
        while True:
            frame = stack[-1]
            try:
                step = frame.flow.throw(error) if error is not None else frame.flow.send(value)
            except StopIteration as stop:
                stack.pop()
                if frame.locked:
                    io.lock.release()
                if not stack:
                    result: T = stop.value
                    return result
                value, error = stop.value, None
                continue
            except Exception as exc:
                stack.pop()
                if frame.locked:
                    io.lock.release()
                if not stack:
                    raise
                value, error = None, exc
                continue
            value, error = None, None
            try:
                if isinstance(step, httpx.Request):
                    value = yield step
                elif isinstance(step, Fetch):
                    value = yield step.request
                    value.read()
                elif isinstance(step, Sleep):
                    io.sleep(step.seconds)
                elif isinstance(step, Save):
                    if io.save is not None:
                        io.save(step.token)
                else:
                    io.lock.acquire()
                    stack.append(_Frame(step.flow, locked=True))
            except Exception as exc:  # the store callback, or reading a body
                error = exc
    finally:
        for frame in reversed(stack):
            frame.flow.close()
            if frame.locked:
                io.lock.release()


def run_sync(flow: Flow[T], send: Callable[[httpx.Request], httpx.Response], io: SyncIO) -> T:
    """Run ``flow``, sending its requests with ``send`` (``httpx.Client.send``)."""
    driver = drive_sync(flow, io)
    try:
        request = next(driver)
        while True:
            request = driver.send(send(request))
    except StopIteration as stop:
        result: T = stop.value
        return result
    finally:
        driver.close()


@dataclass
class AsyncIO:
    save: AsyncSaver | None = None
    #: made at first use, inside the event loop that uses it
    lock: anyio.Lock | None = None
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep

    def the_lock(self) -> anyio.Lock:
        if self.lock is None:
            self.lock = anyio.Lock()
        return self.lock


@dataclass
class Outcome(Generic[T]):
    """Where :func:`drive_async` leaves the flow's result (an async generator cannot
    return one)."""

    value: T | None = None


async def drive_async(
    flow: Flow[T], io: AsyncIO, outcome: Outcome[T]
) -> AsyncGenerator[httpx.Request, httpx.Response]:
    """:func:`drive_sync`, with awaited waits, locks and store callbacks."""
    stack = [_Frame(flow, locked=False)]
    value: Any = None
    error: Exception | None = None
    try:
        while True:
            frame = stack[-1]
            try:
                step = frame.flow.throw(error) if error is not None else frame.flow.send(value)
            except StopIteration as stop:
                stack.pop()
                if frame.locked:
                    io.the_lock().release()
                if not stack:
                    outcome.value = stop.value
                    return
                value, error = stop.value, None
                continue
            except Exception as exc:
                stack.pop()
                if frame.locked:
                    io.the_lock().release()
                if not stack:
                    raise
                value, error = None, exc
                continue
            value, error = None, None
            try:
                if isinstance(step, httpx.Request):
                    value = yield step
                elif isinstance(step, Fetch):
                    value = yield step.request
                    await value.aread()
                elif isinstance(step, Sleep):
                    await io.sleep(step.seconds)
                elif isinstance(step, Save):
                    saved = io.save(step.token) if io.save is not None else None
                    if inspect.isawaitable(saved):
                        await saved
                else:
                    await io.the_lock().acquire()
                    stack.append(_Frame(step.flow, locked=True))
            except Exception as exc:
                error = exc
    finally:
        for frame in reversed(stack):
            frame.flow.close()
            if frame.locked:
                io.the_lock().release()


async def run_async(
    flow: Flow[T], send: Callable[[httpx.Request], Awaitable[httpx.Response]], io: AsyncIO
) -> T:
    """Run ``flow``, sending its requests with ``send`` (``httpx.AsyncClient.send``)."""
    outcome: Outcome[T] = Outcome()
    driver = drive_async(flow, io, outcome)
    try:
        request = await driver.__anext__()
        while True:
            request = await driver.asend(await send(request))
    except StopAsyncIteration:
        return outcome.value  # type: ignore[return-value]
    finally:
        await driver.aclose()
