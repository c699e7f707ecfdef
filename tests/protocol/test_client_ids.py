"""Random client ids are safe to pass as a command-line option value."""

from __future__ import annotations

import secrets

import pytest

from authgate.crypto import tokens


def test_a_drawn_id_beginning_with_a_dash_is_drawn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """``--client-id -x…`` reads as an option to argparse and click: such ids are not given
    out (one draw in 64 began with ``-``)."""
    draws = iter(["-leadingDashAAAAAAAAAAA", "_underscoreIsFineAAAAAA"])
    monkeypatch.setattr(secrets, "token_urlsafe", lambda nbytes: next(draws))
    assert tokens.new_client_id() == "_underscoreIsFineAAAAAA"


def test_random_ids_are_22_url_safe_characters_without_a_leading_dash() -> None:
    ids = {tokens.new_client_id() for _ in range(2000)}
    assert len(ids) == 2000
    for client_id in ids:
        assert len(client_id) == 22 and not client_id.startswith("-")
        assert set(client_id) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        )
