"""Relying parties nobody here wrote sign a user in at a real ``authgate serve``.

openid-client (panva's OpenID-certified library for Node; tests/e2e/rp/rp.mjs, pinned by
its package-lock.json, installed by ``make rp``) does what an RP does: discovery, the code
flow with PKCE S256, state and nonce (the login and consent forms driven over HTTP with a
cookie jar), the token request with its id token checks (JWS signature via jwks_uri, iss,
aud, exp, iat, nonce, auth_time for max_age; RFC 9207's iss; c_hash in the hybrid flow),
UserInfo with the expected sub, a refresh with the refreshed id token's checks, and
prompt=none. The library does not check at_hash; rp.mjs does, and Authlib's CodeIDToken
does too. It runs at the root issuer, at a space's issuer on a path and at one on a
subdomain of base_domain (a name nothing resolves here: the RP connects to 127.0.0.1 and
names the issuer's host in the Host header). Another test rotates the signing key between
two sign-ins; a negative control swaps the JWKS for foreign keys.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import shutil
import signal
import subprocess
import time
import warnings
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from authgate.services import Services, build_services
from authgate.settings import Settings
from authgate.storage.sql.driver import open_database
from tests.e2e.test_oauth_client_library import EMAIL, PASSWORD, Setup, authorize
from tests.e2e.test_server_process import Server, clean_env
from tests.web.oidc_support import left_half_hash, space_with_member

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "The httpx module is deprecated", DeprecationWarning)
    from authlib.integrations.httpx_client import OAuth2Client
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    from authlib.jose import JsonWebKey, jwt
    from authlib.oidc.core import CodeIDToken

pytestmark = pytest.mark.e2e

RP_DIR = Path(__file__).parent / "rp"
RP_SCRIPT = RP_DIR / "rp.mjs"
# Spaces' issuers: http://{slug}.localtest:8443, as behind a proxy on port 8443; the RP
# connects to the server's own port (Deployment.connect) and sends that Host.
BASE_DOMAIN = "localtest:8443"
SPACE_NAME = "Lib User at Acme"
SPACE_PHONE = "+49 30 1234567"
T = TypeVar("T")


@pytest.fixture(scope="module")
def node() -> str:
    found = shutil.which("node")
    if found is None or not (RP_DIR / "node_modules" / "openid-client").is_dir():
        pytest.fail(
            "the relying-party tests need Node.js 20+ and tests/e2e/rp/node_modules: "
            "run `make rp` (`make test` does), or `npm ci --prefix tests/e2e/rp`.",
            pytrace=False,
        )
    return found


@dataclass
class Deployment:
    setup: Setup
    subject: str

    @property
    def connect(self) -> str:
        return f"127.0.0.1:{self.setup.server.port}"

    def issuer(self, where: str) -> str:
        return {
            "root": self.setup.server.url,
            "path": self.setup.server.url + "/spaces/acme",
            "subdomain": f"http://acme.{BASE_DOMAIN}",
        }[where]

    def in_database(self, work: Callable[[Services], Awaitable[T]]) -> T:
        """``work`` with authgate's own services over the server's database."""
        settings = Settings(
            database_url=self.setup.env["AUTHGATE_DATABASE_URL"],
            secret_key=self.setup.env["AUTHGATE_SECRET_KEY"],
        )

        async def main() -> T:
            db = await open_database(settings.database_url)
            services = build_services(settings, db)
            try:
                return await work(services)
            finally:
                await services.close()
                await db.close()

        return asyncio.run(main())


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    cwd = tmp_path_factory.mktemp("oidc-rp")
    env = clean_env(
        AUTHGATE_DATABASE_URL=f"sqlite:///{cwd}/data/authgate.db",
        AUTHGATE_SECRET_KEY=secrets.token_urlsafe(32),
        AUTHGATE_BASE_DOMAIN=BASE_DOMAIN,
        AUTHGATE_SIGNING_KEY_REFRESH_SECONDS="1",
    )
    server = Server(cwd, env)
    try:
        setup = Setup(server, cwd, env)
        setup.cli("user", "create", "--email", EMAIL, "--password", PASSWORD, "--name", "Lib User")

        async def spaces(services: Services) -> str:
            user = await services.users.by_email(EMAIL)
            assert user is not None
            # Before any request names the space, so the server has cached nothing for it.
            await space_with_member(services, user.id, slug="acme", name=SPACE_NAME)
            return user.subject

        found = Deployment(setup, "")
        found.subject = found.in_database(spaces)
        yield found
    finally:
        server.kill(signal.SIGTERM)


def run_rp(
    node: str, operation: str, request: dict[str, Any], *, refused: bool = False
) -> dict[str, Any]:
    """One run of rp.mjs; the library's error, if it raised one, fails the test (or, when
    ``refused``, is the answer)."""
    done = subprocess.run(
        [node, str(RP_SCRIPT), operation],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=RP_DIR,
    )
    lines = done.stdout.strip().splitlines()
    assert lines, f"rp.mjs printed nothing (exit {done.returncode}): {done.stderr}"
    answer: dict[str, Any] = json.loads(lines[-1])
    if refused:
        assert "error" in answer and done.returncode == 1, answer
        error: dict[str, Any] = answer["error"]
        return error
    if "error" in answer:
        pytest.fail(f"openid-client refused: {json.dumps(answer['error'], indent=2)}")
    assert done.returncode == 0, done.stderr
    return answer


def sign_in(
    node: str, deployment: Deployment, where: str, *client_options: str, **options: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A new client (``client create`` with ``client_options``), then rp.mjs's ``login``
    (or another ``operation``) with ``options`` added to its request."""
    registered, redirect_uri = deployment.setup.new_client(
        f"openid-client {where}", *client_options
    )
    request = {
        "issuer": deployment.issuer(where),
        "connect": deployment.connect,
        "client_id": registered["client_id"],
        "client_secret": registered.get("client_secret"),
        "redirect_uri": redirect_uri,
        "scope": "openid profile email phone",
        "email": EMAIL,
        "password": PASSWORD,
    }
    refused = bool(options.pop("refused", False))
    operation = str(options.pop("operation", "login"))
    return registered, run_rp(node, operation, {**request, **options}, refused=refused)


