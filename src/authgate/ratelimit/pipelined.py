"""limits' Redis storage, its scripts at one round trip per event-loop pass.

A Redis client's per-command overhead is more than the rest of an API request. So every
script call made while the previous batch is in flight goes out in the next pipeline:
under load one round trip serves many calls, the way group commit batches database
writes. The keys and data stay limits' own (ratelimit/leases.py reads and writes them).
"""

from __future__ import annotations

import asyncio
import functools
import math
from typing import Any

import redis.exceptions
from limits import RateLimitItem
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.util import WindowStats

from authgate.redis_pool import is_outage

Call = tuple[Any, list[str], list[Any], "asyncio.Future[Any]"]


class ScriptPipeline:
    """Runs Lua scripts (``redis.commands.core.AsyncScript``) in batches: the calls made
    while a batch may not go out yet wait for the next one, which takes them all as one
    pipeline. At most ``max_in_flight`` batches are on their way at once, each on its own
    connection: more batches means less waiting, fewer means larger batches (less work
    per request)."""

    #: seconds for one batch's round trip
    timeout = 2.0
    max_in_flight = 16

    def __init__(self, redis: Any) -> None:
        self._redis = redis
        self._pending: list[Call] = []
        self._in_flight = 0
        self._scheduled = False
        self._senders: set[asyncio.Task[None]] = set()

    async def call(self, script: Any, keys: list[str], args: list[Any]) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append((script, keys, args, future))
        self._kick()
        return await future

    def _kick(self) -> None:
        """Send what is pending at the next pass of the loop, if a batch may go out."""
        if not self._scheduled and self._in_flight < self.max_in_flight:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._start)

    def _start(self) -> None:
        self._scheduled = False
        if not self._pending or self._in_flight >= self.max_in_flight:
            return
        batch, self._pending = self._pending, []
        self._in_flight += 1
        sender = asyncio.create_task(self._send(batch))
        self._senders.add(sender)  # a reference, until it is done
        sender.add_done_callback(self._senders.discard)

    async def _send(self, batch: list[Call]) -> None:
        try:
            results = await self._execute(batch)
        except Exception as exc:  # Redis unreachable: every caller of the batch sees it
            for *_, future in batch:
                if not future.done():
                    future.set_exception(fresh_error(exc))
            return
        finally:
            self._in_flight -= 1
            if self._pending:
                self._kick()
        for (*_, future), result in zip(batch, results, strict=True):
            if future.done():  # its request was cancelled (client gone)
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def _execute(self, batch: list[Call]) -> list[Any]:
        results = await self._pipeline(batch)
        missing = [
            i for i, r in enumerate(results) if isinstance(r, redis.exceptions.NoScriptError)
        ]
        if missing:
            # First use, or Redis restarted empty: load the scripts and run those calls again.
            for script in {id(batch[i][0]): batch[i][0] for i in missing}.values():
                await self._redis.script_load(script.script)
            again = await self._pipeline([batch[i] for i in missing])
            for i, result in zip(missing, again, strict=True):
                results[i] = result
        return results

    async def _pipeline(self, batch: list[Call]) -> list[Any]:
        """One round trip on one connection of the pool: send every ``EVALSHA``, read every
        reply (an error reply, such as ``NOSCRIPT``, is that call's result). The whole batch
        has one deadline; a connection left half-read is closed, never reused."""
        pool = self._redis.connection_pool
        conn = await pool.get_connection()
        try:
            async with asyncio.timeout(self.timeout):
                await conn.send_packed_command(
                    b"".join(_evalsha(script.sha, keys, args) for script, keys, args, _ in batch),
                    check_health=False,
                )
                results: list[Any] = []
                for _ in batch:
                    try:
                        # No deadline per reply: the batch has one.
                        results.append(await conn.read_response(timeout=math.inf))
                    except redis.exceptions.ResponseError as exc:
                        results.append(exc)
        except BaseException:
            await conn.disconnect()
            raise
        finally:
            await pool.release(conn)
        return results


@functools.cache
def _evalsha_head(sha: str, keys: int, args: int) -> bytes:
    parts = [b"EVALSHA", sha.encode(), b"%d" % keys]
    head = b"*%d\r\n" % (len(parts) + keys + args)
    return head + b"".join(b"$%d\r\n%b\r\n" % (len(p), p) for p in parts)


def _evalsha(sha: str, keys: list[str], args: list[Any]) -> bytes:
    """``EVALSHA sha numkeys key... arg...`` in RESP: measured here, redis-py's general
    packer cost more than a tenth of a rate-limited request."""
    out = [_evalsha_head(sha, len(keys), len(args))]
    for value in (*keys, *args):
        data = (repr(value) if isinstance(value, float) else str(value)).encode()
        out.append(b"$%d\r\n%b\r\n" % (len(data), data))
    return b"".join(out)


def fresh_error(exc: Exception) -> Exception:
    """A fresh exception per waiting caller (one instance raised in many tasks would
    collect all their tracebacks), as a ``redis.exceptions.ConnectionError`` when it is an
    outage (:func:`~authgate.redis_pool.is_outage`), so that callers need catch only that."""
    if not is_outage(exc):
        return exc
    each = redis.exceptions.ConnectionError(type(exc).__name__)
    each.__cause__ = exc
    return each


class PipelinedRedisStorage(RedisStorage):
    """:class:`limits.aio.storage.RedisStorage` (same keys under ``key_prefix``) over an
    existing ``redis.asyncio.Redis`` client, whose scripts (:meth:`run_script`) go out
    batched with every other call of the same event-loop pass."""

    def __init__(self, redis: Any, key_prefix: str) -> None:
        super().__init__(
            "async+redis://",
            implementation="redispy",
            key_prefix=key_prefix,
            connection_pool=redis.connection_pool,
        )
        self._redis = redis
        self._scripts = ScriptPipeline(redis)

    def register_script(self, script: bytes) -> Any:
        return self._redis.register_script(script)

    async def run_script(self, script: Any, keys: list[str], args: list[Any]) -> Any:
        """Run a :meth:`register_script` script in the next batch."""
        return await self._scripts.call(script, keys, args)


class MovingWindow(MovingWindowRateLimiter):
    """limits' moving window strategy, plus :meth:`hit_and_stats`."""

    async def hit_and_stats(
        self, item: RateLimitItem, *identifiers: str
    ) -> tuple[bool, WindowStats]:
        """``hit``, then ``get_window_stats``."""
        acquired = await self.hit(item, *identifiers)
        return acquired, await self.get_window_stats(item, *identifiers)
