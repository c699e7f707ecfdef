"""Parse raw request parameters, enforcing RFC 6749 §3.1 and §3.2 rules that every endpoint shares.

- Parameters sent without a value MUST be treated as if they were omitted (§3.1).
- Request and response parameters MUST NOT be included more than once (§3.1, §3.2).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from authgate.errors import InvalidRequest

MAX_BODY_BYTES = 64 * 1024
MAX_VALUE_LENGTH = 4096
MAX_FIELDS = 64

Params = dict[str, str]


def collect(pairs: list[tuple[str, str]]) -> tuple[Params, set[str]]:
    """Parameters with empty ones dropped (§3.1), and the names that were repeated."""
    params: Params = {}
    seen: set[str] = set()
    repeated: set[str] = set()
    for name, value in pairs:
        if name in seen:
            repeated.add(name)
        seen.add(name)
        if value:
            params[name] = value
    return params, repeated


def check_values(pairs: list[tuple[str, str]]) -> None:
    """Reject too many, over-long or NUL-bearing parameters."""
    if len(pairs) > MAX_FIELDS:
        raise InvalidRequest("too many parameters")
    for name, value in pairs:
        if len(value) > MAX_VALUE_LENGTH or len(name) > 128:
            raise InvalidRequest(f"parameter {name[:40]!r} is too long")
        if "\x00" in value or "\x00" in name:
            raise InvalidRequest(f"parameter {name[:40]!r} contains a NUL character")


def parse_pairs(pairs: list[tuple[str, str]], *, keep_empty: bool = False) -> Params:
    """Reject duplicates and hostile values; drop empty ones unless ``keep_empty`` (a
    resource's form where ``""`` clears a field, not an OAuth request)."""
    if len(pairs) > MAX_FIELDS:
        raise InvalidRequest("too many parameters")
    params, repeated = collect(pairs)
    if repeated:
        name = next(n for n, _ in pairs if n in repeated)
        raise InvalidRequest(f"parameter {name[:40]!r} was sent more than once")
    check_values(pairs)
    return dict(pairs) if keep_empty else params


def parse_form(body: bytes, *, keep_empty: bool = False) -> Params:
    """Parse an ``application/x-www-form-urlencoded`` body (UTF-8 after percent-decoding)."""
    if len(body) > MAX_BODY_BYTES:
        raise InvalidRequest("request body is too large")
    return parse_pairs(form_pairs(body, "request body"), keep_empty=keep_empty)


def plain_form(body: bytes) -> Params | None:
    """What :func:`parse_form` returns for the common body (ASCII, nothing percent- or
    plus-encoded, no NUL, no name twice, nothing over-long), in one pass: the parameters
    without the empty ones (§3.1). ``None`` for anything else, which :func:`parse_form`
    then parses and judges."""
    if len(body) > MAX_VALUE_LENGTH:
        return None
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        return None
    # Searched in the text: ``b"%" in body`` makes CPython 3.11 raise and clear a TypeError
    # (it first tries the operand as an int), thousands of instructions per request.
    if "%" in text or "+" in text or "\x00" in text:
        return None
    params: Params = {}
    if "&" not in text:  # one parameter: introspection, revocation, most token requests
        name, _, value = text.partition("=")
        if len(name) > 128:
            return None
        if value:
            params[name] = value
        return params
    if text.count("&") >= MAX_FIELDS:
        return None
    seen: set[str] = set()
    for part in text.split("&"):
        if part:
            name, _, value = part.partition("=")
            if name in seen or len(name) > 128:
                return None
            seen.add(name)
            if value:
                params[name] = value
    return params


def form_pairs(raw: bytes, what: str) -> list[tuple[str, str]]:
    """The name-value pairs of URL-encoded ``raw`` (a form body or a query string, named
    ``what`` in errors), every one kept (empty and repeated ones too) for
    :func:`parse_pairs`."""
    try:
        text = raw.decode("ascii")
        if "%" in text or "+" in text:
            return parse_qsl(
                text, keep_blank_values=True, errors="strict", max_num_fields=MAX_FIELDS
            )
        return _split_plain(text)
    except UnicodeDecodeError:
        raise InvalidRequest(f"{what} is not valid URL-encoded UTF-8") from None
    except ValueError:
        raise InvalidRequest("too many parameters") from None


def _split_plain(text: str) -> list[tuple[str, str]]:
    """What ``parse_qsl(text, keep_blank_values=True)`` returns for a body with nothing
    to decode (no ``%``, no ``+``), without its per-field decoding: most token,
    introspection and revocation requests."""
    if text.count("&") >= MAX_FIELDS:
        raise ValueError("too many fields")
    pairs: list[tuple[str, str]] = []
    for part in text.split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append((name, value))
    return pairs


def content_length_exceeds(length: str | None, limit: int = MAX_BODY_BYTES) -> bool:
    """Whether a ``Content-Length`` header value is malformed or larger than ``limit``.

    Only ASCII digits count (``"²".isdigit()`` is true, ``int("²")`` fails), and the length is
    checked before ``int`` so that thousands of digits cannot hit Python's int-size guard.
    """
    if length is None:
        return False
    length = length.strip()
    if not (length.isascii() and length.isdigit()):
        return True
    return len(length.lstrip("0")) > len(str(limit)) or int(length) > limit


#: RFC 6749 §5.2 and RFC 6750 §3: error_description = 1*( %x20-21 / %x23-5B / %x5D-7E )
DESCRIPTION_CHARS = frozenset(chr(c) for c in range(0x20, 0x7F)) - {'"', "\\"}


def safe_description(text: str) -> str:
    """``text`` reduced to the characters an ``error_description`` may contain.

    Descriptions may quote what the client sent (any Unicode, quotes, control characters);
    every character outside the allowed set becomes ``?``.
    """
    text = text.replace("\u00a7", "section ")
    return "".join(c if c in DESCRIPTION_CHARS else "?" for c in text)


def is_form_content_type(content_type: str | None) -> bool:
    if not content_type:
        return False
    return content_type.split(";", 1)[0].strip().lower() == "application/x-www-form-urlencoded"
