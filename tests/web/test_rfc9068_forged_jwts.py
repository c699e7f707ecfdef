"""Forged, tampered and malformed JWT access tokens: each is ``invalid_token`` on the API,
inactive at introspection and a no-op 200 at revocation; never a 500."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from authgate.domain import User
from authgate.protocol.registration import Registered
from authgate.services import Services
from tests.conftest import Factory
from tests.web.jwt_support import b64, parts, segment
from tests.web.token_support import client_auth, password_tokens


def b64decode(segment: str) -> bytes:
    if not segment.isascii() or len(segment) % 4 == 1:
        raise ValueError(segment)
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


@pytest.fixture
async def jwt_client(make: Factory, alice: User) -> Registered:
    return await make.client(
        grant_types=["client_credentials", "password", "refresh_token"],
        scopes=["read"],
        access_token_format="jwt",
    )


@pytest.fixture
async def genuine(http: httpx.AsyncClient, jwt_client: Registered) -> str:
    r = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "read"},
        auth=client_auth(jwt_client),
    )
    assert r.status_code == 200
    token: str = r.json()["access_token"]
    return token


async def _refused(http: httpx.AsyncClient, reg: Registered, token: str) -> None:
    r = await http.get("/api/me", headers={"Authorization": f"Bearer {token}".encode()})
    assert r.status_code in (400, 401), (r.status_code, token[:80])
    assert 'error="invalid_' in r.headers["www-authenticate"]
    r = await http.post("/oauth/introspect", data={"token": token}, auth=client_auth(reg))
    if len(token) > 4096:  # longer than any form parameter may be
        assert r.status_code == 400 and r.json()["error"] == "invalid_request"
        return
    assert r.status_code == 200 and r.json() == {"active": False}
    r = await http.post("/oauth/revoke", data={"token": token}, auth=client_auth(reg))
    assert r.status_code == 200


async def _signed(services: Services, claims: dict[str, Any], typ: str = "at+jwt") -> str:
    """A token signed with the server's real key (as if the claims were its own)."""
    return (await services.keys.signer()).sign(claims, typ=typ)


def _resign_header(token: str, header: dict[str, Any], signature: str | None = None) -> str:
    _, payload, sig = token.split(".")
    return f"{segment(header)}.{payload}.{sig if signature is None else signature}"


def _alg_none(token: str) -> str:
    header, _, _ = parts(token)
    return _resign_header(token, {**header, "alg": "none"}, "")


def _hs256_with_the_public_key(token: str, jwks: dict[str, Any]) -> str:
    header, _, _ = parts(token)
    forged = {**header, "alg": "HS256"}
    head, payload = segment(forged), token.split(".")[1]
    secret = json.dumps(jwks["keys"][0]).encode()
    mac = hmac.new(secret, f"{head}.{payload}".encode(), hashlib.sha256).digest()
    return f"{head}.{payload}.{b64(mac)}"


def _more_scope(token: str) -> str:
    _, claims, signature = parts(token)
    return f"{token.split('.')[0]}.{segment({**claims, 'scope': 'read write admin'})}.{signature}"


def _flipped_signature(token: str) -> str:
    head, payload, signature = token.split(".")
    flipped = ("B" if signature[10] == "A" else "A").join((signature[:10], signature[11:]))
    return f"{head}.{payload}.{flipped}"


TAMPERINGS: dict[str, Callable[[str], str]] = {
    "alg none": _alg_none,
    "more scope": _more_scope,
    "flipped signature": _flipped_signature,
    "no signature": lambda t: t.rsplit(".", 1)[0] + ".",
    "typ JWT": lambda t: _resign_header(t, {**parts(t)[0], "typ": "JWT"}),
    "unknown kid": lambda t: _resign_header(t, {**parts(t)[0], "kid": "nope"}),
    "kid not a string": lambda t: _resign_header(t, {**parts(t)[0], "kid": 1}),
    "crit header": lambda t: _resign_header(t, {**parts(t)[0], "crit": ["exp"]}),
    "huge header": lambda t: _resign_header(t, {**parts(t)[0], "x": "a" * 20_000}),
    "padded base64": lambda t: t.split(".")[0] + "==." + ".".join(t.split(".")[1:]),
    "non-ASCII": lambda t: t[:20] + "é" + t[21:],
    "bad base64 header": lambda t: "eyJ!!!." + ".".join(t.split(".")[1:]),
    "four parts": lambda t: t + ".eyJ9",
    "truncated": lambda t: t[:-5],
}


