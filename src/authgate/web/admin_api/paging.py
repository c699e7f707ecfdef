"""Pages of a list: ``?limit=&cursor=``, and the next page's cursor in the body
(``next_cursor``) and in a ``Link: <…>; rel="next"`` header (RFC 8288).

A cursor is opaque to clients: base64url of a small JSON array (the last key seen). It is
decoded strictly: anything else (not base64, not JSON, wrong shape, numbers out of range)
is ``400 invalid_request``, never an error of the database."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query, Request, Response
from pydantic import BaseModel

from authgate.errors import InvalidRequest

T = TypeVar("T")
MAX_KEY = 2**62
MAX_CURSOR = 200

Limit = Annotated[int, Query(ge=1, le=500, description="Items per page (default 100).")]
Cursor = Annotated[
    str | None,
    Query(max_length=MAX_CURSOR, description="The `next_cursor` of the previous page."),
]


class Page(BaseModel, Generic[T]):
    items: list[T]
    #: pass as ``cursor`` for the next page; ``null`` on the last page
    next_cursor: str | None = None


def encode(key: Sequence[int]) -> str:
    raw = json.dumps(list(key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str | None, size: int) -> tuple[int, ...] | None:
    """The key a cursor holds: ``size`` integers in [0, 2**62); ``None`` without one."""
    if cursor is None:
        return None
    bad = InvalidRequest("cursor is not one this API gave out: start again without it")
    if len(cursor) > MAX_CURSOR or not cursor.isascii():
        raise bad
    try:
        value: Any = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise bad from None
    if (
        not isinstance(value, list)
        or len(value) != size
        or not all(type(v) is int and 0 <= v < MAX_KEY for v in value)
    ):
        raise bad
    return tuple(value)


def one_key(cursor: str | None) -> int | None:
    key = decode(cursor, 1)
    return None if key is None else key[0]


def cut(found: Sequence[T], limit: int, key: Any) -> tuple[list[T], str | None]:
    """A page from ``limit + 1`` items read: the first ``limit``, and the cursor after the
    last of them (``key(item)``: its sort key) if there was one more."""
    items = list(found[:limit])
    return items, encode(key(items[-1])) if len(found) > limit and items else None


def location(request: Request, response: Response, key: object) -> None:
    """``Location`` of a created resource: this collection's URL path and its key."""
    response.headers["Location"] = f"{request.url.path.rstrip('/')}/{key}"


def link_next(request: Request, response: Response, next_cursor: str | None) -> None:
    """``Link: <this URL with cursor=next>; rel="next"`` when there is a next page."""
    if next_cursor is None:
        return
    url = request.url.include_query_params(cursor=next_cursor)
    response.headers["Link"] = f'<{url}>; rel="next"'
