"""Cache invalidation: one "drop everything" signal for every in-process cache, carried
to every worker and machine over Redis when ``redis_url`` is set.

Caches register a callback that empties them (:meth:`Invalidation.register`, done at the
composition root); a change that makes cached copies wrong (a revoked token or family, a
deleted client, a rotated secret) calls :meth:`Invalidation.changed` once it is written.
That empties this process's caches at once and publishes a message on the channel
``{namespace}:invalidate``; every other process runs :meth:`Invalidation.listen` (in the
app's lifespan) and empties its caches when the message arrives, a few milliseconds later.

Without Redis, or while it is unreachable, other processes see the change when their
cached copies expire (``token_cache_seconds``, ``client_cache_seconds``). A listener that
reconnects after an outage empties its caches first, because it may have missed messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import secrets
from collections.abc import Callable
from typing import Any

from authgate.redis_pool import REDIS_ERRORS, OutageLog, is_outage

log = logging.getLogger("authgate.invalidation")

Drop = Callable[[], None]


class Invalidation:
    #: a silent connection (no message, no answer to a PING) is given up after this long
    PING_EVERY = 5.0
    #: waits between reconnection attempts, growing to the last one
    BACKOFF = (0.1, 0.25, 0.5, 1.0, 2.0)

    def __init__(self, redis: Any | None = None, namespace: str = "authgate") -> None:
        self._redis = redis
        self.channel = f"{namespace}:invalidate"
        self._drops: list[Drop] = []
        # Our own messages come back too: this process has already dropped its caches.
        self._sender = secrets.token_hex(8).encode()
        self._publish_outage = OutageLog(
            log,
            "cache invalidation channel (Redis)",
            "other workers see changes when their cached copies expire",
        )
        self._listen_outage = OutageLog(
            log,
            "cache invalidation channel (Redis)",
            "this worker sees other workers' changes when its cached copies expire",
        )
        #: set once the listener is subscribed (tests and start-up wait for it)
        self.subscribed = asyncio.Event()
        self._stopping = False

    @property
    def shared(self) -> bool:
        return self._redis is not None

    def register(self, drop: Drop) -> None:
        """``drop()`` empties one cache; it runs on every change, here or elsewhere."""
        self._drops.append(drop)

    def drop_local(self) -> None:
        for drop in self._drops:
            drop()

    async def changed(self) -> None:
        """Something cached changed in the database: drop every cache here, then tell the
        other processes. Never raises for Redis: the change itself is already done."""
        self.drop_local()
        if self._redis is None:
            return
        try:
            await self._redis.publish(self.channel, self._sender)
        except REDIS_ERRORS as exc:
            self._publish_outage.failed(exc)
        else:
            self._publish_outage.succeeded()

    async def listen(self) -> None:
        """Until cancelled: drop the caches on every other process's change. Reconnects
        after any Redis failure; returns at once without Redis."""
        if self._redis is None:
            return
        failures = 0
        while not self._stopping:
            try:
                await self._subscription()
            except Exception as exc:
                self.subscribed.clear()
                if is_outage(exc):
                    self._listen_outage.failed(exc)
                    await asyncio.sleep(self.BACKOFF[min(failures, len(self.BACKOFF) - 1)])
                    failures += 1
                else:  # a bug must not end the listener for the process's life
                    log.exception("cache invalidation listener failed; restarting it")
                    await asyncio.sleep(self.BACKOFF[-1])
            else:
                failures = 0

    async def stop(self, listener: asyncio.Task[None]) -> None:
        """End ``listener``, the task running :meth:`listen`. One cancellation is not always
        enough: one that lands while redis-py connects can be lost (seen here about once
        in a hundred), so it is asked again until the task is done."""
        self._stopping = True
        while not listener.done():
            listener.cancel()
            await asyncio.wait({listener}, timeout=0.1)
        if not listener.cancelled() and listener.exception() is not None:
            log.error(
                "cache invalidation listener ended with an error", exc_info=listener.exception()
            )

    async def _subscription(self) -> None:
        pubsub = self._redis.pubsub()  # type: ignore[union-attr]
        try:
            await pubsub.subscribe(self.channel)
            # Messages published while we were away are lost: start from empty caches.
            self.drop_local()
            self._listen_outage.succeeded()
            self.subscribed.set()
            loop = asyncio.get_running_loop()
            heard = loop.time()
            pinged = math.inf
            while not self._stopping:
                message = await pubsub.get_message(timeout=self.PING_EVERY)
                now = loop.time()
                if message is not None:
                    heard, pinged = now, math.inf
                    if message.get("type") == "message" and message.get("data") != self._sender:
                        self.drop_local()
                elif now - heard >= self.PING_EVERY:
                    if pinged < now - self.PING_EVERY:
                        raise TimeoutError("no answer to PING")
                    if pinged == math.inf:
                        await pubsub.ping()
                        pinged = now
        finally:
            with contextlib.suppress(*REDIS_ERRORS):  # already broken: nothing to close
                await pubsub.aclose()
