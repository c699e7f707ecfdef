"""``ETag`` and ``If-Match`` (RFC 9110 §8.8.3, §13.1.1): every resource read carries an
ETag; an update or delete names the one it read, and runs only while it still holds.

Users, clients and memberships have a revision in their row (migration 0009): the ETag is
``"{kind}.{id}.{revision}"``, and the store's UPDATE or DELETE is conditional on that
revision in the same statement, so of two concurrent writers with one ETag exactly one
wins (the other gets 412). Other resources (spaces, keys) are read-only or have no
updates; their ETag is a digest of the representation."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import Request, Response

from authgate.protocol.admin.errors import PreconditionFailed, PreconditionRequired

#: ``openapi_extra`` of an operation that takes ``If-Match`` (412 and 428 follow from it)
CONDITIONAL: dict[str, Any] = {
    "parameters": [
        {
            "name": "If-Match",
            "in": "header",
            "required": False,
            "description": "The ETag of the resource as read, or `*`. Without it an update "
            "or delete is 428; with a stale one, 412.",
            "schema": {"type": "string"},
        }
    ]
}


def revision_tag(kind: str, key: object, revision: int) -> str:
    return f'"{kind}.{key}.{revision}"'


def content_tag(body: Any) -> str:
    raw = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()
    return '"' + hashlib.sha256(raw).hexdigest()[:32] + '"'


def body_tag(body: bytes) -> str:
    """The ETag of a representation without a revision: a digest of its bytes."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def tagged(response: Response, etag: str) -> None:
    response.headers["ETag"] = etag


def _tags(header: str) -> list[str]:
    return [t.strip().removeprefix("W/") for t in header.split(",") if t.strip()]


def require_match(request: Request, current: str, what: str) -> None:
    """``If-Match`` must name ``current`` or be ``*``: for a resource whose ETag is a
    digest (no revision column). A missing header is 428, another tag 412."""
    header = request.headers.get("if-match")
    if header is None or not header.strip():
        raise PreconditionRequired(f"send If-Match with the ETag of the {what} as you read it")
    tags = _tags(header)
    if tags != ["*"] and current not in tags:
        raise PreconditionFailed(f"the {what} changed since it was read (If-Match)")


def expected_revision(
    request: Request, kind: str, key: object, *, required: bool = True
) -> int | None:
    """The revision ``If-Match`` names for this resource; ``None`` for ``*`` or (if not
    ``required``) no header. A missing header on an update is 428; a tag of another
    resource, or one that is not ours, is 412."""
    header = request.headers.get("if-match")
    if header is None or not header.strip():
        if required:
            raise PreconditionRequired("send If-Match with the ETag of the resource as you read it")
        return None
    tags = _tags(header)
    if tags == ["*"]:
        return None
    prefix = f'"{kind}.{key}.'
    for tag in tags:
        if tag.startswith(prefix) and tag.endswith('"'):
            number = tag[len(prefix) : -1]
            # revisions start at 1; 0 would mean "any" to the store
            if number.isascii() and number.isdigit() and len(number) < 19 and int(number) > 0:
                return int(number)
    raise PreconditionFailed("the resource changed since it was read (If-Match)")
