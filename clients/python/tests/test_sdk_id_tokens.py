"""ID token validation against a real authgate's keys, before and after ``authgate keys
rotate``: a token signed by a key the cached set lacks fetches the JWKS again; forged,
foreign, expired and mismatched tokens are refused (OpenID Connect Core §3.1.3.7)."""

from __future__ import annotations

import base64
import json
import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.e2e.profile_support import ProfileServer, serve_profile

from authgate_client import Client, InvalidIdToken
from sdk_support import MEMBER, PASSWORD, register

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProfileServer]:
    for found in serve_profile("default", tmp_path_factory, signing_key_refresh_seconds="1"):
        found.user(MEMBER, "Member Person")
        yield found


def kid_of(jwt: str) -> str:
    header = jwt.split(".")[0]
    kid: str = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]
    return kid


def sign_now(server: ProfileServer, new: str, old: str) -> None:
    """Let the rotated key sign at once instead of after its lead time (a minute or more):
    what ``keys rotate`` does then, done now in the database the server reads."""
    now = int(time.time()) - 1
    with sqlite3.connect(server.cwd / "data" / "authgate.db") as db:
        db.execute("UPDATE signing_keys SET signs_from = ? WHERE kid = ?", (now, new))
        db.execute("UPDATE signing_keys SET retired_at = ? WHERE kid = ?", (now, old))
    time.sleep(2.2)  # signing_key_refresh_seconds = 1


def test_validation_survives_key_rotation(server: ProfileServer) -> None:
    app = register(server, "password")
    fetched: list[str] = []
    http = httpx.Client(event_hooks={"request": [lambda r: fetched.append(r.url.path)]})
    client = Client(
        server.url,
        client_id=app["client_id"],
        client_secret=app["client_secret"],
        http=http,
        jwks_refetch_seconds=0,
    )
    with client, http:
        before = client.password(MEMBER, PASSWORD, "openid")
        assert before.id_token and before.id_token_claims
        old = kid_of(before.id_token)

        rotated = server.cli("keys", "rotate")
        new = rotated["kid"]
        assert new != old and rotated["lead"] > 0
        during = client.password(MEMBER, PASSWORD, "openid")
        assert during.id_token and kid_of(during.id_token) == old  # the new key waits
        assert fetched.count("/.well-known/jwks.json") == 1  # the cached set still serves

        sign_now(server, new, old)
        after = client.password(MEMBER, PASSWORD, "openid")
        assert after.id_token and kid_of(after.id_token) == new
        assert after.id_token_claims and after.id_token_claims["sub"]
        assert fetched.count("/.well-known/jwks.json") == 2  # unknown kid: fetched again

        # The old key stays published for its grace period: its tokens still verify.
        claims = client.validate_id_token(before.id_token, access_token=before.access_token)
        assert claims["sub"] == after.id_token_claims["sub"]


def test_forged_foreign_expired_and_mismatched_id_tokens_are_refused(
    server: ProfileServer,
) -> None:
    app = register(server, "password")
    other = register(server, "password")
    with (
        Client(server.url, client_id=app["client_id"], client_secret=app["client_secret"]) as c,
        Client(server.url, client_id=other["client_id"], client_secret=other["client_secret"]) as o,
    ):
        token = c.password(MEMBER, PASSWORD, "openid")
        id_token = token.id_token
        assert id_token
        head, body, signature = id_token.split(".")
        forged_claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "==="))
        forged_claims["sub"] = "someone-else"
        forged_body = base64.urlsafe_b64encode(json.dumps(forged_claims).encode()).rstrip(b"=")
        cases = {
            "signature": lambda: c.validate_id_token(f"{head}.{forged_body.decode()}.{signature}"),
            "nonce": lambda: c.validate_id_token(id_token, nonce="not-the-one-sent"),
            "at_hash": lambda: c.validate_id_token(id_token, access_token="another-token"),
            "aud": lambda: o.validate_id_token(id_token),
        }
        for what, check in cases.items():
            with pytest.raises(InvalidIdToken, match=what if what != "signature" else "verify"):
                check()
        assert c.validate_id_token(id_token, access_token=token.access_token)["iss"] == server.url

    later = Client(
        server.url,
        client_id=app["client_id"],
        client_secret=app["client_secret"],
        clock=lambda: time.time() + 2 * 3600,
    )
    with later, pytest.raises(InvalidIdToken, match="expired"):
        later.validate_id_token(id_token)
