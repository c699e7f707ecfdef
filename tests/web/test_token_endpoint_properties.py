"""Property tests: whatever a client sends, the token endpoint answers with a token response
(RFC 6749 §5.1) or a well-formed error (RFC 6749 §5.2), never a 500.

Each test starts one app (on SQLite and on PostgreSQL) and sends every Hypothesis example
to it: the fixtures stay alive across examples, which is what we want here.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from authgate.protocol.context import Issuer, RequestContext
from authgate.protocol.registration import Registered
from tests.conftest import Factory
from tests.web.test_token_endpoint_bad_input import assert_rfc6749_error

TOKEN = "/oauth/token"
KNOWN_NAMES = (
    "grant_type",
    "client_id",
    "client_secret",
    "scope",
    "username",
    "password",
    "refresh_token",
    "code",
    "redirect_uri",
)
GRANT_TYPES = (
    "client_credentials",
    "password",
    "refresh_token",
    "authorization_code",
    "implicit",
    "urn:ietf:params:oauth:grant-type:device_code",
)
USER_EMAIL = "prop@example.com"
USER_PASSWORD = "correct horse"

PROPERTY_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)


class Real:
    """Placeholders, replaced by the registered client's real values when sending."""

    CLIENT_ID = "\x01client_id"
    CLIENT_SECRET = "\x01client_secret"
    REFRESH_TOKEN = "\x01refresh_token"


# Any Unicode except what cannot be UTF-8 encoded (lone surrogates): those are tested as
# raw bytes in test_token_endpoint_bad_input.
unicode_text = st.text(st.characters(codec="utf-8"), max_size=60)
ascii_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
anything = st.one_of(
    unicode_text,
    ascii_text,
    st.just(""),
    st.sampled_from(["a" * 4096, "é" * 4096, "a" * 4097]),
)


def either(*choices: str) -> st.SearchStrategy[str]:
    """Mostly one of ``choices``, sometimes anything at all."""
    return st.one_of(st.sampled_from(choices), st.sampled_from(choices), anything)


#: Each known parameter with values that sometimes make sense for it.
KNOWN = {
    "grant_type": either(*GRANT_TYPES),
    "client_id": either(Real.CLIENT_ID, "unknown"),
    "client_secret": either(Real.CLIENT_SECRET, "wrong"),
    "scope": either("read", "write", "read write", "write read", " read ", "openid", "admin"),
    "username": either(USER_EMAIL, USER_EMAIL.upper(), "nobody@example.com"),
    "password": either(USER_PASSWORD, "wrong password"),
    "refresh_token": either(Real.REFRESH_TOKEN, "1.abc", "-1.x", "99999999999999999999.x"),
    "code": anything,
    "redirect_uri": either("https://app.example/cb", "http://127.0.0.1/cb"),
}
values = st.one_of(*KNOWN.values())
names = st.one_of(st.sampled_from(KNOWN_NAMES), unicode_text)
#: Random subsets of the known parameters plus random others; sometimes with duplicates.
params = st.one_of(
    st.fixed_dictionaries(
        {"grant_type": KNOWN["grant_type"]},
        optional={k: v for k, v in KNOWN.items() if k != "grant_type"},
    ).map(lambda known: list(known.items())),
    st.builds(
        lambda known, other: [*known.items(), *other.items()],
        st.fixed_dictionaries({}, optional=KNOWN),
        st.dictionaries(unicode_text, values, max_size=3),
    ),
    st.lists(st.tuples(names, values), max_size=12),
)
basic = st.one_of(
    st.none(),
    st.none(),
    st.tuples(either(Real.CLIENT_ID, "unknown"), either(Real.CLIENT_SECRET, "", "wrong")),
    st.binary(max_size=40).map(lambda raw: "Basic " + base64.b64encode(raw).decode()),
    ascii_text,
)


