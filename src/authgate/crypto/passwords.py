"""Password hashing with Argon2id, run off the event loop on a bounded pool."""

from __future__ import annotations

import asyncio
import functools
import os
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A real hash to verify against when the account does not exist, so that an unknown
    e-mail costs the same time as a wrong password. Made once, when the first verifier is
    (not at import: the CLI should not pay ~0.2 s to print its help)."""
    return _hasher.hash("authgate-dummy-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def cpu_count() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class VerifierBusy(Exception):
    """Every verification slot is taken: answer at once instead of queueing behind them."""


class PasswordVerifier:
    """Argon2 verifications on their own threads: at most ``workers`` run at once (one
    per core by default) and at most ``queue`` more wait. Past that, :class:`VerifierBusy`
    comes at once, so that a flood of guesses cannot queue a real user's sign-in for
    seconds or starve the rest of the process of CPU."""

    def __init__(self, workers: int = 0, queue: int = 8) -> None:
        self.workers = workers or cpu_count()
        _dummy_hash()  # now, so that the first unknown e-mail costs no more than the rest
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="authgate-argon2")
        self._slots = self.workers + queue
        self._taken = 0

    @property
    def in_use(self) -> int:
        return self._taken

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """``None`` hash (unknown user) always fails, after the same work as a wrong one."""
        if self._taken >= self._slots:
            raise VerifierBusy
        self._taken += 1
        work = asyncio.get_running_loop().run_in_executor(
            self._executor, _verify, password_hash, password
        )
        # The slot is given back when the thread is done, even if the request goes away.
        work.add_done_callback(self._give_back)
        return await asyncio.shield(work)

    def _give_back(self, _: object) -> None:
        self._taken -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
