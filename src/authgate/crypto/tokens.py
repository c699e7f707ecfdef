"""Random secrets and their digests.

Tokens have the form ``<row id>.<secret>``: the row id is a non-secret, time-ordered
integer that makes look-ups and inserts cheap; the secret carries 256 random bits and only
its SHA-256 digest is stored. A slow hash buys nothing for a 256-bit random value.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable

SECRET_BYTES = 32  # 256 bits
_ID_LIMIT = 2**63  # ids are int64 row ids
_CANONICAL = re.compile(r"([1-9][0-9]{0,18})\.([A-Za-z0-9_-]{43})").fullmatch


def new_secret() -> str:
    """A URL-safe secret of 256 random bits (43 characters)."""
    return secrets.token_urlsafe(SECRET_BYTES)


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()


def matches(secret: str, expected_digest: bytes | None) -> bool:
    """Constant-time comparison of a presented secret with a stored digest."""
    if expected_digest is None:
        return False
    return hmac.compare_digest(digest(secret), expected_digest)


def format_token(row_id: int, secret: str) -> str:
    return f"{row_id}.{secret}"


def parse_token(token: str) -> tuple[int, str] | None:
    """Split ``<id>.<secret>``; ``None`` for anything but the one canonical form.

    The id is ASCII digits without a leading zero and below 2**63 (so ``02.<secret>`` is
    not token 2), the secret exactly 43 characters of the URL-safe alphabet, as
    :func:`new_secret` makes them. One regular-expression pass checks it all.
    """
    match = _CANONICAL(token)
    if match is None:
        return None
    row_id, secret = match.groups()
    value = int(row_id)
    return (value, secret) if value < _ID_LIMIT else None


def new_client_id() -> str:
    """A random, URL-safe client identifier (128 bits) that does not begin with ``-``.

    Client ids are typed into command lines as option values, and ``--client-id -x…``
    reads as an option (argparse and click both refuse it): one id in 64 did that.
    """
    while True:
        client_id = secrets.token_urlsafe(16)
        if not client_id.startswith("-"):
            return client_id


#: integer client ids lie in [10**8, 2**31): 9 or 10 digits, no leading zero, and within
#: a signed 32-bit integer, so that an app that declares the id an ``integer`` (seed 002)
#: never overflows one.
INTEGER_CLIENT_IDS = range(10**8, 2**31)


def new_integer_client_id() -> str:
    """A random integer client identifier in decimal (seed 002: ``client_id`` "integer").

    Random rather than sequential: client ids are not secret, but counting ones would tell
    anyone how many apps there are. The space holds about 2·10⁹ ids, so the registry
    retries on the rare collision.
    """
    return str(INTEGER_CLIENT_IDS.start + secrets.randbelow(len(INTEGER_CLIENT_IDS)))


#: ``client_id_format`` → the generator of new client ids
CLIENT_ID_GENERATORS: dict[str, Callable[[], str]] = {
    "random": new_client_id,
    "integer": new_integer_client_id,
}