@pytest.mark.parametrize(
    ("where", "client_options", "rp_options"),
    [
        ("root", [], {"auth": "basic"}),
        # OAuth 2.0 Form Post Response Mode: the library reads the POSTed response; RFC 8414
        # discovery.
        ("root", [], {"auth": "post", "response_mode": "form_post", "discovery": "oauth2"}),
        # RFC 8414 §3.1 discovery (the well-known segment before the issuer's path); a public
        # client; max_age, which makes the library require and check auth_time.
        ("path", ["--public"], {"discovery": "oauth2", "max_age": 600}),
        # The hybrid flow (Core §3.3): the library verifies the front-channel id token and
        # its c_hash too.
        ("subdomain", ["--grant", "implicit"], {"auth": "post", "hybrid": True}),
    ],
    ids=["root", "root-form_post", "path-public-max_age", "subdomain-hybrid"],
)
def test_openid_client_signs_in_validates_calls_userinfo_and_refreshes(
    node: str,
    deployment: Deployment,
    where: str,
    client_options: list[str],
    rp_options: dict[str, Any],
) -> None:
    issuer = deployment.issuer(where)
    registered, rp = sign_in(node, deployment, where, *client_options, **rp_options)
    client_id = registered["client_id"]

    assert rp["issuer"] == issuer
    assert rp["endpoints"] == {
        "authorization": issuer + "/oauth/authorize",
        "token": issuer + "/oauth/token",
        "userinfo": issuer + "/oauth/userinfo",
        "jwks": issuer + "/.well-known/jwks.json",
    }
    # The pages were the issuer's own: sign-in, then consent, then the callback.
    assert [p.split(" -> ")[0] for p in rp["pages"]][-1].endswith("/oauth/authorize/decision")
    assert any("/login" in p for p in rp["pages"])
    mode = rp_options.get("response_mode", "fragment" if rp_options.get("hybrid") else "query")
    assert rp["callback"] == {"iss": issuer, "mode": mode}

    claims = rp["claims"]
    assert claims["iss"] == issuer
    assert claims["aud"] == client_id or claims["aud"] == [client_id]
    assert claims["sub"] == deployment.subject
    assert claims["exp"] > time.time()
    assert rp["at_hash_matches"] is True, claims  # the library does not check at_hash
    assert rp["id_token_header"]["alg"] == "RS256"
    assert rp["token_type"].lower() == "bearer"
    assert set(rp["scope"].split()) == {"openid", "profile", "email", "phone"}
    assert rp["expires_in"] > 0

    userinfo = rp["userinfo"]
    assert userinfo["sub"] == deployment.subject
    assert userinfo["email"] == EMAIL
    if where == "root":
        assert claims["name"] == userinfo["name"] == "Lib User"
    else:
        assert claims["name"] == userinfo["name"] == SPACE_NAME
        assert claims["phone_number"] == userinfo["phone_number"] == SPACE_PHONE

    refreshed = rp["refreshed"]
    assert refreshed["new_access_token"] and refreshed["new_refresh_token"]
    assert refreshed["claims"] is not None, "no id token on refresh"
    assert refreshed["claims"]["iss"] == issuer
    assert refreshed["claims"]["sub"] == deployment.subject
    # Core §12.2: no nonce on refresh, auth_time kept.
    assert "nonce" not in refreshed["claims"]
    assert refreshed["claims"].get("auth_time") == claims.get("auth_time")
    assert refreshed["at_hash_matches"] is True

    # prompt=none with the session: no page, a code, the same sign-in's auth_time.
    assert [p.split(" ")[0] for p in rp["silent"]["pages"]] == ["GET"], rp["silent"]
    assert rp["silent"]["claims"]["sub"] == deployment.subject
    assert rp["silent"]["claims"]["auth_time"] == claims["auth_time"]

    refused = rp["refused"]
    # RFC 9700 §4.14.2: the rotated-away refresh token and the used code are invalid_grant.
    assert refused["used_refresh_token"]["error"] == "invalid_grant", refused
    assert refused["used_code"]["error"] == "invalid_grant", refused
    # RFC 6750 §3: the library reads the WWW-Authenticate challenge.
    challenge = refused["unknown_access_token"]
    assert challenge["code"] == "OAUTH_WWW_AUTHENTICATE_CHALLENGE", refused
    assert challenge["cause"][0]["scheme"] == "bearer"
    assert challenge["cause"][0]["parameters"]["error"] == "invalid_token"


