"""Redis for tests: ``AUTHGATE_TEST_REDIS_URL`` (``.ci/run`` sets it) selects a database
that the tests may empty. When it is set, an unreachable server fails the test."""

from __future__ import annotations

import os

import pytest

REDIS_URL = os.environ.get("AUTHGATE_TEST_REDIS_URL")


def redis_url_or_skip() -> str:
    """The test Redis database, emptied of authgate's throttle keys."""
    if not REDIS_URL:
        pytest.skip("Redis runs need AUTHGATE_TEST_REDIS_URL (set by .ci/run)")

    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter("authgate:throttle:*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
    return REDIS_URL
