"""Password hashing with Argon2id, run off the event loop."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
# A real hash to verify against when the account does not exist, so that an unknown
# e-mail costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("authgate-dummy-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Verify in a worker thread; ``None`` hash (unknown user) always fails, in equal time."""
    return await asyncio.to_thread(_verify, password_hash, password)
