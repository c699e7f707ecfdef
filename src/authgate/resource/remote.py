"""What the two remote verifiers share: an HTTP client, a clock, a bounded cache of
verdicts keyed by the token's digest (never the token itself)."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from typing import Any

import httpx

from authgate.errors import TemporarilyUnavailable
from authgate.resource.token import VerifiedToken

Clock = Callable[[], float]
UNAVAILABLE = "the authorization server cannot be reached to check the token"
MAX_TOKEN_LENGTH = 8192
#: RFC 6750 §2.1 ``b64token``: what is not one is no token, and is not sent anywhere
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*").fullmatch


def plausible_token(presented: str) -> bool:
    return len(presented) <= MAX_TOKEN_LENGTH and _B64TOKEN(presented) is not None


def token_key(presented: str) -> bytes:
    return hashlib.sha256(presented.encode("utf-8", "surrogatepass")).digest()


class VerdictCache:
    """Verdicts (a token, or ``None`` for "not active") until their own expiry time."""

    def __init__(self, max_entries: int, clock: Clock) -> None:
        self._max = max_entries
        self._clock = clock
        self._entries: dict[bytes, tuple[float, VerifiedToken | None]] = {}

    def get(self, key: bytes) -> tuple[bool, VerifiedToken | None]:
        entry = self._entries.get(key)
        if entry is None or entry[0] <= self._clock():
            return False, None
        return True, entry[1]

    def put(self, key: bytes, verdict: VerifiedToken | None, until: float) -> None:
        if until <= self._clock():
            return
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[key] = (until, verdict)

    def clear(self) -> None:
        self._entries.clear()


async def fetch_json(http: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> Any:
    """The JSON body of a 200 answer; anything else (down, slow, 5xx, not JSON) means the
    authorization server cannot vouch for the token now: 503, never a 401 or a 500."""
    try:
        response = await http.request(method, url, **kwargs)
        if response.status_code != 200:
            raise TemporarilyUnavailable(UNAVAILABLE)
        return response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise TemporarilyUnavailable(UNAVAILABLE) from exc


def default_http(timeout: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=timeout, follow_redirects=False)


def now_clock() -> float:
    return time.time()
