"""Prometheus metrics (``prometheus-client``), served on ``metrics_port`` at ``/metrics``.

Cheap where it counts. prometheus-client takes a lock per increment, and a request would
pay for a counter and a histogram (measured here: 3 to 4 µs in the running app, a fifth of
a bearer check). So what happens on every request (its endpoint, status and latency, a
token issued, a group commit, a cache look-up) is counted in plain Python integers first,
about half a microsecond, and added to prometheus-client's metrics when they are read
(``sync``: at each scrape, and every second with several workers). Rarer events (a failed
client authentication, a refused request, a sign-in, a reuse) go straight to their
counters.

Labels are bounded: endpoints are route templates (``/api/spaces/{slug}/members``), fixed
paths or ``other``; statuses are HTTP codes; the rest are fixed words.

With several workers (``serve --workers N``), ``serve`` points prometheus-client's
multiprocess mode at a fresh directory (``PROMETHEUS_MULTIPROC_DIR``): each worker writes
its values there, and whichever worker answers a scrape reports the sum over all of
them, so that ``/metrics`` shows the whole server whichever worker it reaches. The
process and garbage-collector metrics are then left out (prometheus-client cannot sum
them).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from bisect import bisect_left
from collections.abc import Iterable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    gc_collector,
    generate_latest,
    platform_collector,
    process_collector,
)
from prometheus_client.multiprocess import MultiProcessCollector

from authgate.audit.events import (
    SIGN_IN_FAILED,
    SIGN_IN_SUCCEEDED,
    TOKEN_REUSE_DETECTED,
    NewAuditEvent,
)
from authgate.storage.cache import TtlCache
from authgate.web.routing import route_path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: seconds; authgate answers most requests in well under a millisecond
LATENCY_BUCKETS = (
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
OTHER = "other"
_VIA = frozenset({"sign_in_page", "password_grant"})
_REUSE = frozenset({"refresh_token", "authorization_code"})
_LIMITS = frozenset({"token", "api"})


class Metrics:
    def __init__(self, fixed_paths: Iterable[str], *, multiprocess_dir: str | None = None) -> None:
        self.multiprocess_dir = multiprocess_dir
        self.registry = CollectorRegistry(auto_describe=False)
        if multiprocess_dir is None:
            process_collector.ProcessCollector(registry=self.registry)
            platform_collector.PlatformCollector(registry=self.registry)
            gc_collector.GCCollector(registry=self.registry)
        r = self.registry
        self.requests = Counter(
            "authgate_http_requests",
            "HTTP requests answered, by endpoint (route template) and status.",
            ["endpoint", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "authgate_http_request_duration_seconds",
            "Seconds from a request's arrival to the end of its response, by endpoint.",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.tokens = Counter(
            "authgate_tokens_issued",
            "Tokens issued by the token endpoint, by grant type.",
            ["grant_type"],
            registry=r,
        )
        self.client_auth_failures = Counter(
            "authgate_client_authentication_failures",
            "Requests refused with invalid_client, by endpoint (token, revocation, introspection).",
            ["endpoint"],
            registry=r,
        )
        self.throttled = Counter(
            "authgate_throttled_requests",
            "Requests refused for a limit: token (per client at the token endpoint), api "
            "(per user or client on the API), password (failed password attempts).",
            ["limit"],
            registry=r,
        )
        self.reuse = Counter(
            "authgate_token_reuse_detections",
            "Used refresh tokens or authorization codes presented again (their families "
            "were revoked).",
            ["kind"],
            registry=r,
        )
        self.sign_ins = Counter(
            "authgate_sign_ins",
            "Password checks, by where (sign_in_page, password_grant) and result (success, "
            "failure, throttled).",
            ["via", "result"],
            registry=r,
        )
        self.batch_size = Histogram(
            "authgate_db_commit_batch_size",
            "Writes committed together by one SQLite group commit.",
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self.cache_lookups = Counter(
            "authgate_cache_lookups",
            "Look-ups of the in-process caches, by cache and result (hit, miss).",
            ["cache", "result"],
            registry=r,
        )
        self.audit_dropped = Counter(
            "authgate_audit_events_dropped",
            "Audit events dropped because too many waited for the database.",
            registry=r,
        )
        self._paths = frozenset(fixed_paths)
        #: per (endpoint, status): [count, seconds, one count per latency bucket]
        self._requests: dict[tuple[str, int], list[Any]] = {}
        self._issued: dict[str, int] = {}
        #: [count, writes, one count per batch-size bucket]
        self._batches: list[Any] = _empty(len(BATCH_BUCKETS))
        self._caches: dict[str, TtlCache[Any, Any]] = {}
        self._seen: dict[str, tuple[int, int]] = {}
        self._audit: Any = None
        self._dropped = 0

    @classmethod
    def from_environment(cls, fixed_paths: Iterable[str]) -> Metrics:
        """Multiprocess mode when ``serve --workers N`` set its directory."""
        return cls(fixed_paths, multiprocess_dir=os.environ.get(MULTIPROC_ENV) or None)

    # ---------------------------------------------------------------- the hot paths

    def endpoint(self, scope: Any) -> str:
        route = scope.get("route")
        if route is not None:
            path = getattr(route, "path", None)
            if isinstance(path, str):
                return path or "/"
        path = route_path(scope)
        return path if path in self._paths else OTHER

    def request(self, scope: Any, status: int, seconds: float) -> None:
        """The edge's observer: once per HTTP request."""
        key = (self.endpoint(scope), status)
        counts = self._requests.get(key)
        if counts is None:
            counts = self._requests[key] = _empty(len(LATENCY_BUCKETS))
        counts[0] += 1
        counts[1] += seconds
        counts[2 + bisect_left(LATENCY_BUCKETS, seconds)] += 1

    def token_issued(self, grant_type: str) -> None:
        self._issued[grant_type] = self._issued.get(grant_type, 0) + 1

    def client_auth_failed(self, endpoint: str) -> None:
        self.client_auth_failures.labels(endpoint).inc()

    def refused(self, kind: str) -> None:
        """The rate limiter's ``on_refused``."""
        self.throttled.labels(kind if kind in _LIMITS else OTHER).inc()

    def batch(self, size: int) -> None:
        counts = self._batches
        counts[0] += 1
        counts[1] += size
        counts[2 + bisect_left(BATCH_BUCKETS, size)] += 1

    def audit_event(self, event: NewAuditEvent) -> None:
        """The audit log's observer: sign-ins, throttled passwords, reuse."""
        if event.event in (SIGN_IN_SUCCEEDED, SIGN_IN_FAILED):
            via = event.details.get("via")
            via = via if via in _VIA else OTHER
            if event.event == SIGN_IN_SUCCEEDED:
                result = "success"
            elif event.details.get("reason") == "throttled":
                result = "throttled"
                self.throttled.labels("password").inc()
            else:
                result = "failure"
            self.sign_ins.labels(via, result).inc()
        elif event.event == TOKEN_REUSE_DETECTED:
            kind = event.details.get("kind")
            self.reuse.labels(kind if kind in _REUSE else OTHER).inc()

    # ---------------------------------------------------------------- read at scrape time

    def watch_caches(self, caches: dict[str, TtlCache[Any, Any]]) -> None:
        self._caches.update(caches)

    def watch_audit(self, audit: Any) -> None:
        self._audit = audit
        audit.observe(self.audit_event)

    def sync(self) -> None:
        """Add what was counted in plain integers since the last sync."""
        for (endpoint, status), counts in self._requests.items():
            if counts[0]:
                self.requests.labels(endpoint, str(status)).inc(counts[0])
                _add(self.latency.labels(endpoint), counts)
                counts[:] = _empty(len(LATENCY_BUCKETS))
        for grant_type, issued in self._issued.items():
            if issued:
                self.tokens.labels(grant_type).inc(issued)
                self._issued[grant_type] = 0
        if self._batches[0]:
            _add(self.batch_size, self._batches)
            self._batches = _empty(len(BATCH_BUCKETS))
        for name, cache in self._caches.items():
            hits, misses = self._seen.get(name, (0, 0))
            if cache.hits > hits:
                self.cache_lookups.labels(name, "hit").inc(cache.hits - hits)
            if cache.misses > misses:
                self.cache_lookups.labels(name, "miss").inc(cache.misses - misses)
            self._seen[name] = (cache.hits, cache.misses)
        if self._audit is not None and self._audit.dropped > self._dropped:
            self.audit_dropped.inc(self._audit.dropped - self._dropped)
            self._dropped = self._audit.dropped

    async def sync_every(self, seconds: float = 1.0) -> None:
        """With several workers, each one's counts reach the shared files in a second."""
        if self.multiprocess_dir is None:
            return
        while True:
            await asyncio.sleep(seconds)
            self.sync()

    def exposition(self) -> tuple[bytes, str]:
        """The text ``/metrics`` answers: this process's, or every worker's summed."""
        self.sync()
        if self.multiprocess_dir is None:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        registry = CollectorRegistry(auto_describe=False)
        MultiProcessCollector(registry, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST


async def stop_sync(task: asyncio.Task[None] | None) -> None:
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _empty(buckets: int) -> list[Any]:
    """Counts of a histogram: observations, their sum, then one per bucket and +Inf."""
    return [0, 0.0, *([0] * (buckets + 1))]


def _add(histogram: Any, counts: list[Any]) -> None:
    """Add ``counts`` to a prometheus-client histogram (one child): its sum and each
    bucket's count, as ``observe`` would have one observation at a time."""
    buckets = getattr(histogram, "_buckets", None)
    total = getattr(histogram, "_sum", None)
    if buckets is None or total is None or len(buckets) != len(counts) - 2:
        raise RuntimeError("this prometheus-client's histograms are not as expected")
    total.inc(counts[1])
    for bucket, count in zip(buckets, counts[2:], strict=True):
        if count:
            bucket.inc(count)
