"""Property tests for the authorization endpoint (RFC 6749 §4.1.2.1, RFC 9700 §4.11):
whatever arrives, the answer is an HTML error page, a redirect to sign in, or a redirect to
the client's registered redirect URI, never a 500 and never a redirect anywhere else."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Factory
from tests.web.flow import Browser

CB = "https://app.example.com/callback"
NAMES = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "nonce",
)
REAL_ID = "\x01client"

values = st.one_of(
    st.sampled_from(
        [
            "code",
            "token",
            "id_token",
            CB,
            CB + "?x=1",
            "https://evil.example/cb",
            "read",
            "none",
            "login consent",
            "S256",
            "plain",
            "a" * 43,
            REAL_ID,
            "javascript:alert(1)",
            "//evil.example",
        ]
    ),
    st.text(max_size=60),
)
pairs = st.lists(
    st.tuples(st.one_of(st.sampled_from(NAMES), st.text(max_size=10)), values), max_size=10
)


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(pairs=pairs, post=st.booleans(), signed_in=st.booleans())
async def test_authorize_never_fails_open(
    http: httpx.AsyncClient,
    make: Factory,
    pairs: list[tuple[str, str]],
    post: bool,
    signed_in: bool,
) -> None:
    services = make.services
    registered = await services.clients.all()  # the app lives across examples
    if registered:
        client = registered[0]
    else:
        await make.user()
        client = (await make.client(grant_types=["authorization_code"], redirect_uris=[CB])).client
    http.cookies.clear()
    if signed_in:
        await Browser(http).login()
    sent = [(k, client.client_id if v == REAL_ID else v) for k, v in pairs]
    body: Any = urlencode(sent).encode()
    if post:
        r = await http.post(
            "/oauth/authorize",
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    else:
        r = await http.get("/oauth/authorize?" + body.decode())
    assert r.status_code in {200, 302, 303, 400}, r.text
    if r.status_code == 400 or r.status_code == 200:
        assert r.headers["content-type"].startswith("text/html")
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        return
    location = r.headers["location"]
    if location.startswith("/login?"):
        return
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == CB, location
