"""``JwtVerifier``: RFC 9068 §4's checks, against a JWKS served by a stand-in issuer."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OctKey, RSAKey

from authgate.errors import InvalidToken, TemporarilyUnavailable
from authgate.resource import JwtVerifier

ISSUER = "https://login.example.com"
API = "https://api.example.com"
NOW = 1_800_000_000


class Issuer:
    """Discovery and a JWKS over an httpx mock transport, counting JWKS fetches."""

    def __init__(self) -> None:
        self.keys = [ECKey.generate_key("P-256", parameters={"kid": "k1", "alg": "ES256"})]
        self.jwks_fetches = 0
        self.down = False

    def handler(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("down", request=request)
        if request.url.path == "/.well-known/openid-configuration":
            return httpx.Response(200, json={"issuer": ISSUER, "jwks_uri": ISSUER + "/jwks"})
        if request.url.path == "/jwks":
            self.jwks_fetches += 1
            return httpx.Response(200, json=KeySet(self.keys).as_dict(private=False))
        return httpx.Response(404)

    def sign(self, claims: dict[str, Any] | None = None, **header: Any) -> str:
        key = self.keys[-1]
        body = {
            "iss": ISSUER,
            "aud": API,
            "sub": "user-1",
            "client_id": "app-1",
            "iat": NOW,
            "exp": NOW + 300,
            "jti": "1",
            "scope": "read write",
            **(claims or {}),
        }
        head = {"alg": "ES256", "kid": key.kid, "typ": "at+jwt", **header}
        return jwt.encode({k: v for k, v in head.items() if v is not None}, body, key)


class Clock:
    now = float(NOW)

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def issuer() -> Issuer:
    return Issuer()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def verifier(issuer: Issuer, clock: Clock) -> JwtVerifier:
    http = httpx.AsyncClient(transport=httpx.MockTransport(issuer.handler))
    return JwtVerifier(ISSUER, audience=API, http=http, clock=clock)


async def test_a_good_token_is_verified(issuer: Issuer, verifier: JwtVerifier) -> None:
    token = await verifier.verify(issuer.sign())
    assert token.client_id == "app-1"
    assert token.subject == "user-1" and token.for_user
    assert token.scopes == {"read", "write"}
    assert token.expires_at == NOW + 300


async def test_a_client_credentials_token_has_the_client_as_subject_rfc9068_2_2(
    issuer: Issuer, verifier: JwtVerifier
) -> None:
    token = await verifier.verify(issuer.sign({"sub": "app-1"}))
    assert not token.for_user


async def test_keys_are_fetched_once_and_again_for_an_unknown_kid(
    issuer: Issuer, verifier: JwtVerifier, clock: Clock
) -> None:
    for _ in range(3):
        await verifier.verify(issuer.sign())
    assert issuer.jwks_fetches == 1
    issuer.keys.append(RSAKey.generate_key(2048, parameters={"kid": "k2", "alg": "RS256"}))
    clock.now += 60
    token = issuer.sign(alg="RS256")
    assert (await verifier.verify(token)).client_id == "app-1"
    assert issuer.jwks_fetches == 2


async def test_unknown_kids_do_not_refetch_more_than_every_30_seconds(
    issuer: Issuer, verifier: JwtVerifier
) -> None:
    await verifier.verify(issuer.sign())
    stranger = ECKey.generate_key("P-256", parameters={"kid": "k9"})
    forged = jwt.encode({"alg": "ES256", "kid": "k9", "typ": "at+jwt"}, {"iss": ISSUER}, stranger)
    for _ in range(5):
        with pytest.raises(InvalidToken):
            await verifier.verify(forged)
    assert issuer.jwks_fetches == 1


@pytest.mark.parametrize(
    ("claims", "header"),
    [
        ({"iss": "https://evil.example.com"}, {}),
        ({"aud": "https://other-api.example.com"}, {}),
        ({"aud": [ISSUER]}, {}),
        ({"exp": NOW - 31}, {}),
        ({"exp": "soon"}, {}),
        ({"nbf": NOW + 3600}, {}),
        ({"client_id": None}, {}),
        ({}, {"typ": "JWT"}),
        ({}, {"typ": None}),
    ],
)
async def test_rfc9068_4_checks(
    issuer: Issuer, verifier: JwtVerifier, claims: dict[str, Any], header: dict[str, Any]
) -> None:
    with pytest.raises(InvalidToken):
        await verifier.verify(issuer.sign(claims, **header))


async def test_the_audience_may_be_one_of_several(issuer: Issuer, verifier: JwtVerifier) -> None:
    assert await verifier.verify(issuer.sign({"aud": [ISSUER, API]}))


def _b64(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


async def test_alg_none_and_hmac_with_the_public_key_are_refused(
    issuer: Issuer, verifier: JwtVerifier
) -> None:
    claims = {"iss": ISSUER, "aud": API, "sub": "u", "client_id": "a", "exp": NOW + 60}
    unsigned = f"{_b64({'alg': 'none', 'typ': 'at+jwt'})}.{_b64(claims)}."
    with pytest.raises(InvalidToken):
        await verifier.verify(unsigned)
    public = json.dumps(issuer.keys[0].as_dict(private=False)).encode()
    hmac = jwt.encode(
        {"alg": "HS256", "kid": "k1", "typ": "at+jwt"}, claims, OctKey.import_key(public)
    )
    with pytest.raises(InvalidToken):
        await verifier.verify(hmac)


@pytest.mark.parametrize("garbage", ["", "a.b.c", "é.é.é", "x" * 9000, "a.b", "1." + "A" * 43])
async def test_garbage_is_invalid_token(verifier: JwtVerifier, garbage: str) -> None:
    with pytest.raises(InvalidToken):
        await verifier.verify(garbage)


async def test_an_unreachable_issuer_is_503(issuer: Issuer, verifier: JwtVerifier) -> None:
    issuer.down = True
    with pytest.raises(TemporarilyUnavailable):
        await verifier.verify(issuer.sign())