def test_openid_client_reads_a_denial_as_access_denied(node: str, deployment: Deployment) -> None:
    """RFC 6749 §4.1.2.1 with RFC 9207's iss: the library checks iss on the error response
    too, then raises the error."""
    _, denied = sign_in(node, deployment, "subdomain", operation="deny")
    assert denied["callback_iss"] == deployment.issuer("subdomain")
    assert denied["refused"]["error"] == "access_denied", denied


def test_openid_client_refuses_an_id_token_its_jwks_cannot_verify(
    node: str, deployment: Deployment
) -> None:
    """The negative control of the test above: the id token's signature really is checked
    against jwks_uri (Core §3.1.3.7 step 6), so keys of the same kid but not the issuer's
    make the token request fail in the library."""
    _, error = sign_in(node, deployment, "root", foreign_keys=True, refused=True)
    assert error["cause"]["message"] == "JWT signature verification failed", error


def test_id_tokens_signed_before_and_after_a_key_rotation_both_validate(
    node: str, deployment: Deployment
) -> None:
    _, first = sign_in(node, deployment, "root")
    old_kid = first["id_token_header"]["kid"]

    async def rotate(services: Services) -> str:
        key = await services.keys.rotate(at_once=True)
        return key.kid

    new_kid = deployment.in_database(rotate)
    assert new_kid != old_kid
    jwks_url = deployment.setup.server.url + "/.well-known/jwks.json"
    deadline = time.monotonic() + 10  # signing_key_refresh_seconds is 1
    while new_kid not in {k["kid"] for k in httpx.get(jwks_url).json()["keys"]}:
        assert time.monotonic() < deadline, "the rotated key was never published"
        time.sleep(0.2)

    # A new RP instance: openid-client keeps a JWKS for 60 s before it looks again.
    _, second = sign_in(node, deployment, "root")
    assert second["id_token_header"]["kid"] == new_kid
    assert second["refreshed"]["id_token_header"]["kid"] == new_kid

    # The first id token still validates against what the issuer publishes now.
    later = run_rp(
        node,
        "verify",
        {
            "issuer": deployment.issuer("root"),
            "connect": deployment.connect,
            "client_id": first["claims"]["aud"],
            "id_token": first["id_token"],
        },
    )
    assert {old_kid, new_kid} <= set(later["kids"])
    assert later["header"]["kid"] == old_kid
    assert later["claims"]["nonce"] == first["claims"]["nonce"]


def test_authlib_openid_client_validates_the_id_token_and_its_at_hash(
    deployment: Deployment,
) -> None:
    setup = deployment.setup
    issuer = deployment.issuer("root")
    metadata = httpx.get(issuer + "/.well-known/openid-configuration").json()
    assert metadata["issuer"] == issuer
    registered, redirect_uri = setup.new_client("authlib oidc")
    client_id = registered["client_id"]
    oauth = OAuth2Client(
        client_id=client_id,
        client_secret=registered["client_secret"],
        scope="openid profile email",
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint=metadata["token_endpoint"],
    )
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(16)
    url, state = oauth.create_authorization_url(
        metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    with httpx.Client() as browser:
        location = authorize(setup, browser, url, redirect_uri)
    sent = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert sent["state"] == state and sent["iss"] == issuer

    def validated(id_token: str, access_token: str, expected_nonce: str | None) -> Any:
        keys = JsonWebKey.import_key_set(httpx.get(metadata["jwks_uri"]).json())
        claims = jwt.decode(
            id_token,
            keys,
            claims_cls=CodeIDToken,
            claims_options={
                "iss": {"essential": True, "value": issuer},
                "aud": {"essential": True, "value": client_id},
            },
            claims_params={
                "nonce": expected_nonce,
                "client_id": client_id,
                "access_token": access_token,
            },
        )
        claims.validate()  # exp, iat, nonce, azp, auth_time, at_hash
        assert claims["at_hash"] == left_half_hash(access_token)
        return claims

    with oauth:
        token = oauth.fetch_token(
            metadata["token_endpoint"],
            authorization_response=location,
            state=state,
            code_verifier=verifier,
        )
        claims = validated(token["id_token"], token["access_token"], nonce)
        assert claims["sub"] == deployment.subject
        assert claims["nonce"] == nonce
        userinfo = oauth.get(metadata["userinfo_endpoint"])
        assert userinfo.status_code == 200, userinfo.text
        assert userinfo.json()["sub"] == claims["sub"]
        assert userinfo.json()["email"] == EMAIL

        refreshed = oauth.refresh_token(metadata["token_endpoint"])
        again = validated(refreshed["id_token"], refreshed["access_token"], None)
        assert again["sub"] == claims["sub"]
        assert "nonce" not in again
