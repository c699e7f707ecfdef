"""The request id: the client's (or its proxy's) ``X-Request-Id`` when it is a sane one,
else a new one; returned on every response and carried by the request's log lines and
audit events.

A sane id is 1 to 128 characters of letters, digits and ``-._:/+=@``: what request-id
schemes use (UUIDs, ``Root=1-…`` trace ids are refused for their ``;``), and nothing that
could forge a log line or a header.
"""

from __future__ import annotations

import itertools
import re
import secrets

HEADER = b"x-request-id"
_SANE = re.compile(rb"[A-Za-z0-9\-._:/+=@]{1,128}")
#: new ids: this process's random prefix and a counter (unique without a random draw each)
_PREFIX_BYTES = secrets.token_hex(6).encode()
_COUNT = itertools.count(1)


def request_id_bytes(sent: bytes | None) -> bytes:
    """The id for a request whose ``X-Request-Id`` is ``sent`` (``None``: none), as the
    header's bytes (ASCII)."""
    if sent is not None and _SANE.fullmatch(sent):
        return bytes(sent)
    return b"%b-%x" % (_PREFIX_BYTES, next(_COUNT))
