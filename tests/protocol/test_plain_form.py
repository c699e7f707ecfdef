"""``plain_form``, the one-pass parser of the common form body, says what ``parse_form``
says or leaves the body to it (RFC 6749 §3.1: empty parameters dropped, none repeated)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from authgate.protocol.requests import MAX_FIELDS, parse_form, plain_form

PIECES = ["a", "b", "token", "grant_type", "=", "&", "%41", "+", "\x00", "é", "x" * 129, ""]


@given(st.lists(st.sampled_from(PIECES), max_size=12))
def test_it_agrees_with_parse_form_or_leaves_the_body_to_it(pieces: list[str]) -> None:
    body = "".join(pieces).encode()
    plain = plain_form(body)
    if plain is None:
        return
    assert parse_form(body) == plain


@pytest.mark.parametrize(
    ("body", "params"),
    [
        (b"grant_type=client_credentials", {"grant_type": "client_credentials"}),
        (b"token=1.abc&token_type_hint=", {"token": "1.abc"}),
        (b"&&a=1&&", {"a": "1"}),
        (b"", {}),
    ],
)
def test_the_common_bodies_are_parsed_in_one_pass(body: bytes, params: dict[str, str]) -> None:
    assert plain_form(body) == params == parse_form(body)


@pytest.mark.parametrize(
    "body",
    [
        b"a=1&a=2",  # repeated: parse_form refuses it
        b"a=&a=2",
        b"a=%41",  # encoded
        b"a=b+c",
        b"a=\x00",
        "a=é".encode(),
        b"n" * 129 + b"=1",
        b"a=" + b"v" * 5000,
        b"&".join(b"f%d=1" % i for i in range(MAX_FIELDS + 1)),
    ],
)
def test_anything_else_is_left_to_parse_form(body: bytes) -> None:
    assert plain_form(body) is None
