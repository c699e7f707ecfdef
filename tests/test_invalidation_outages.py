"""The invalidation listener reads a connection that Redis closed under it as an outage:
one warning, then reconnects, and no traceback (uvloop's closed-transport RuntimeError)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from authgate.invalidation import Invalidation


class ClosedUnderUs:
    """A Redis whose every subscription fails as uvloop fails when the server has gone."""

    def __init__(self) -> None:
        self.attempts = 0

    def pubsub(self) -> Any:
        outer = self

        class PubSub:
            async def subscribe(self, channel: str) -> None:
                outer.attempts += 1
                raise RuntimeError(
                    "unable to perform operation on <TCPTransport closed=True reading=False "
                    "0x55e83c9dec10>; the handler is closed"
                )

            async def aclose(self) -> None:
                return None

            async def reset(self) -> None:
                return None

        return PubSub()


async def test_a_closed_transport_is_an_outage_not_a_bug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    redis = ClosedUnderUs()
    invalidation = Invalidation(redis, "authgate-test")
    invalidation.BACKOFF = (0.001,)
    listener = asyncio.create_task(invalidation.listen())
    with caplog.at_level(logging.WARNING, logger="authgate"):
        for _ in range(500):
            if redis.attempts >= 3:
                break
            await asyncio.sleep(0.002)
        await invalidation.stop(listener)
    assert redis.attempts >= 3  # it kept reconnecting
    assert not [r for r in caplog.records if r.exc_info], "logged a traceback"
    unreachable = [r.getMessage() for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(unreachable) == 1 and "RuntimeError" in unreachable[0]
