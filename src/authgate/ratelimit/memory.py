"""limits' in-process storage, sweeping expired counters now and then instead of after
every request.

``limits.aio.storage.MemoryStorage`` starts a sweep of every key after each hit, as soon as
the previous sweep has finished, and the sweep visits each key through a worker thread.
With thousands of users' counters that is a thread hop per key all the time (measured
here: more than the rest of an API request). Sweeping at most every ``SWEEP_EVERY``
seconds keeps memory bounded (a counter that expired is dropped within that time) at no
cost per request. Counting is untouched: expired entries never count in a window.
"""

from __future__ import annotations

import time
from typing import Any

from limits.aio.storage import MemoryStorage


class SweptMemoryStorage(MemoryStorage):
    SWEEP_EVERY = 10.0

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._next_sweep = 0.0

    # MemoryStorage calls its private ``__schedule_expiry`` (so, by name mangling, this
    # method) before every counter change.
    async def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + self.SWEEP_EVERY
        schedule: Any = getattr(super(), "_MemoryStorage__schedule_expiry")  # noqa: B009
        await schedule()
