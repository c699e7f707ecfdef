"""``JsonResponse``: Starlette's ``JSONResponse`` with its body encoded by orjson.

Same output as Starlette's (compact, UTF-8, no NaN), about ten times faster to encode: a
JSON answer is a fair share of an API request's time."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse


class JsonResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