@pytest.fixture
async def real(make: Factory) -> dict[str, str]:
    """A client allowed every grant but implicit, a user and a live refresh token."""
    await make.user(USER_EMAIL, USER_PASSWORD)
    reg: Registered = await make.client(
        grant_types=["client_credentials", "password", "authorization_code"],
        redirect_uris=["https://app.example/cb"],
        scopes=["read", "write"],
    )
    assert reg.client_secret
    issued = await make.services.token_endpoint.handle(
        {
            "grant_type": "password",
            "client_id": reg.client.client_id,
            "client_secret": reg.client_secret,
            "username": USER_EMAIL,
            "password": USER_PASSWORD,
        },
        None,
        RequestContext(client_address="192.0.2.1", issuer=Issuer("http://testserver")),
    )
    assert issued.refresh_token
    return {
        Real.CLIENT_ID: reg.client.client_id,
        Real.CLIENT_SECRET: reg.client_secret,
        Real.REFRESH_TOKEN: issued.refresh_token,
    }


def substitute(value: str, real: dict[str, str]) -> str:
    return real.get(value, value)


def basic_header(value: Any, real: dict[str, str]) -> str | None:
    if value is None or isinstance(value, str):
        return value
    client_id, secret = (substitute(v, real) for v in value)
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def assert_token_or_error(r: httpx.Response) -> None:
    assert r.status_code != 500, r.text
    assert "Traceback" not in r.text
    if r.status_code != 200:
        body = assert_rfc6749_error(r)
        event(f"{r.status_code} {body['error']}")
        return
    event("200")
    # RFC 6749 §5.1
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["pragma"] == "no-cache"
    body = r.json()
    assert isinstance(body["access_token"], str) and body["access_token"]
    assert body["token_type"] == "Bearer"
    assert isinstance(body["scope"], str)
    assert set(body["scope"].split()) <= {"read", "write"}
    if "expires_in" in body:
        assert isinstance(body["expires_in"], int) and body["expires_in"] > 0
    if "refresh_token" in body:
        assert isinstance(body["refresh_token"], str) and body["refresh_token"]


@PROPERTY_SETTINGS
@given(pairs=params, auth=basic)
async def test_rfc6749_5_random_parameters_get_a_token_or_an_rfc_error(
    http: httpx.AsyncClient, real: dict[str, str], pairs: list[tuple[str, str]], auth: Any
) -> None:
    body = [(name, substitute(value, real)) for name, value in pairs]
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    header = basic_header(auth, real)
    if header is not None:
        headers["Authorization"] = header
    r = await http.post(TOKEN, content=urlencode(body).encode(), headers=headers)
    assert_token_or_error(r)


@PROPERTY_SETTINGS
@given(
    grant=st.sampled_from(GRANT_TYPES),
    extra=st.fixed_dictionaries({}, optional={n: KNOWN[n] for n in KNOWN_NAMES[3:]}),
    use_basic=st.booleans(),
    with_secret=st.booleans(),
)
async def test_rfc6749_5_real_client_with_random_grant_parameters(
    http: httpx.AsyncClient,
    real: dict[str, str],
    grant: str,
    extra: dict[str, str],
    use_basic: bool,
    with_secret: bool,
) -> None:
    """The real client, so that the grants themselves see the random values."""
    data = {name: substitute(value, real) for name, value in extra.items()}
    data["grant_type"] = grant
    client_id, secret = real[Real.CLIENT_ID], real[Real.CLIENT_SECRET]
    if use_basic:
        r = await http.post(TOKEN, data=data, auth=(client_id, secret if with_secret else ""))
    else:
        data["client_id"] = client_id
        if with_secret:
            data["client_secret"] = secret
        r = await http.post(TOKEN, data=data)
    assert_token_or_error(r)
    if r.status_code == 200:
        assert grant in {"client_credentials", "password", "refresh_token"}
        assert with_secret


@PROPERTY_SETTINGS
@given(raw=st.binary(max_size=300), content_type=st.sampled_from([None, "form", "junk"]))
async def test_rfc6749_3_2_random_bytes_get_an_rfc_error(
    http: httpx.AsyncClient, raw: bytes, content_type: str | None
) -> None:
    headers = {}
    if content_type == "form":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif content_type == "junk":
        headers["Content-Type"] = "application/octet-stream"
    r = await http.post(TOKEN, content=raw, headers=headers)
    assert_token_or_error(r)
    assert r.status_code != 200
