"""The body of a write to the demo API: an ``application/json`` object or an
``application/x-www-form-urlencoded`` form (seed 001), read strictly.

- At most :data:`MAX_BODY_BYTES`, counted while reading (a missing or false
  ``Content-Length`` does not get past it).
- JSON (RFC 8259): UTF-8 only (§8.1), no ``NaN`` or ``Infinity`` (not JSON, §6), no
  repeated member names (§4: parsers disagree on which one wins), no lone surrogate
  escape such as ``"\\ud800"`` (§8.2: not a Unicode string), and a nesting too deep for
  the parser is a malformed body, not a crash.
- Forms: the token endpoint's rules (RFC 6749 §3.1: no repeated, NUL-bearing or
  over-long parameters; protocol/requests.py), except that an empty field is kept (it
  clears the value); ``access_token`` is the RFC 6750 §2.2 token, not a field.

Anything else is :class:`InvalidRequest` (400).
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

from starlette.requests import Request

from authgate.errors import InvalidRequest
from authgate.protocol.requests import MAX_BODY_BYTES, content_length_exceeds, parse_form
from authgate.text import is_unicode

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


async def read_body(request: Request) -> dict[str, Any]:
    """The body's fields, or :class:`InvalidRequest`."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in {JSON, FORM}:
        raise InvalidRequest(f"send {JSON} or {FORM}")
    body = await _limited(request)
    if content_type == FORM:
        fields = parse_form(body, keep_empty=True)
        return {k: v for k, v in fields.items() if k != "access_token"}
    return parse_json_object(body)


async def _limited(request: Request) -> bytes:
    if content_length_exceeds(request.headers.get("content-length")):
        raise InvalidRequest("request body is too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():  # the cached body, if it was read already
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise InvalidRequest("request body is too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _not_json(name: str) -> NoReturn:
    raise InvalidRequest(f"the body is not valid JSON: {name} is not a JSON value")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, value in pairs:
        if name in found:
            raise InvalidRequest(f"the JSON body names {name[:40]!r} more than once")
        if not is_unicode(name) or (isinstance(value, str) and not is_unicode(value)):
            raise InvalidRequest(f"the JSON member {name[:40]!r} is not a valid Unicode string")
        found[name] = value
    return found


def parse_json_object(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(
            body.decode("utf-8"), object_pairs_hook=_object, parse_constant=_not_json
        )
    except UnicodeDecodeError:
        raise InvalidRequest("the body is not UTF-8 (RFC 8259 section 8.1)") from None
    except RecursionError:
        raise InvalidRequest("the JSON body is nested too deeply") from None
    except ValueError:  # JSONDecodeError, or an integer of more digits than Python converts
        raise InvalidRequest("the body is not valid JSON") from None
    if not isinstance(value, dict):
        raise InvalidRequest("the JSON body must be an object")
    return value
