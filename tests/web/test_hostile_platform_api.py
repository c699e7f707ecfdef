"""Hostile input on the platform-API surfaces, through HTTP on SQLite and PostgreSQL: the
demo API's path slugs and write bodies, and bearer tokens of every odd shape at the
resource endpoints (``/api/me``, ``/oauth/userinfo``) and the token-taking endpoints
(introspection, revocation).

The answers are the documented ones: ``404`` for a path naming no space, ``400
invalid_request`` for a malformed body or request (RFC 6750 §3.1; a body of another media
type too, as at the token endpoint), ``401 invalid_token`` for a token that is not one,
``401`` without an error code for no token (§3.1), ``{"active": false}`` and ``200`` from
introspection and revocation. Never a 500.
"""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from authgate.domain import User
from authgate.protocol.registration import Registered
from tests.conftest import Factory
from tests.web.oidc_support import space_with_member
from tests.web.test_token_endpoint_properties import PROPERTY_SETTINGS
from tests.web.token_support import client_auth, password_tokens

SCOPES = {"read": "Read", "write": "Write", "admin": "Administer your spaces"}
ME = "/api/spaces/acme/members/me"
JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # Hypothesis sends hundreds of requests with one token: no rate limit here (they have
    # tests of their own in test_rate_limits.py).
    return {"scopes": SCOPES, "token_cache_seconds": 0, "rate_limits_enabled": False}


@pytest.fixture
async def app_client(make: Factory, alice: User) -> Registered:
    await space_with_member(make.services, alice.id, slug="acme")
    return await make.client(grant_types=["password", "client_credentials"], scopes=list(SCOPES))


@pytest.fixture
async def token(http: httpx.AsyncClient, app_client: Registered) -> str:
    """Alice's token with every scope; she is a member of ``acme``."""
    value: str = (await password_tokens(http, app_client, scope="read write admin"))["access_token"]
    return value


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error_of(r: httpx.Response, status: int, error: str) -> str:
    """The RFC 6750 error: the status, the JSON body and the challenge agree."""
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert body["error"] == error, body
    assert f'error="{error}"' in r.headers["www-authenticate"]
    assert r.headers["cache-control"] == "no-store"
    description: str = body.get("error_description", "")
    return description


# ---------------------------------------------------------------------------- path slugs

#: Already percent-encoded path segments: none of them is a slug.
SLUGS = [
    "%00",
    "ac%00me",
    "acm%C3%A9",  # é
    "%ED%A0%80",  # a UTF-8-encoded surrogate
    "%FF%FE",
    "ACME",
    "acme%20",
    "-acme",
    "a" * 64,
    "a" * 5000,
    "%E2%80%AE%F0%9F%94%91",
]


async def test_a_path_that_names_no_space_is_404(http: httpx.AsyncClient, token: str) -> None:
    for slug, (path, method) in itertools.product(
        SLUGS, [("", "GET"), ("/members", "GET"), ("/members/me", "PUT")]
    ):
        for headers in ({}, bearer(token)):
            r = await http.request(
                method, f"/api/spaces/{slug}{path}", headers=headers, json={"name": "x"}
            )
            if not headers and path:  # protected: no token is the first thing wrong
                assert r.status_code == 401, (slug, path, r.text)
                continue
            assert r.status_code == 404, (slug, path, r.status_code, r.text)
            assert r.json()["error"] == "not_found"


# ---------------------------------------------------------------------------- bodies


def _nested(depth: int) -> bytes:
    return b'{"name": ' + b"[" * depth + b"]" * depth + b"}"


