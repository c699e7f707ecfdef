"""Redis for tests: ``AUTHGATE_TEST_REDIS_URL`` (``.ci/run`` sets it) selects the database.
When it is set, an unreachable server fails the test."""

from __future__ import annotations

import os
import secrets

import pytest

REDIS_URL = os.environ.get("AUTHGATE_TEST_REDIS_URL")


def redis_url_or_skip() -> str:
    """The test Redis database; tests give their counters a namespace of their own."""
    if not REDIS_URL:
        pytest.skip("Redis runs need AUTHGATE_TEST_REDIS_URL (set by .ci/run)")
    return REDIS_URL


def fresh_namespace() -> str:
    """A Redis key namespace no other test (or concurrent test run) uses."""
    return f"authgate-test-{os.getpid()}-{secrets.token_hex(4)}"
