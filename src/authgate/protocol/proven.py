"""What a presented secret was last proven against, for as long as the caches still hold it.

Every API call and introspection checks a bearer token, and every token, introspection
and revocation request authenticates a client; a resource server or an app presents the
same string again and again. Checking it in full each time (a regular expression or a
base64 decode, the secret's SHA-256 digest compared in constant time with the cached
row's, the scopes intersected, a result built) is about a fifth of such a request.

So the bearer check and the client authentication each remember, under the SHA-256 digest
of the presented string (never the string itself, as resource/remote.py's verdicts), the
cached objects it was proven against and what they concluded. A memo answers only while
the caches (storage/cache.py) still hold *those very objects*, compared by identity: a
revocation, a rotated secret, a deleted or changed client, and an entry's own expiry each
drop or replace them, and the next request takes the whole way again. A memo therefore
never trusts a row longer than the caches do; with the caches off (``ttl = 0``) it never
answers. What can change without touching a row is checked at every recall all the same:
expiry, request parameters, a space member's live permissions. A JWT access token is proven
by its signature too: its memo also holds the published keys it was verified with
(``KeyRing.verifiers_epoch``) and answers only while those are still the keys loaded, so
a key that stops being published stops its tokens when the keys are next read, as before.

Only successes are remembered, so a flood of made-up strings leaves a memo as it was, and
a memo is bounded like the caches (emptied when full).
"""

from __future__ import annotations

from typing import Generic, TypeVar

from authgate.crypto.tokens import digest

V = TypeVar("V")


class ProvenMemo(Generic[V]):
    """Values by the digest of the presented string they were proven for."""

    __slots__ = ("_entries", "_max")

    def __init__(self, max_entries: int) -> None:
        self._entries: dict[bytes, V] = {}
        self._max = max_entries

    @staticmethod
    def key(presented: str) -> bytes:
        return digest(presented)

    def recall(self, key: bytes) -> V | None:
        return self._entries.get(key)

    def remember(self, key: bytes, value: V) -> None:
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[key] = value

    def forget(self, key: bytes) -> None:
        self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)