BAD_JSON: list[tuple[bytes, str]] = [
    (b'{"name": "x' + b"x" * 70_000 + b'"}', "too large"),
    (b"[" * 30_000 + b"]" * 30_000, "nested too deeply"),
    (_nested(30_000), "nested too deeply"),
    (b'{"name": NaN}', "NaN"),
    (b'{"name": -Infinity}', "Infinity"),
    (b'{"name": 1e999}', "string or null"),
    (b'{"name": ' + b"9" * 5000 + b"}", "not valid JSON"),
    (b'{"name": 5}', "string or null"),
    (b'{"name": true}', "string or null"),
    (b'{"name": ["x"]}', "string or null"),
    (b'{"name": {"x": "y"}}', "string or null"),
    (b'{"name": "a", "name": "b"}', "more than once"),
    (b'{"name": "\\ud800"}', "Unicode"),
    (b'{"\\udcff": "x"}', "Unicode"),
    (b'{"name": "caf\xe9"}', "UTF-8"),
    ('{"name": "é"}'.encode("utf-16"), "UTF-8"),
    (b"\xef\xbb\xbf{}", "not valid JSON"),
    (b"", "not valid JSON"),
    (b'"name"', "must be an object"),
    (b"null", "must be an object"),
    (b'{"access_token": "x"}', "unknown field"),
    (b'{"name": "\\u0000"}', "control characters"),
]


async def test_malformed_json_bodies_are_invalid_request(
    http: httpx.AsyncClient, token: str
) -> None:
    for content, says in BAD_JSON:
        r = await http.put(ME, content=content, headers={**bearer(token), **JSON})
        assert says in error_of(r, 400, "invalid_request"), content[:40]


async def test_a_chunked_body_is_held_to_the_same_limit(
    http: httpx.AsyncClient, token: str
) -> None:
    """No Content-Length: the limit is counted while reading."""

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "'
        for _ in range(20):
            yield b"x" * 4096
        yield b'"}'

    r = await http.put(ME, content=chunks(), headers={**bearer(token), **JSON})
    assert "too large" in error_of(r, 400, "invalid_request")


BAD_FORMS: list[tuple[bytes, str]] = [
    (b"name=a&name=b", "more than once"),
    (b"name=%00", "NUL"),
    (b"name=%ED%A0%80", "UTF-8"),
    (b"name=caf%E9", "UTF-8"),
    (b"name=" + b"x" * 70_000, "too large"),
    (b"&".join(b"f%d=1" % i for i in range(100)), "too many"),
    (b"role=admin", "unknown field"),
]


async def test_malformed_form_bodies_are_invalid_request(
    http: httpx.AsyncClient, token: str
) -> None:
    for content, says in BAD_FORMS:
        r = await http.put(ME, content=content, headers={**bearer(token), **FORM})
        assert says in error_of(r, 400, "invalid_request"), content[:40]


async def test_json_content_types_with_parameters_are_json(
    http: httpx.AsyncClient, token: str
) -> None:
    for content_type in (
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        "Application/JSON",
        " application/json ",
    ):
        headers = {**bearer(token), "Content-Type": content_type}
        r = await http.put(ME, content=b'{"name": "Al"}', headers=headers)
        assert r.status_code == 200, (content_type, r.text)
        assert r.json()["name"] == "Al"


async def test_other_media_types_are_invalid_request(http: httpx.AsyncClient, token: str) -> None:
    """400 invalid_request as at the token endpoint (RFC 6750 §3.1: an unsupported
    parameter format), which the OpenAPI document names for a malformed body."""
    for content_type in (
        "",
        "text/plain",
        "text/json",
        "application/jsonx",
        "application/merge-patch+json",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded-x",
    ):
        headers = {**bearer(token), "Content-Type": content_type}
        r = await http.put(ME, content=b'{"name": "Al"}', headers=headers)
        assert "send application/json" in error_of(r, 400, "invalid_request"), content_type


async def test_a_form_with_a_charset_parameter_is_a_form(
    http: httpx.AsyncClient, token: str
) -> None:
    r = await http.put(
        ME,
        content=f"name=Al&access_token={token}".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"},
    )
    assert r.status_code == 200, r.text


