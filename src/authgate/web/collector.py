"""CPython's cyclic garbage collector, set for a long-running server process.

Its default (a young collection every 700 net allocations of container objects, a full one
once the survivors of younger collections reach a quarter of the objects it already holds)
suits short programs. A server holds about 160,000 objects from its start (modules, the
app, settings, SQL metadata), and under load the requests in flight are alive at every
young collection: they survive it, and make a full collection about once a second, each
walking every object for some 75 ms during which nothing is answered. Measured on the
token endpoint under ``make bench`` (32 connections): 8 full collections in 8 s, 0.9 s of
collecting in all, a p99 latency of 74 ms; with :func:`tune_for_serving`, no collection at
all in 8 s, a p99 of 7.5 ms and 16% more tokens a second.

Requests' garbage is freed by reference counting as they end; the collector is only for
reference cycles. So, once the app has started: one collection, then :func:`gc.freeze`,
which moves everything alive to a permanent generation that no collection walks again (as
CPython's documentation suggests for servers), and a young-generation threshold of
:data:`YOUNG_THRESHOLD`, above what a loaded server has in flight, so that collections run
when cyclic garbage does build up, not because requests are in progress.

Only ``authgate serve`` (``app_factory``) does this; an app embedded in another program,
or built by the tests, leaves the collector as it found it.
"""

from __future__ import annotations

import gc

#: container objects allocated and not yet freed before a young collection
YOUNG_THRESHOLD = 10_000


def tune_for_serving() -> None:
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
