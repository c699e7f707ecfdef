"""The one Redis client of a process, and how its outages are logged.

The failure throttles, the request rate limits and the cache invalidations share one
connection pool. Every call is bounded in time (connect, read, waiting for a free
connection), so that an unreachable Redis costs a request a short wait, never a hang.
"""

from __future__ import annotations

import logging
from typing import Any

import redis.asyncio
import redis.exceptions

#: seconds to open a connection, and to wait for an answer
CONNECT_TIMEOUT = 1.0
READ_TIMEOUT = 2.0
#: connections per process; callers wait (briefly) for a free one rather than fail at once
MAX_CONNECTIONS = 64


def connect(url: str) -> Any:
    """A ``redis.asyncio.Redis`` on a bounded pool (nothing is connected until first use)."""
    pool = redis.asyncio.BlockingConnectionPool.from_url(
        url,
        max_connections=MAX_CONNECTIONS,
        timeout=READ_TIMEOUT,
        socket_connect_timeout=CONNECT_TIMEOUT,
        socket_timeout=READ_TIMEOUT,
    )
    return redis.asyncio.Redis(connection_pool=pool)


#: what a call to an unreachable, restarting or overloaded Redis raises
REDIS_ERRORS: tuple[type[Exception], ...] = (redis.exceptions.RedisError, OSError, TimeoutError)


def is_outage(exc: BaseException) -> bool:
    """One of :data:`REDIS_ERRORS`, or uvloop's ``RuntimeError`` ("unable to perform
    operation on <TCPTransport closed=True …>; the handler is closed") when redis-py
    reconnects over a connection that the server has just closed (seen as Redis stopped)."""
    return isinstance(exc, REDIS_ERRORS) or (
        isinstance(exc, RuntimeError) and "handler is closed" in str(exc)
    )


class OutageLog:
    """Logs that ``what`` became unreachable once per outage, and once that it is back,
    however many requests notice in between. Only the exception's type is logged: never a
    key, a token or the URL (which may hold a password)."""

    def __init__(self, logger: logging.Logger, what: str, consequence: str) -> None:
        self._log = logger
        self._what = what
        self._consequence = consequence
        self.down = False

    def failed(self, exc: BaseException) -> None:
        if not self.down:
            self.down = True
            self._log.warning(
                "%s unreachable (%s): %s", self._what, type(exc).__name__, self._consequence
            )

    def succeeded(self) -> None:
        if self.down:
            self.down = False
            self._log.warning("%s reachable again", self._what)
