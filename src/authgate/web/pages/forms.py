"""Form bodies of authgate's own pages, parsed with the same rules as the protocol's."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

from authgate.errors import InvalidRequest
from authgate.protocol.requests import MAX_FIELDS, Params, is_form_content_type, parse_pairs
from authgate.web.oauth import read_limited_body


async def read_pairs(request: Request) -> list[tuple[str, str]]:
    if not is_form_content_type(request.headers.get("content-type")):
        raise InvalidRequest("send the form as application/x-www-form-urlencoded")
    body = await read_limited_body(request.receive, request.headers.get("content-length"))
    try:
        return parse_qsl(
            body.decode("ascii"), keep_blank_values=True, errors="strict", max_num_fields=MAX_FIELDS
        )
    except UnicodeDecodeError:
        raise InvalidRequest("the form is not valid URL-encoded UTF-8") from None
    except ValueError:
        raise InvalidRequest("the form has too many fields") from None


async def read_form(request: Request) -> Params:
    return parse_pairs(await read_pairs(request))
