"""The form parser's fast path for bodies with nothing to decode gives exactly what the
standard library's ``parse_qsl`` gives."""

from __future__ import annotations

from urllib.parse import parse_qsl

from hypothesis import given
from hypothesis import strategies as st

from authgate.protocol.requests import MAX_FIELDS, _split_plain

plain = st.text(alphabet="ab=&;.-_~:/ 0123456789", max_size=200)


@given(plain)
def test_the_fast_path_matches_parse_qsl(text: str) -> None:
    try:
        expected = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:
        expected = None
    try:
        got = _split_plain(text)
    except ValueError:
        got = None
    assert got == expected


def test_the_field_limit_is_the_same_on_both_paths() -> None:
    for count in (MAX_FIELDS - 1, MAX_FIELDS, MAX_FIELDS + 1):
        text = "&".join(f"a{i}=1" for i in range(count))
        try:
            expected = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
        except ValueError:
            expected = None
        try:
            got = _split_plain(text)
        except ValueError:
            got = None
        assert got == expected, count
