"""Hostile and malformed input at the token endpoint (RFC 6749 §3.1, §3.2, §2.3.1, §5.2)
and at the demo API (RFC 6750 §2, §3).

Every answer must be a well-formed RFC error, never a 500 or a stack trace.
"""

from __future__ import annotations

import base64
import re
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from authgate.protocol.registration import Registered
from tests.conftest import Factory

TOKEN = "/oauth/token"
FORM = "application/x-www-form-urlencoded"

#: RFC 6749 §5.2 error codes.
RFC6749_ERRORS = frozenset(
    {
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
    }
)
#: RFC 8693 §2.2.2 adds one for token exchange.
TOKEN_ERRORS = RFC6749_ERRORS | {"invalid_target"}
#: RFC 6749 §5.2 / RFC 6750 §3: error_description = 1*( %x20-21 / %x23-5B / %x5D-7E )
DESCRIPTION = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]+")


def assert_rfc6749_error(
    r: httpx.Response, error: str | None = None, status: int | None = None
) -> dict[str, Any]:
    """``r`` is a well-formed RFC 6749 §5.2 error response; returns its body."""
    assert r.status_code in {400, 401}, (r.status_code, r.text)
    assert "Traceback" not in r.text
    assert r.headers["content-type"].startswith("application/json"), r.headers
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["pragma"] == "no-cache"
    body = r.json()
    assert isinstance(body, dict), body
    assert set(body) <= {"error", "error_description", "error_uri"}, body
    assert body["error"] in TOKEN_ERRORS, body
    if "error_description" in body:
        assert isinstance(body["error_description"], str)
        assert DESCRIPTION.fullmatch(body["error_description"]), body["error_description"]
    # §5.2: only invalid_client may be a 401; a 401 must say how to authenticate when the
    # client tried the Authorization header.
    if r.status_code == 401:
        assert body["error"] == "invalid_client", body
    else:
        assert r.status_code == 400
    if error is not None:
        assert body["error"] == error, body
    if status is not None:
        assert r.status_code == status, body
    return body


def b64(raw: bytes | str) -> str:
    return base64.b64encode(raw.encode() if isinstance(raw, str) else raw).decode()


@pytest.fixture
async def reg(make: Factory) -> Registered:
    """A confidential client with the client credentials, password and refresh grants."""
    return await make.client(grant_types=["client_credentials", "password"], scopes=["read"])


