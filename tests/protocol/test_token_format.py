"""Opaque tokens, codes and session cookies have one canonical form ``<id>.<secret>``."""

from __future__ import annotations

from typing import Any

import pytest

from authgate.crypto.tokens import format_token, new_secret, parse_token
from authgate.protocol.token_formats import AccessTokenFormats, OpaqueFormat

SECRET = new_secret()


def test_canonical_tokens_round_trip() -> None:
    assert len(SECRET) == 43
    assert parse_token(format_token(2, SECRET)) == (2, SECRET)
    assert parse_token(format_token(2**63 - 1, SECRET)) == (2**63 - 1, SECRET)


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(f"02.{SECRET}", id="leading-zero"),
        pytest.param(f"0.{SECRET}", id="zero"),
        pytest.param(f"00002.{SECRET}", id="many-leading-zeros"),
        pytest.param(f"+2.{SECRET}", id="plus"),
        pytest.param(f" 2.{SECRET}", id="space"),
        pytest.param(f"\u00b2.{SECRET}", id="superscript-two"),
        pytest.param(f"\u0662.{SECRET}", id="arabic-indic-two"),
        pytest.param(f"{2**63}.{SECRET}", id="beyond-int64"),
        pytest.param(f"{'9' * 20}.{SECRET}", id="twenty-digits"),
        pytest.param(f"2.{SECRET}=", id="padded-secret"),
        pytest.param(f"2.{SECRET[:-1]}", id="short-secret"),
        pytest.param(f"2.{SECRET}A", id="long-secret"),
        pytest.param(f"2.{SECRET[:-1]}+", id="standard-base64-char"),
        pytest.param(f"2.{SECRET[:-1]}\u00e9", id="non-ascii-secret"),
        pytest.param(f"2.{SECRET[:-1]}\ud800", id="surrogate-secret"),
        pytest.param(f"2.{SECRET}\n", id="trailing-newline"),
        pytest.param(f"2.{SECRET[:-1]}.", id="dot-in-secret"),
        pytest.param(f"2..{SECRET}", id="two-dots"),
        pytest.param(SECRET, id="no-id"),
        pytest.param("", id="empty"),
    ],
)
def test_only_the_canonical_form_is_accepted(token: str) -> None:
    assert parse_token(token) is None


class _NoJwt:
    """A JWT format that must not be asked: parse_now never reads a JWT."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the JWT format was asked for {name}")


@pytest.mark.parametrize("presented", ["12." + "A" * 43, "not-a-token", "", "1.2", "é"])
async def test_parse_now_reads_what_parse_reads_for_anything_but_a_jwt(presented: str) -> None:
    formats = AccessTokenFormats(OpaqueFormat(), _NoJwt(), default="opaque")
    read, parsed = formats.parse_now(presented)
    assert read is True
    assert parsed == await formats.parse(presented)


def test_parse_now_leaves_a_jwt_to_parse() -> None:
    formats = AccessTokenFormats(OpaqueFormat(), _NoJwt(), default="opaque")
    assert formats.parse_now("eyJh.eyJi.c2ln") == (False, None)