@pytest.mark.parametrize("how", list(TAMPERINGS))
async def test_a_tampered_jwt_is_refused(
    http: httpx.AsyncClient, jwt_client: Registered, genuine: str, how: str
) -> None:
    assert (await http.get("/api/me", headers={"Authorization": f"Bearer {genuine}"})).is_success
    await _refused(http, jwt_client, TAMPERINGS[how](genuine))


async def test_hs256_keyed_with_the_public_key_is_refused(
    http: httpx.AsyncClient, jwt_client: Registered, genuine: str
) -> None:
    jwks = (await http.get("/.well-known/jwks.json")).json()
    await _refused(http, jwt_client, _hs256_with_the_public_key(genuine, jwks))


@pytest.mark.parametrize(
    "token",
    [
        "a.b.c",
        "..",
        "eyJhbGciOiJub25lIn0..",
        "eyJ" + "A" * 9000 + ".e30.AAAA",
        segment([1, 2]) + ".e30.AAAA",
        segment({"alg": 5}) + ".e30.AAAA",
        segment({"alg": "RS256", "typ": "at+jwt", "kid": "x"}) + "." + "e30" + ".A",
        "\u00e9\u00e9.\u00e9.\u00e9",
    ],
)
async def test_garbage_shaped_like_a_jwt_is_refused(
    http: httpx.AsyncClient, jwt_client: Registered, token: str
) -> None:
    await _refused(http, jwt_client, token)


async def test_our_signature_is_not_enough_without_typ_at_jwt(
    http: httpx.AsyncClient, jwt_client: Registered, genuine: str, services: Services
) -> None:
    """RFC 9068 §4: a JWT of another kind (an id token, typ JWT) is not an access token,
    even with this server's signature and a real row's claims."""
    _, claims, _ = parts(genuine)
    await _refused(http, jwt_client, await _signed(services, claims, typ="JWT"))
    assert (await http.get("/api/me", headers={"Authorization": f"Bearer {genuine}"})).is_success


@pytest.mark.parametrize(
    "change",
    [
        {"iss": "https://evil.example"},
        {"iss": "http://testserver/"},
        {"iss": "http://testserver/spaces/nowhere"},
        {"iat": 1},
        {"exp": 2**40},
        {"jti": "0"},
        {"jti": "01"},
        {"jti": 7},
        {"jti": "9" * 30},
        {"exp": True},
    ],
)
async def test_signed_claims_must_match_the_row_and_an_issuer_of_ours(
    http: httpx.AsyncClient,
    jwt_client: Registered,
    genuine: str,
    services: Services,
    change: dict[str, Any],
) -> None:
    _, claims, _ = parts(genuine)
    await _refused(http, jwt_client, await _signed(services, {**claims, **change}))


async def test_a_signed_jwt_naming_an_opaque_tokens_row_does_not_prove_it(
    http: httpx.AsyncClient, jwt_client: Registered, genuine: str, services: Services
) -> None:
    opaque = await Factory(services).client(name="Opaque")
    r = await http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=client_auth(opaque)
    )
    row_id = r.json()["access_token"].split(".")[0]
    _, claims, _ = parts(genuine)
    await _refused(http, opaque, await _signed(services, {**claims, "jti": row_id}))


async def test_an_opaque_form_of_a_jwt_row_does_not_work(
    http: httpx.AsyncClient, jwt_client: Registered, genuine: str
) -> None:
    """The row of a JWT holds the digest of a secret that was never handed out."""
    _, claims, _ = parts(genuine)
    await _refused(http, jwt_client, f"{claims['jti']}.{'A' * 43}")


def _same_bytes(a: str, b: str) -> bool:
    try:
        return [b64decode(x) for x in a.split(".")] == [b64decode(x) for x in b.split(".")]
    except ValueError:
        return False


async def test_random_mutations_never_make_a_500(
    http: httpx.AsyncClient, jwt_client: Registered
) -> None:
    tokens = await password_tokens(http, jwt_client, scope="read")
    genuine = tokens["access_token"]
    rng = random.Random(9068)
    alphabet = "AZaz09-_.=+/ \u00e9"
    for _ in range(60):
        chars = list(genuine)
        for _ in range(rng.randint(1, 4)):
            chars[rng.randrange(len(chars))] = rng.choice(alphabet)
        mutated = "".join(chars)
        if _same_bytes(mutated, genuine):  # base64's spare bits: the same token
            continue
        r = await http.get("/api/me", headers={"Authorization": f"Bearer {mutated}".encode()})
        assert r.status_code in (400, 401), mutated
        r = await http.post(
            "/oauth/introspect", data={"token": mutated}, auth=client_auth(jwt_client)
        )
        assert r.status_code == 200 and r.json() == {"active": False}, mutated
