"""The throttle that the protocol layer uses for repeated failures (implemented in
``authgate.ratelimit`` over the ``limits`` library)."""

from __future__ import annotations

from typing import Protocol


class FailureThrottle(Protocol):
    async def retry_after(self, key: str) -> int:
        """Seconds until ``key`` may try again; 0 when it is not throttled."""
        ...

    async def failed(self, key: str) -> None: ...
    async def succeeded(self, key: str) -> None: ...