class TestTheAccessTokenInTheBody:
    """RFC 6750 §2.2: the form body's ``access_token``, never with another method
    (§2: "MUST NOT use more than one method"), and never more than once."""

    async def test_body_and_header_is_invalid_request(
        self, http: httpx.AsyncClient, token: str
    ) -> None:
        r = await http.put(ME, data={"access_token": token, "name": "Al"}, headers=bearer(token))
        assert "one method" in error_of(r, 400, "invalid_request")

    async def test_twice_in_the_body_is_invalid_request(
        self, http: httpx.AsyncClient, token: str
    ) -> None:
        content = f"access_token={token}&access_token={token}&name=Al".encode()
        r = await http.put(ME, content=content, headers=FORM)
        assert "more than once" in error_of(r, 400, "invalid_request")

    async def test_body_and_query_is_invalid_request(
        self, http: httpx.AsyncClient, token: str
    ) -> None:
        r = await http.put(
            ME, params={"access_token": token}, data={"access_token": token, "name": "Al"}
        )
        error_of(r, 400, "invalid_request")

    async def test_a_json_member_is_no_token(self, http: httpx.AsyncClient, token: str) -> None:
        """Only a form body carries a token (§2.2); in JSON it is no token at all."""
        r = await http.put(ME, json={"access_token": token, "name": "Al"})
        assert r.status_code == 401
        assert r.json()["error"] == "unauthorized"

    async def test_a_bad_body_token_is_invalid_token(self, http: httpx.AsyncClient) -> None:
        r = await http.put(ME, data={"access_token": "1." + "A" * 43, "name": "Al"})
        error_of(r, 401, "invalid_token")

    async def test_an_empty_body_token_is_no_token(self, http: httpx.AsyncClient) -> None:
        r = await http.put(ME, data={"access_token": "", "name": "Al"})
        assert r.status_code == 401
        assert "error=" not in r.headers["www-authenticate"]


