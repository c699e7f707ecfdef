"""Signing keys: published before they sign, kept published after, served from memory
(RFC 7517 §5 key sets; OpenID Connect Core §10.1.1 rollover)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from authgate.crypto.keys import ALGORITHMS, Algorithm
from authgate.protocol.keyring import KeyRing
from authgate.services import Services
from tests.conftest import Clock

JWKS = "/.well-known/jwks.json"


async def _kids(http: httpx.AsyncClient) -> list[str]:
    r = await http.get(JWKS)
    assert r.status_code == 200
    return [k["kid"] for k in r.json()["keys"]]


def _verify(token: str, document: dict[str, Any], alg: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(
        token, KeySet.import_key_set(document), algorithms=[alg]
    ).claims
    return claims


async def test_first_start_creates_a_key_that_signs_and_is_published(
    http: httpx.AsyncClient, services: Services
) -> None:
    r = await http.get(JWKS)
    assert r.headers["content-type"] == "application/jwk-set+json"
    assert r.headers["cache-control"] == "public, max-age=60"
    (key,) = r.json()["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert set(key) == {"kty", "n", "e", "kid", "alg", "use"}  # public parts only
    signer = await services.keys.signer()
    assert signer.kid == key["kid"]
    assert _verify(signer.sign({"sub": "1"}), r.json(), "RS256") == {"sub": "1"}


async def test_etag_answers_304(http: httpx.AsyncClient) -> None:
    first = await http.get(JWKS)
    again = await http.get(JWKS, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    other = await http.get(JWKS, headers={"If-None-Match": '"nope"'})
    assert other.status_code == 200


async def test_rotation_publishes_first_signs_later_and_keeps_the_old_key(
    http: httpx.AsyncClient, services: Services, clock: Clock
) -> None:
    keys: KeyRing = services.keys
    old = await keys.signer()
    token = old.sign({"sub": "before"})
    new = await keys.rotate()
    assert (await _kids(http)) == [old.kid, new.kid]  # published at once
    assert (await keys.signer()).kid == old.kid  # but not signing yet
    clock.advance(keys.lead)
    assert (await keys.signer()).kid == new.kid
    document = (await http.get(JWKS)).json()
    assert _verify(token, document, "RS256")["sub"] == "before"  # still verifies
    clock.advance(keys.grace + 1)
    assert (await _kids(http)) == [new.kid]


async def test_rotation_from_another_process_reaches_this_worker_within_refresh(
    http: httpx.AsyncClient, services: Services, clock: Clock, settings: Any
) -> None:
    """A second KeyRing on the same database stands for ``authgate keys rotate``."""
    from authgate.services import build_services
    from authgate.storage.sql.driver import open_database

    db = await open_database(settings.database_url)
    try:
        other = build_services(settings, db, clock=clock).keys
        before = await _kids(http)
        added = await other.rotate()
        assert (await _kids(http)) == before  # this worker has not looked yet
        clock.advance(services.keys.refresh)
        assert (await _kids(http)) == [*before, added.kid]
    finally:
        await db.close()


@pytest.mark.parametrize("alg", ALGORITHMS)
async def test_each_algorithm_signs_and_verifies(services: Services, alg: Algorithm) -> None:
    key = await services.keys.rotate(alg, at_once=True)
    signer = await services.keys.signer()
    assert signer.kid == key.kid and signer.alg == alg
    document = json.loads((await services.keys.jwks()).body)
    assert _verify(signer.sign({"n": 1}), document, alg) == {"n": 1}


async def test_private_keys_are_stored_sealed(services: Services) -> None:
    (key,) = await services.keys.keys()
    assert '"d"' not in key.private_sealed and '"d"' not in key.public_jwk


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"signing_key_refresh_seconds": 5}


async def test_head_has_the_headers_and_no_body(http: httpx.AsyncClient) -> None:
    get = await http.get(JWKS)
    head = await http.head(JWKS)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == get.headers["etag"]
    assert head.headers["content-length"] == str(len(get.content))


async def test_other_methods_are_not_answered_from_memory(http: httpx.AsyncClient) -> None:
    for path in (JWKS, "/.well-known/openid-configuration"):
        r = await http.post(path)
        assert r.status_code in (404, 405), path
