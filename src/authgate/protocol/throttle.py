"""The failure throttle the protocol layer uses against password guessing.

An attempt takes its place in the budget *before* the expensive check (``reserve``), so
that however many guesses arrive at once, at most ``max_failures`` per key are ever
verified in a window. A failed attempt simply keeps its place; a successful one gives it
back (``release``) or wipes the key's failures (``reset``). Implementations live in
``authgate.ratelimit.failures`` (in memory, or in Redis to share the budget between workers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Reservation:
    """One attempt's place in a key's budget."""

    key: str
    member: str


class Throttled(Exception):
    """The key has used its budget; ``retry_after`` seconds until a place frees up."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"throttled for {retry_after} seconds")
        self.retry_after = retry_after


class ThrottleUnavailable(Exception):
    """The shared counters cannot be reached: refuse rather than let guesses through."""


class FailureThrottle(Protocol):
    async def reserve(self, key: str) -> Reservation:
        """Take a place for one attempt, atomically; :class:`Throttled` when none is left."""
        ...

    async def release(self, reservation: Reservation) -> None:
        """The attempt succeeded (or never ran): it does not count as a failure."""
        ...

    async def reset(self, key: str) -> None:
        """Forget every failure recorded for ``key``."""
        ...