json_values: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.sampled_from(["+1 555 0100", "https://img.example.com/a.png", "", " "]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


@PROPERTY_SETTINGS
@given(
    body=st.dictionaries(
        st.sampled_from(["name", "picture", "phone_number", "role", "access_token", ""]),
        json_values,
        max_size=4,
    )
)
async def test_random_json_bodies_get_200_or_invalid_request(
    http: httpx.AsyncClient, token: str, body: dict[str, Any]
) -> None:
    r = await http.put(ME, content=json.dumps(body).encode(), headers={**bearer(token), **JSON})
    assert r.status_code in (200, 400), r.text
    if r.status_code == 400:
        error_of(r, 400, "invalid_request")


# ---------------------------------------------------------------------------- bearer tokens


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_like(header: dict[str, Any], claims: Any = None, signature: bytes = b"sig") -> str:
    payload = b64(json.dumps(claims if claims is not None else {"jti": "1"}).encode())
    return f"{b64(json.dumps(header).encode())}.{payload}.{b64(signature)}"


#: Token strings that are not tokens of this server.
ODD_TOKENS = [
    "a.b.c",
    "..",
    "eyJ.eyJ.",
    jwt_like({"alg": "none", "typ": "at+jwt"}),
    jwt_like({"alg": "RS256", "typ": "at+jwt", "kid": "x" * 5000}),
    jwt_like({"alg": "RS256", "typ": "at+jwt", "kid": "nope"}, {"jti": "1", "iss": "x"}),
    jwt_like({"alg": "HS256", "typ": "at+jwt", "kid": "nope"}),
    jwt_like({"alg": "RS256", "typ": "at+jwt", "kid": "a\u0000b"}),
    jwt_like({"alg": ["RS256"], "typ": ["at+jwt"], "kid": {"x": 1}}),
    jwt_like({"alg": "RS256", "typ": "at+jwt", "crit": ["x"], "kid": "k"}),
    "eyJ" + "A" * 5000 + ".eyJ.x",
    b64(b"\xff" * 40) + "." + b64(b"\x00" * 40) + "." + b64(b"\xfe"),
    "1." + "A" * 43,
    "0." + "A" * 43,
    "9" * 19 + "." + "A" * 43,
    "9" * 40 + "." + "A" * 43,
    "-1." + "A" * 43,
    "1.." + "A" * 42,
    "x" * 5000,
    "x" * 70_000,
    "%00",
    "\u00e9t\u00e9",  # latin-1 bytes on the wire
    "\u00ff" * 43,
    "a\tb",
    "a,b",
    '"quoted"',
]


def raw(value: str) -> bytes:
    return value.encode("latin-1")


async def _resource_answers(http: httpx.AsyncClient, header: bytes) -> list[httpx.Response]:
    return [
        await http.get("/api/me", headers={"Authorization": header}),
        await http.get("/oauth/userinfo", headers={"Authorization": header}),
        await http.post("/oauth/userinfo", headers={"Authorization": header}),
        await http.get("/api/spaces/acme", headers={"Authorization": header}),
    ]


async def test_odd_bearer_tokens_are_invalid_token(
    http: httpx.AsyncClient, app_client: Registered
) -> None:
    for odd in ODD_TOKENS:
        for answer in await _resource_answers(http, b"Bearer " + raw(odd)):
            assert answer.status_code == 401, (odd[:40], answer.request.url, answer.text)
            assert 'error="invalid_token"' in answer.headers["www-authenticate"]
        for path in ("/oauth/introspect", "/oauth/revoke"):
            r = await http.post(path, data={"token": odd}, auth=client_auth(app_client))
            if len(odd) > 4096 or "\x00" in odd:  # what no form parameter may be
                assert r.status_code == 400 and r.json()["error"] == "invalid_request"
            else:
                assert r.status_code == 200, (odd[:40], path, r.text)
                if path == "/oauth/introspect":
                    assert r.json() == {"active": False}


INVALID_REQUEST, INVALID_TOKEN = "invalid_request", "invalid_token"
#: (header, answer of a protected resource, answer of public data, the error code)
HEADERS = [
    (b"Bearer", 400, 400, INVALID_REQUEST),  # the scheme, no token: malformed
    (b"Bearer    ", 400, 400, INVALID_REQUEST),
    (b"bearer x", 401, 401, INVALID_TOKEN),  # the scheme is case-insensitive
    (b"BEARER x", 401, 401, INVALID_TOKEN),
    (b"Bearer  x", 401, 401, INVALID_TOKEN),
    (b"Bearer \xff\xfe", 401, 401, INVALID_TOKEN),
    (b"x", 401, 200, None),  # no scheme: no bearer credentials at all
    (b"1." + b"A" * 43, 401, 200, None),
    (b"Basic dXNlcjpwYXNz", 401, 200, None),
    (b"Bearer\tx", 401, 200, None),
    (b"Token x", 401, 200, None),
    (b"\xc3\xa9 x", 401, 200, None),
]


async def test_authorization_headers_of_every_shape(
    http: httpx.AsyncClient, app_client: Registered
) -> None:
    """RFC 6750 §3.1: a malformed request is invalid_request (400); a token that is not
    valid, invalid_token (401); no bearer credentials, a 401 challenge without an error
    code where a token is needed, and the public data where none is."""
    for header, protected, public, error in HEADERS:
        *guarded, open_data = await _resource_answers(http, header)
        for answer in guarded:
            assert answer.status_code == protected, (answer.request.url, header, answer.text)
            challenge = answer.headers["www-authenticate"]
            assert challenge.startswith('Bearer realm="authgate"')
            if error is None:
                assert "error=" not in challenge, (header, challenge)
            else:
                assert f'error="{error}"' in challenge, (header, challenge)
        assert open_data.status_code == public, (header, open_data.text)


@PROPERTY_SETTINGS
@given(header=st.binary(max_size=80).filter(lambda b: b"\r" not in b and b"\n" not in b))
async def test_random_authorization_headers_never_make_a_500(
    http: httpx.AsyncClient, app_client: Registered, header: bytes
) -> None:
    header = header.strip(b" \t\x00")
    for answer in await _resource_answers(http, header):
        assert answer.status_code in (200, 400, 401), (header, answer.text)


@PROPERTY_SETTINGS
@given(token=st.text(min_size=1, max_size=200))
async def test_random_token_parameters_at_introspection_and_revocation(
    http: httpx.AsyncClient, app_client: Registered, token: str
) -> None:
    for path in ("/oauth/introspect", "/oauth/revoke"):
        r = await http.post(path, data={"token": token}, auth=client_auth(app_client))
        assert r.status_code in (200, 400), (path, r.text)
        if r.status_code == 400:
            assert r.json()["error"] == "invalid_request"
        elif path == "/oauth/introspect":
            assert r.json() == {"active": False}
