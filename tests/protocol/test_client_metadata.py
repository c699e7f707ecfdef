"""RFC 7591 §2 client metadata read strictly, without HTTP; and the durations of
``client initial-token --expires``."""

from __future__ import annotations

from typing import Any

import pytest

from authgate.errors import InvalidClientMetadata, InvalidRedirectUri
from authgate.protocol.client_metadata import parse_document, read_metadata
from authgate.protocol.initial_tokens import parse_duration
from authgate.protocol.rules import RegistrationError


def test_defaults_rfc7591_2() -> None:
    metadata = read_metadata({})
    assert metadata.auth_method == "client_secret_basic" and not metadata.public
    assert metadata.grant_types == ("authorization_code",)
    assert metadata.response_types == ("code",)
    assert metadata.scopes is None and metadata.redirect_uris == ()
    assert metadata.client_id is None  # only an update reads it


@pytest.mark.parametrize(
    ("grants", "derived"),
    [
        (["authorization_code"], ("code",)),
        (["implicit"], ("token",)),
        (["authorization_code", "implicit"], ("code", "token")),
        (["client_credentials"], ()),
        (["password", "refresh_token"], ()),
    ],
)
def test_response_types_follow_the_grants_when_left_out_rfc7591_2_1(
    grants: list[str], derived: tuple[str, ...]
) -> None:
    assert read_metadata({"grant_types": grants}).response_types == derived


def test_response_types_are_normalized_and_kept_once() -> None:
    metadata = read_metadata(
        {
            "grant_types": ["authorization_code", "implicit"],
            "response_types": ["token id_token", "id_token token", "code"],
        }
    )
    assert metadata.response_types == ("id_token token", "code")


def test_openid_connect_scopes_are_dropped_and_the_update_fields_read() -> None:
    metadata = read_metadata(
        {"scope": "openid  read email", "client_id": "c1", "client_secret": "s"}, update=True
    )
    assert metadata.scopes == {"read"}
    assert (metadata.client_id, metadata.client_secret) == ("c1", "s")


@pytest.mark.parametrize(
    ("document", "error"),
    [
        ({"redirect_uris": "https://a.example/cb"}, InvalidRedirectUri),
        ({"redirect_uris": ["\ud800"]}, InvalidRedirectUri),
        ({"client_name": 5}, InvalidClientMetadata),
        ({"grant_types": ["x"] * 101}, InvalidClientMetadata),
        ({"token_endpoint_auth_method": "tls_client_auth"}, InvalidClientMetadata),
    ],
)
def test_wrong_types_are_refused(document: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        read_metadata(document)


@pytest.mark.parametrize(
    "body", [b"[]", b"{}{}", b'{"a": 1, "a": 2}', b'{"a": NaN}', b"\xc3", b"[" * 50_000]
)
def test_documents_that_are_not_one_json_object(body: bytes) -> None:
    with pytest.raises(InvalidClientMetadata):
        parse_document(body)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90), ("90s", 90), ("30m", 1800), ("12h", 43200), ("1d", 86400), ("2W", 1209600)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "1y", "-1d", "1.5h", "1 d", "\u0661d", "522w"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(RegistrationError):
        parse_duration(text)


def test_never() -> None:
    assert parse_duration(" Never ") is None