async def raw_request(
    app: Starlette,
    *,
    method: str = "POST",
    path: str = TOKEN,
    query: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    chunks: list[bytes] | None = None,
) -> httpx.Response:
    """Call the ASGI app with exactly these bytes: no client library fixes anything up."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"testserver"), *(headers or [])],
        "client": ("127.0.0.1", 12345),
        "server": ("testserver", 80),
        "state": {},
    }
    pending = list(chunks or [b""])
    status = 0
    response_headers: list[tuple[bytes, bytes]] = []
    body = bytearray()

    async def receive() -> dict[str, Any]:
        if pending:
            chunk = pending.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(pending)}
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            response_headers.extend(message.get("headers", []))
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    await app(scope, receive, send)
    return httpx.Response(
        status,
        headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in response_headers],
        content=bytes(body),
    )


async def post_raw(
    app: Starlette, body: bytes, *extra: tuple[bytes, bytes], query: bytes = b""
) -> httpx.Response:
    headers = [(b"content-type", FORM.encode()), (b"content-length", str(len(body)).encode())]
    headers += extra
    return await raw_request(app, headers=headers, chunks=[body], query=query)


# ---------------------------------------------------------------------------- controls


async def test_rfc6749_4_4_well_formed_request_succeeds(
    http: httpx.AsyncClient, reg: Registered
) -> None:
    """The positive control for everything below."""
    assert reg.client_secret
    r = await http.post(
        TOKEN,
        content=b"grant_type=client_credentials",
        headers={
            "Content-Type": "APPLICATION/X-WWW-FORM-URLENCODED; charset=UTF-8",
            "Authorization": "basic " + b64(f"{reg.client.client_id}:{reg.client_secret}"),
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["token_type"] == "Bearer"


async def test_raw_asgi_helper_positive_control(app: Starlette, reg: Registered) -> None:
    body = f"grant_type=client_credentials&client_id={reg.client.client_id}"
    body += f"&client_secret={reg.client_secret}"
    r = await post_raw(app, body.encode())
    assert r.status_code == 200, r.text


# ---------------------------------------------------------------------------- §3.1 bodies

# (id, raw body with {id}/{secret} placeholders, expected error, expected status)
BODY_CASES: list[Any] = [
    # Missing, empty (§3.1: "sent without a value MUST be treated as if omitted")
    pytest.param(b"", "invalid_request", 400, id="empty-body"),
    pytest.param(b"grant_type=", "invalid_request", 400, id="empty-grant-type"),
    pytest.param(b"grant_type", "invalid_request", 400, id="grant-type-without-equals"),
    pytest.param(b"GRANT_TYPE=client_credentials", "invalid_request", 400, id="name-case"),
    pytest.param(b"=", "invalid_request", 400, id="lone-equals"),
    pytest.param(b"&&&", "invalid_request", 400, id="only-ampersands"),
    pytest.param(b"=client_credentials", "invalid_request", 400, id="value-without-name"),
    pytest.param(b"%", "invalid_request", 400, id="lone-percent"),
    pytest.param(b"grant_type=%zz", "unsupported_grant_type", 400, id="bad-percent-escape"),
    pytest.param(
        b"grant_type=client_credentials&client_id=", "invalid_client", 401, id="empty-client-id"
    ),
    pytest.param(b"grant_type=client_credentials", "invalid_client", 401, id="no-client-at-all"),
    pytest.param(
        b"grant_type=client_credentials&client_id={id}&client_secret=",
        "invalid_client",
        401,
        id="empty-secret-is-omitted",
    ),
    pytest.param(
        b"grant_type=client_credentials&client_id={id}&client_secret={secret}&scope=",
        None,
        200,
        id="empty-scope-is-omitted",
    ),
    pytest.param(
        b"grant_type=password&client_id={id}&client_secret={secret}&username=&password=",
        "invalid_request",
        400,
        id="password-empty-username",
    ),
    pytest.param(
        b"grant_type=password&client_id={id}&client_secret={secret}&username=a%40b.c",
        "invalid_request",
        400,
        id="password-missing-password",
    ),
    pytest.param(
        b"grant_type=refresh_token&refresh_token=", "invalid_client", 401, id="refresh-no-client"
    ),
    pytest.param(
        b"grant_type=refresh_token&client_id={id}&client_secret={secret}&refresh_token=",
        "invalid_request",
        400,
        id="refresh-empty-token",
    ),
    pytest.param(
        b"grant_type=refresh_token&client_id={id}&client_secret={secret}&refresh_token=-1.x",
        "invalid_grant",
        400,
        id="refresh-negative-id",
    ),
    pytest.param(
        b"grant_type=refresh_token&client_id={id}&client_secret={secret}"
        b"&refresh_token=99999999999999999999999.x",
        "invalid_grant",
        400,
        id="refresh-id-overflow",
    ),
    pytest.param(
        b"grant_type=refresh_token&client_id={id}&client_secret={secret}"
        b"&refresh_token=9223372036854775807.x",
        "invalid_grant",
        400,
        id="refresh-id-max-bigint",
    ),
    pytest.param(
        b"grant_type=%20client_credentials", "unsupported_grant_type", 400, id="padded-grant"
    ),
    pytest.param(
        b"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer",
        "unsupported_grant_type",
        400,
        id="unknown-urn-grant",
    ),
    pytest.param(
        b"grant_type=client_credentials&client_id={id}&client_secret={secret}&scope=%22%5C",
        "invalid_scope",
        400,
        id="scope-quote-backslash",
    ),
    pytest.param(
        b"grant_type=client_credentials&client_id={id}&client_secret={secret}&scope=it's",
        "invalid_scope",
        400,
        id="scope-with-apostrophe",
    ),
    pytest.param(
        b"grant_type=client_credentials&client_id={id}&client_secret={secret}&scope=%C3%A9",
        "invalid_scope",
        400,
        id="scope-non-ascii",
    ),
    # Duplicates (§3.1: "MUST NOT be included more than once")
    pytest.param(
        b"grant_type=client_credentials&grant_type=client_credentials",
        "invalid_request",
        400,
        id="duplicate-grant-type",
    ),
    pytest.param(
        b"grant_type=client_credentials&grant_type=", "invalid_request", 400, id="dup-one-empty"
    ),
    pytest.param(
        b"grant_type=client_credentials&client_id={id}&client_id={id}&client_secret={secret}",
        "invalid_request",
        400,
        id="duplicate-client-id",
    ),
    pytest.param(
        b"grant_type=client_credentials&client_id={id}&client_secret={secret}&scope=read&scope=read",
        "invalid_request",
        400,
        id="duplicate-scope",
    ),
    pytest.param(
        b"x%C3%A9=1&x%C3%A9=2&grant_type=client_credentials",
        "invalid_request",
        400,
        id="duplicate-non-ascii-name",
    ),
    pytest.param(
        b"a'b\"c\\=1&a'b\"c\\=2&grant_type=client_credentials",
        "invalid_request",
        400,
        id="duplicate-name-with-quotes",
    ),
    pytest.param(b"&".join([b"a=1"] * 70), "invalid_request", 400, id="too-many-fields"),
    pytest.param(
        b"&".join(b"p%d=1" % i for i in range(65)), "invalid_request", 400, id="65-fields"
    ),
    # Over-long values and names
    pytest.param(
        b"grant_type=client_credentials&scope=" + b"a" * 4097,
        "invalid_request",
        400,
        id="scope-4097-chars",
    ),
    pytest.param(b"grant_type=" + b"x" * 4097, "invalid_request", 400, id="grant-type-4097"),
    pytest.param(
        b"grant_type=client_credentials&client_id=" + b"%C3%A9" * 4097,
        "invalid_request",
        400,
        id="client-id-4097-non-ascii",
    ),
    pytest.param(
        b"grant_type=client_credentials&" + b"n" * 200 + b"=1",
        "invalid_request",
        400,
        id="name-200-chars",
    ),
    pytest.param(
        b"grant_type=client_credentials&client_id=" + b"c" * 4096,
        "invalid_client",
        401,
        id="client-id-4096-unknown",
    ),
    pytest.param(
        b"grant_type=client_credentials&client_id={id}&client_secret=" + b"s" * 4096,
        "invalid_client",
        401,
        id="secret-4096-wrong",
    ),
    pytest.param(
        b"grant_type=" + b"%C3%A9" * 1000,
        "unsupported_grant_type",
        400,
        id="long-non-ascii-grant",
    ),
    # Not UTF-8
    pytest.param(b"grant_type=\xff", "invalid_request", 400, id="raw-0xff"),
    pytest.param(b"\xffgrant_type=client_credentials", "invalid_request", 400, id="raw-0xff-name"),
    pytest.param(b"grant_type=caf\xc3\xa9", "invalid_request", 400, id="raw-utf8-unencoded"),
    pytest.param(b"grant_type=%ff", "invalid_request", 400, id="percent-ff"),
    pytest.param(b"grant_type=%FF%FE", "invalid_request", 400, id="percent-ff-fe"),
    pytest.param(b"grant_type=%ED%A0%80", "invalid_request", 400, id="lone-surrogate"),
    pytest.param(b"grant_type=%ED%B0%80", "invalid_request", 400, id="lone-low-surrogate"),
    pytest.param(b"grant_type=%C0%AF", "invalid_request", 400, id="overlong-utf8"),
    pytest.param(b"grant_type=%F4%90%80%80", "invalid_request", 400, id="above-max-codepoint"),
    pytest.param(b"grant_type=%C3", "invalid_request", 400, id="truncated-utf8"),
    pytest.param(
        b"grant_type=client_credentials&%ff=1", "invalid_request", 400, id="percent-ff-in-name"
    ),
    pytest.param(
        b"grant_type=client_credentials&client_id={id}&client_secret=%ff",
        "invalid_request",
        400,
        id="percent-ff-in-secret",
    ),
    pytest.param(b"grant_type=%F0%9F%94%91", "unsupported_grant_type", 400, id="valid-emoji-grant"),
    # NUL
    pytest.param(b"grant_type=client%00_credentials", "invalid_request", 400, id="nul-in-value"),
    pytest.param(b"grant_type=client_credentials%00", "invalid_request", 400, id="nul-at-end"),
    pytest.param(
        b"grant_type=client_credentials&client_id=%00", "invalid_request", 400, id="nul-client-id"
    ),
    pytest.param(b"grant_type=client_credentials&x%00=1", "invalid_request", 400, id="nul-in-name"),
    pytest.param(b"grant_type=client_credentials\x00", "invalid_request", 400, id="raw-nul"),
    # Other control characters are not special, but must not break anything
    pytest.param(b"grant_type=%0D%0Ax", "unsupported_grant_type", 400, id="crlf-in-grant"),
    pytest.param(
        b"grant_type=client_credentials&client_id=a%0D%0ASet-Cookie:%20x=1",
        "invalid_client",
        401,
        id="crlf-in-client-id",
    ),
]


@pytest.mark.parametrize(("raw", "error", "status"), BODY_CASES)
async def test_rfc6749_3_1_malformed_bodies(
    app: Starlette, reg: Registered, raw: bytes, error: str | None, status: int
) -> None:
    assert reg.client_secret
    body = raw.replace(b"{id}", reg.client.client_id.encode()).replace(
        b"{secret}", reg.client_secret.encode()
    )
    r = await post_raw(app, body)
    if status == 200:
        assert r.status_code == 200, r.text
        assert r.headers["cache-control"] == "no-store"
        return
    assert_rfc6749_error(r, error, status)
    assert "set-cookie" not in r.headers


async def test_rfc6749_3_1_same_request_through_httpx(http: httpx.AsyncClient) -> None:
    r = await http.post(
        TOKEN,
        content=b"grant_type=client_credentials&grant_type=client_credentials",
        headers={"Content-Type": FORM},
    )
    body = assert_rfc6749_error(r, "invalid_request", 400)
    assert "grant_type" in body["error_description"]


# ---------------------------------------------------------------------------- body size


async def test_rfc6749_3_2_body_over_64_kib_is_invalid_request(http: httpx.AsyncClient) -> None:
    body = b"grant_type=client_credentials&x=" + b"a" * (64 * 1024)
    r = await http.post(TOKEN, content=body, headers={"Content-Type": FORM})
    assert_rfc6749_error(r, "invalid_request", 400)


async def test_rfc6749_3_2_chunked_body_over_64_kib_is_invalid_request(app: Starlette) -> None:
    chunks = [b"grant_type=client_credentials&x="] + [b"a" * 8192] * 10
    r = await raw_request(app, headers=[(b"content-type", FORM.encode())], chunks=chunks)
    assert_rfc6749_error(r, "invalid_request", 400)


async def test_rfc6749_3_2_chunked_body_under_limit_is_read(
    app: Starlette, reg: Registered
) -> None:
    body = f"grant_type=client_credentials&client_id={reg.client.client_id}"
    body += f"&client_secret={reg.client_secret}"
    chunks = [bytes([c]) for c in body.encode()]
    r = await raw_request(app, headers=[(b"content-type", FORM.encode())], chunks=chunks)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    "length",
    [
        pytest.param(b"999999999", id="larger-than-limit"),
        pytest.param(b"65537", id="just-over-limit"),
        pytest.param(b"-1", id="negative"),
        pytest.param(b"abc", id="not-a-number"),
        pytest.param(b"1e3", id="exponent"),
        pytest.param(b"\xb2", id="latin1-superscript-two"),
        pytest.param(b"\xbd", id="latin1-one-half"),
        pytest.param(b"9" * 5000, id="5000-digits"),
        pytest.param(b"0x10", id="hex"),
    ],
)
async def test_rfc6749_3_2_hostile_content_length(app: Starlette, length: bytes) -> None:
    headers = [(b"content-type", FORM.encode()), (b"content-length", length)]
    r = await raw_request(app, headers=headers, chunks=[b"grant_type=client_credentials"])
    assert_rfc6749_error(r, "invalid_request", 400)


# ---------------------------------------------------------------------------- content type


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        pytest.param(b"application/json", b'{"grant_type": "client_credentials"}', id="json"),
        pytest.param(b"application/json", b"grant_type=client_credentials", id="json-label-form"),
        pytest.param(None, b"grant_type=client_credentials", id="none"),
        pytest.param(b"", b"grant_type=client_credentials", id="empty"),
        pytest.param(b"text/plain", b"grant_type=client_credentials", id="text-plain"),
        pytest.param(
            b"multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\n'
            b"client_credentials\r\n--x--\r\n",
            id="multipart",
        ),
        pytest.param(
            b"application/x-www-form-urlencodedX", b"grant_type=client_credentials", id="suffix"
        ),
        pytest.param(b";", b"grant_type=client_credentials", id="only-semicolon"),
        pytest.param(b"\xff\xfe", b"grant_type=client_credentials", id="latin1-garbage"),
    ],
)
async def test_rfc6749_3_2_requires_form_encoding(
    app: Starlette, content_type: bytes | None, body: bytes
) -> None:
    headers = [(b"content-length", str(len(body)).encode())]
    if content_type is not None:
        headers.append((b"content-type", content_type))
    r = await raw_request(app, headers=headers, chunks=[body])
    assert_rfc6749_error(r, "invalid_request", 400)


async def test_rfc6749_3_2_multipart_through_httpx(http: httpx.AsyncClient) -> None:
    r = await http.post(
        TOKEN,
        data={"grant_type": "client_credentials"},
        files={"f": ("f.txt", b"x")},
    )
    assert_rfc6749_error(r, "invalid_request", 400)


async def test_rfc6749_3_2_json_through_httpx(http: httpx.AsyncClient) -> None:
    r = await http.post(TOKEN, json={"grant_type": "client_credentials"})
    assert_rfc6749_error(r, "invalid_request", 400)


# ---------------------------------------------------------------------------- method, query


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("", id="no-query"),
        pytest.param("?grant_type=client_credentials", id="with-query"),
    ],
)
async def test_rfc6749_3_2_get_is_rejected(http: httpx.AsyncClient, query: str) -> None:
    r = await http.get(TOKEN + query)
    assert_rfc6749_error(r, "invalid_request", 400)


@pytest.mark.parametrize(
    ("query", "body"),
    [
        pytest.param(b"grant_type=client_credentials", b"", id="params-only-in-query"),
        pytest.param(b"foo=bar", b"grant_type=client_credentials", id="unrelated-query"),
        pytest.param(b"client_secret={secret}", b"grant_type=client_credentials", id="secret"),
        pytest.param(b"%ff=%00", b"grant_type=client_credentials", id="garbage-query"),
        pytest.param(b"=", b"grant_type=client_credentials", id="lone-equals-query"),
    ],
)
async def test_rfc6749_2_3_1_parameters_in_query_are_rejected(
    app: Starlette, reg: Registered, query: bytes, body: bytes
) -> None:
    assert reg.client_secret
    query = query.replace(b"{secret}", reg.client_secret.encode())
    body += f"&client_id={reg.client.client_id}&client_secret={reg.client_secret}".encode()
    r = await post_raw(app, body, query=query)
    assert_rfc6749_error(r, "invalid_request", 400)


# ---------------------------------------------------------------------------- §2.3.1 Basic


BASIC_CASES: list[Any] = [
    pytest.param(b"Basic", id="basic-alone"),
    pytest.param(b"Basic ", id="basic-space"),
    pytest.param(b"basic", id="basic-lowercase-alone"),
    pytest.param(b"Basic !!!notbase64!!!", id="not-base64"),
    pytest.param(b"Basic YTpi=", id="bad-padding"),
    pytest.param(b"Basic YTpi YTpi", id="two-words"),
    pytest.param(("Basic " + b64("nocolon")).encode(), id="no-colon"),
    pytest.param(("Basic " + b64(b"\xff\xfe:secret")).encode(), id="non-utf8-decoded"),
    pytest.param(("Basic " + b64(b"\xed\xa0\x80:secret")).encode(), id="surrogate-decoded"),
    pytest.param(("Basic " + b64(":secret")).encode(), id="empty-id"),
    pytest.param(("Basic " + b64(":")).encode(), id="only-colon"),
    pytest.param(("Basic " + b64("")).encode(), id="empty-credentials"),
    pytest.param(("Basic " + b64("%ff:secret")).encode(), id="percent-ff-id"),
    pytest.param(("Basic " + b64("id:%ED%A0%80")).encode(), id="percent-surrogate-secret"),
    pytest.param(("Basic " + b64("%00:secret")).encode(), id="percent-nul-id"),
    pytest.param(("Basic " + b64("id:a\x00b")).encode(), id="raw-nul-secret"),
    pytest.param(("Basic " + b64("unknown:secret")).encode(), id="unknown-client"),
    pytest.param(("Basic " + b64("x" * 10_000 + ":y")).encode(), id="huge-id"),
    pytest.param(b"Basic \xe9\xe9\xe9", id="latin1-bytes"),
    pytest.param(b"Basic =", id="only-padding"),
    pytest.param(b"Basicfoo", id="basic-prefix-word"),
]


@pytest.mark.parametrize("header", BASIC_CASES)
async def test_rfc6749_2_3_1_malformed_basic_is_invalid_client(
    app: Starlette, header: bytes
) -> None:
    r = await post_raw(app, b"grant_type=client_credentials", (b"authorization", header))
    assert_rfc6749_error(r, "invalid_client", 401)
    # §5.2: the client tried the Authorization header, so a Basic challenge is required.
    assert r.headers["www-authenticate"].startswith("Basic ")


@pytest.mark.parametrize(
    "credentials",
    [
        pytest.param("{id}:", id="empty-secret"),
        pytest.param("{id}:wrong", id="wrong-secret"),
        pytest.param("{id}:" + "y" * 10_000, id="huge-secret"),
    ],
)
async def test_rfc6749_2_3_1_basic_with_real_client_id(
    http: httpx.AsyncClient, reg: Registered, credentials: str
) -> None:
    header = "Basic " + b64(credentials.replace("{id}", reg.client.client_id))
    r = await http.post(
        TOKEN, data={"grant_type": "client_credentials"}, headers={"Authorization": header}
    )
    assert_rfc6749_error(r, "invalid_client", 401)
    assert r.headers["www-authenticate"].startswith("Basic ")


async def test_rfc6749_2_3_1_basic_and_different_body_client_id(
    http: httpx.AsyncClient, reg: Registered
) -> None:
    assert reg.client_secret
    r = await http.post(
        TOKEN,
        data={"grant_type": "client_credentials", "client_id": "someone-else"},
        auth=(reg.client.client_id, reg.client_secret),
    )
    assert_rfc6749_error(r, "invalid_client", 401)


async def test_rfc6749_2_3_1_basic_and_same_body_client_id_is_fine(
    http: httpx.AsyncClient, reg: Registered
) -> None:
    assert reg.client_secret
    r = await http.post(
        TOKEN,
        data={"grant_type": "client_credentials", "client_id": reg.client.client_id},
        auth=(reg.client.client_id, reg.client_secret),
    )
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("Bearer 1.abc", id="bearer"),
        pytest.param("Digest username=x", id="digest"),
        pytest.param("Negotiate", id="negotiate"),
        pytest.param("x", id="garbage"),
    ],
)
async def test_rfc6749_2_3_other_schemes_do_not_authenticate_a_client(
    http: httpx.AsyncClient, header: str
) -> None:
    r = await http.post(
        TOKEN, data={"grant_type": "client_credentials"}, headers={"Authorization": header}
    )
    assert_rfc6749_error(r, "invalid_client", 401)


async def test_rfc6749_5_2_unsupported_grant_type_description_is_safe(
    http: httpx.AsyncClient,
) -> None:
    """User input echoed into error_description must stay in the allowed character set."""
    r = await http.post(TOKEN, data={"grant_type": "é\"\\\u2028\U0001f511 it's"})
    assert_rfc6749_error(r, "unsupported_grant_type", 400)


# ---------------------------------------------------------------------------- RFC 6750 API


@dataclass
class Challenge:
    scheme: str
    params: dict[str, str]


def parse_challenge(value: str) -> Challenge:
    scheme, _, rest = value.partition(" ")
    params = {
        m.group(1): m.group(2).replace('\\"', '"').replace("\\\\", "\\")
        for m in re.finditer(r'(\w+)="((?:[^"\\]|\\.)*)"', rest)
    }
    return Challenge(scheme, params)


def assert_rfc6750_error(r: httpx.Response, error: str | None) -> None:
    """A RFC 6750 §3 error: the right status, a Bearer challenge, no stack trace."""
    assert "Traceback" not in r.text
    challenge = parse_challenge(r.headers["www-authenticate"])
    assert challenge.scheme == "Bearer"
    assert "realm" in challenge.params
    if error is None:  # §3.1: no authentication information, no error code
        assert r.status_code == 401, r.text
        assert "error" not in challenge.params
        return
    assert r.status_code == {"invalid_request": 400, "invalid_token": 401}[error], r.text
    assert challenge.params["error"] == error
    assert r.json()["error"] == error
    description = challenge.params.get("error_description")
    if description is not None:
        assert DESCRIPTION.fullmatch(description), description


@pytest.fixture
async def bearer_token(http: httpx.AsyncClient, reg: Registered) -> str:
    assert reg.client_secret
    r = await http.post(
        TOKEN,
        data={"grant_type": "client_credentials"},
        auth=(reg.client.client_id, reg.client_secret),
    )
    token: str = r.json()["access_token"]
    return token


BEARER_CASES: list[Any] = [
    pytest.param(b"Bearer", "invalid_request", id="bearer-alone"),
    pytest.param(b"Bearer ", "invalid_request", id="bearer-space"),
    pytest.param(b"Bearer \t ", "invalid_request", id="bearer-whitespace"),
    pytest.param(b"bearer", "invalid_request", id="bearer-lowercase-alone"),
    pytest.param(b"Bearer a b", "invalid_token", id="two-words"),
    pytest.param(b"Bearer " + b"A" * 10_000, "invalid_token", id="huge-token"),
    pytest.param(b"Bearer 1." + b"A" * 10_000, "invalid_token", id="huge-secret"),
    pytest.param(b"Bearer 99999999999999999999999.x", "invalid_token", id="id-overflow"),
    pytest.param(b"Bearer 9223372036854775808.x", "invalid_token", id="id-2-pow-63"),
    pytest.param(b"Bearer 9223372036854775807.x", "invalid_token", id="id-max-bigint"),
    pytest.param(b"Bearer -1.x", "invalid_token", id="negative-id"),
    pytest.param(b"Bearer +1.x", "invalid_token", id="plus-id"),
    pytest.param(b"Bearer 0.x", "invalid_token", id="zero-id"),
    pytest.param(b"Bearer 1.", "invalid_token", id="no-secret"),
    pytest.param(b"Bearer .x", "invalid_token", id="no-id"),
    pytest.param(b"Bearer 1_000.x", "invalid_token", id="underscore-id"),
    pytest.param(b"Bearer 1 .x", "invalid_token", id="space-in-token"),
    pytest.param(b"Bearer \xb2.x", "invalid_token", id="latin1-superscript-digit"),
    pytest.param(b"Bearer \xc3\xa9\xc3\xa9", "invalid_token", id="utf8-bytes"),
    pytest.param(b"Bearer \xff\xfe.\xff", "invalid_token", id="latin1-garbage"),
    pytest.param(b"Bearer 1.\x00", "invalid_token", id="nul"),
    pytest.param(b"Bearer 1.%ff", "invalid_token", id="percent-ff"),
    pytest.param(b'Bearer 1."\\', "invalid_token", id="quote-backslash"),
    pytest.param(b"Basic YTpi", None, id="basic-scheme"),
    pytest.param(b"Bearerx", None, id="bearer-prefix-word"),
    pytest.param(b"", None, id="empty-header"),
    pytest.param(b"\xff", None, id="garbage-header"),
]


@pytest.mark.parametrize(("header", "error"), BEARER_CASES)
async def test_rfc6750_2_1_hostile_authorization_headers(
    app: Starlette, header: bytes, error: str | None
) -> None:
    r = await raw_request(app, method="GET", path="/api/me", headers=[(b"authorization", header)])
    assert_rfc6750_error(r, error)


async def test_rfc6750_2_1_scheme_is_case_insensitive(
    http: httpx.AsyncClient, bearer_token: str
) -> None:
    r = await http.get("/api/me", headers={"Authorization": f"bEaReR {bearer_token}"})
    assert r.status_code == 200, r.text


async def test_rfc6750_2_1_valid_id_with_wrong_secret(app: Starlette, bearer_token: str) -> None:
    row_id, secret = bearer_token.encode().split(b".", 1)
    for wrong in (b"x", secret + b"x", secret[:-1], b"\xe9", b"\xc3\xa9"):
        header = b"Bearer " + row_id + b"." + wrong
        r = await raw_request(
            app, method="GET", path="/api/me", headers=[(b"authorization", header)]
        )
        assert_rfc6750_error(r, "invalid_token")


async def test_rfc6750_2_3_header_and_query_at_once_is_invalid_request(
    http: httpx.AsyncClient, bearer_token: str
) -> None:
    r = await http.get(
        "/api/me",
        params={"access_token": bearer_token},
        headers={"Authorization": f"Bearer {bearer_token}"},
    )
    assert_rfc6750_error(r, "invalid_request")


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(b"access_token=1.x", id="token"),
        pytest.param(b"access_token=", id="empty"),
        pytest.param(b"access_token=%ff", id="percent-ff"),
        pytest.param(b"access_token=a&access_token=b", id="twice"),
    ],
)
async def test_rfc6750_2_3_query_is_off_by_default(app: Starlette, query: bytes) -> None:
    r = await raw_request(app, method="GET", path="/api/me", query=query)
    assert_rfc6750_error(r, "invalid_request")


@pytest.fixture
def query_allowed(settings_overrides: dict[str, Any]) -> None:
    settings_overrides["allow_access_token_query"] = True


@pytest.fixture
def http_query_allowed(query_allowed: None, http: httpx.AsyncClient) -> httpx.AsyncClient:
    """``http`` for an app that accepts ``?access_token=`` (the override comes first)."""
    return http


async def test_rfc6750_2_3_query_when_allowed(
    http_query_allowed: httpx.AsyncClient, bearer_token: str
) -> None:
    http = http_query_allowed
    r = await http.get("/api/me", params={"access_token": bearer_token})
    assert r.status_code == 200, r.text
    r = await http.get(
        "/api/me",
        params={"access_token": bearer_token},
        headers={"Authorization": f"Bearer {bearer_token}"},
    )
    assert_rfc6750_error(r, "invalid_request")
    r = await http.get("/api/me", params=[("access_token", bearer_token)] * 2)
    assert_rfc6750_error(r, "invalid_request")
    for hostile in ("", "%ff", "-1.x", "9" * 30 + ".x", "x" * 10_000, "\x00", "é.é"):
        r = await http.get("/api/me", params={"access_token": hostile})
        assert_rfc6750_error(r, "invalid_token")
