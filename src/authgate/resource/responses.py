"""``JsonResponse``: Starlette's ``JSONResponse`` with its body encoded by orjson; and
:func:`error_json`, the one shape of every OAuth error body.

Same output as Starlette's (compact, UTF-8, no NaN), about ten times faster to encode: a
JSON answer is a fair share of an API request's time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import JSONResponse

from authgate.errors import OAuthError
from authgate.protocol.requests import safe_description


class JsonResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def error_json(
    exc: OAuthError, headers: Mapping[str, str], *, description: str | None = None
) -> JsonResponse:
    """RFC 6749 §5.2's error body (its description reduced to the characters §5.2
    allows; never a stack trace) with ``exc``'s status and the caller's ``headers``;
    ``description``, when given, is said instead of ``exc``'s own."""
    body = exc.to_dict()
    if description:
        body["error_description"] = description
    if "error_description" in body:
        body["error_description"] = safe_description(body["error_description"])
    return JsonResponse(body, status_code=exc.status_code, headers=dict(headers))
