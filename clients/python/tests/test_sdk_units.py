"""The SDK's pure parts, without a server: PKCE (RFC 7636), the authorization request and
the checks on the redirect back (state, RFC 9207 iss, errors), the implicit flow's
fragment, tokens, challenges, Retry-After, and the sans-I/O bearer flow stepped by hand."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from authgate_client import (
    AccessDenied,
    AuthorizationRequest,
    CallbackError,
    IssuerMismatch,
    OAuthError,
    RetryPolicy,
    StateMismatch,
    Token,
    build_authorization_request,
    code_from_callback,
    make_code_verifier,
    s256_challenge,
    token_from_fragment,
)
from authgate_client._core import OAuthCore
from authgate_client._sansio import Exclusive, Fetch, Save
from authgate_client.auth import OAuth2Auth
from authgate_client.errors import InvalidToken, bearer_challenge, retry_after_seconds
from authgate_client.metadata import ServerMetadata

ISSUER = "https://auth.example.com"
REDIRECT = "http://127.0.0.1:9000/callback"


def request(**kw: object) -> AuthorizationRequest:
    options: dict[str, object] = {
        "client_id": "app",
        "redirect_uri": REDIRECT,
        "scope": "openid read",
        "issuer": ISSUER,
        "iss_required": True,
    }
    options.update(kw)
    return build_authorization_request(ISSUER + "/oauth/authorize", **options)  # type: ignore[arg-type]


# -- PKCE -------------------------------------------------------------------------------


def test_s256_challenge_matches_rfc7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert s256_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_code_verifiers_are_long_random_and_unreserved() -> None:
    verifiers = {make_code_verifier() for _ in range(50)}
    assert len(verifiers) == 50
    assert all(re.fullmatch(r"[A-Za-z0-9\-._~]{64}", v) for v in verifiers)
    assert len(make_code_verifier(43)) == 43 and len(make_code_verifier(128)) == 128
    for bad in (42, 129):
        with pytest.raises(ValueError, match="43 to 128"):
            make_code_verifier(bad)
    with pytest.raises(ValueError):
        s256_challenge("too-short")


# -- the authorization request ------------------------------------------------------------


def test_authorization_url_carries_state_nonce_and_s256() -> None:
    made = request()
    query = {k: v[0] for k, v in parse_qs(urlsplit(made.url).query).items()}
    assert query == {
        "response_type": "code",
        "client_id": "app",
        "redirect_uri": REDIRECT,
        "scope": "openid read",
        "state": made.state,
        "nonce": made.nonce,
        "code_challenge": s256_challenge(made.code_verifier or ""),
        "code_challenge_method": "S256",
    }
    assert len(made.state) >= 32 and made.state != request().state
    assert made.nonce and made.nonce != request().nonce


def test_no_nonce_without_openid_and_the_endpoint_query_is_kept() -> None:
    made = build_authorization_request(
        ISSUER + "/oauth/authorize?tenant=x", client_id="app", redirect_uri=REDIRECT, scope="read"
    )
    query = parse_qs(urlsplit(made.url).query)
    assert query["tenant"] == ["x"] and "nonce" not in query and made.nonce is None
    with pytest.raises(ValueError, match="state"):
        build_authorization_request(
            ISSUER, client_id="a", redirect_uri=REDIRECT, extra={"state": "mine"}
        )


def test_the_request_survives_a_session_round_trip_without_showing_secrets() -> None:
    made = request()
    assert AuthorizationRequest.from_dict(made.to_dict()) == made
    assert made.code_verifier and made.code_verifier not in repr(made)


# -- the redirect back ----------------------------------------------------------------------


def callback(made: AuthorizationRequest, **params: str) -> str:
    return REDIRECT + "?" + httpx.QueryParams(params).__str__()


def test_a_matching_callback_gives_the_code() -> None:
    made = request()
    assert code_from_callback(made, callback(made, code="c1", state=made.state, iss=ISSUER)) == "c1"
    # parameters a framework already parsed (form_post, request.GET) work the same
    assert code_from_callback(made, {"code": "c2", "state": made.state, "iss": ISSUER}) == "c2"


@pytest.mark.parametrize("state", [None, "", "forged"])
def test_a_wrong_or_missing_state_is_refused(state: str | None) -> None:
    made = request()
    params = {"code": "c", "iss": ISSUER} | ({} if state is None else {"state": state})
    with pytest.raises(StateMismatch):
        code_from_callback(made, callback(made, **params))


def test_rfc9207_iss_must_be_the_requests_issuer() -> None:
    made = request()
    with pytest.raises(IssuerMismatch, match="evil"):
        code_from_callback(made, callback(made, code="c", state=made.state, iss="https://evil"))
    with pytest.raises(IssuerMismatch, match="no iss"):
        code_from_callback(made, callback(made, code="c", state=made.state))
    relaxed = request(iss_required=False)
    assert code_from_callback(relaxed, callback(relaxed, code="c", state=relaxed.state)) == "c"


def test_an_error_callback_is_raised_typed_after_the_state_check() -> None:
    made = request()
    denied = callback(
        made,
        error="access_denied",
        error_description="the user denied",
        state=made.state,
        iss=ISSUER,
    )
    with pytest.raises(AccessDenied) as caught:
        code_from_callback(made, denied)
    assert (caught.value.error, caught.value.description) == ("access_denied", "the user denied")
    assert caught.value.status_code is None
    with pytest.raises(StateMismatch):  # a forged error is not believed either
        code_from_callback(made, callback(made, error="access_denied", state="forged"))


def test_repeated_parameters_and_empty_callbacks_are_refused() -> None:
    made = request()
    with pytest.raises(CallbackError, match="repeats"):
        code_from_callback(made, f"{REDIRECT}?code=a&code=b&state={made.state}")
    with pytest.raises(CallbackError, match="neither"):
        code_from_callback(made, callback(made, state=made.state, iss=ISSUER))


def test_implicit_fragment_gives_a_token() -> None:
    made = request(response_type="token", scope="read")
    url = (
        f"{REDIRECT}#access_token=2.abc&token_type=Bearer&expires_in=3600&scope=read"
        f"&state={made.state}&iss={ISSUER}"
    )
    token = token_from_fragment(made, url, now=1000.0)
    assert (token.access_token, token.token_type, token.scope) == ("2.abc", "Bearer", "read")
    assert token.expires_at == 4600.0 and token.refresh_token is None and token.extra == {}
    with pytest.raises(StateMismatch):
        token_from_fragment(made, url.replace(made.state, "forged"))
    with pytest.raises(OAuthError) as caught:
        token_from_fragment(made, f"{REDIRECT}#error=invalid_scope&state={made.state}&iss={ISSUER}")
    assert caught.value.error == "invalid_scope"
    with pytest.raises(CallbackError):  # a query is not a fragment
        token_from_fragment(made, f"{REDIRECT}?access_token=x&state={made.state}&iss={ISSUER}")


# -- tokens, challenges, Retry-After ----------------------------------------------------------


def test_token_round_trips_through_a_store_and_hides_its_secrets() -> None:
    token = Token.from_response(
        {"access_token": "a1", "token_type": "bearer", "expires_in": 7200,
         "refresh_token": "r1", "scope": "read", "username": "u@example.com"},
        now=100.0,
    )  # fmt: skip
    assert token.expires_at == 7300.0 and token.extra == {"username": "u@example.com"}
    assert Token.from_dict(token.to_dict()) == token
    assert "a1" not in repr(token) and "r1" not in repr(token)
    assert token.is_expired(30, now=7280.0) and not token.is_expired(30, now=7000.0)
    forever = Token.from_response({"access_token": "x", "token_type": "bearer"})
    assert forever.expires_at is None and not forever.is_expired(10**9)


def test_seed_003_challenge_is_parsed() -> None:
    header = (
        'Bearer realm="Doorkeeper", error="invalid_token", '
        'error_description="The access token expired"'
    )
    assert bearer_challenge(header) == {
        "realm": "Doorkeeper",
        "error": "invalid_token",
        "error_description": "The access token expired",
    }
    assert bearer_challenge('Basic realm="token"') == {}
    response = httpx.Response(401, headers={"www-authenticate": header})
    error = OAuthError.from_response(response)
    assert isinstance(error, InvalidToken) and error.status_code == 401
    assert error.description == "The access token expired"


def test_retry_after_and_the_retry_policy() -> None:
    assert retry_after_seconds("7") == 7.0 and retry_after_seconds(None) is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    policy = RetryPolicy(max_retries=2, max_wait=5)

    def answer(method: str, retry_after: str | None) -> httpx.Response:
        headers = {} if retry_after is None else {"retry-after": retry_after}
        return httpx.Response(429, headers=headers, request=httpx.Request(method, ISSUER))

    assert policy.delay(answer("GET", "3"), 0) == 3.0
    assert policy.delay(answer("GET", None), 0) == 1.0
    assert policy.delay(answer("GET", "3"), 2) is None  # retries used up
    assert policy.delay(answer("GET", "6"), 0) is None  # longer than max_wait
    assert policy.delay(answer("POST", "1"), 0) is None  # not idempotent


# -- the bearer flow, stepped by hand (no I/O at all) -------------------------------------------


def test_bearer_flow_refreshes_once_on_invalid_token_and_saves_the_new_pair() -> None:
    core = OAuthCore(
        client_id="app",
        client_secret="s",
        metadata=ServerMetadata(issuer=ISSUER, token_endpoint=ISSUER + "/token"),
        clock=lambda: 0.0,
    )
    old = Token(access_token="old", refresh_token="r-old", expires_at=3600.0)
    auth = OAuth2Auth(core, old)
    api = httpx.Request("GET", "https://api.example.com/me")
    flow = auth.flow(api)
    sent = next(flow)
    assert sent is api and api.headers["authorization"] == "Bearer old"
    expired = httpx.Response(
        401, headers={"www-authenticate": 'Bearer error="invalid_token"'}, request=api
    )
    step = flow.send(expired)
    assert isinstance(step, Exclusive)
    renew = step.flow
    token_request = next(renew)
    assert isinstance(token_request, Fetch)
    assert token_request.request.url == ISSUER + "/token"
    assert token_request.request.content == b"grant_type=refresh_token&refresh_token=r-old"
    answer = httpx.Response(
        200,
        json={
            "access_token": "new",
            "token_type": "Bearer",
            "expires_in": 60,
            "refresh_token": "r2",
        },
        request=token_request.request,
    )
    saved = renew.send(answer)
    assert isinstance(saved, Save) and saved.token.refresh_token == "r2"
    with pytest.raises(StopIteration) as renewed:
        renew.send(None)
    again = flow.send(renewed.value.value)
    assert again is api and api.headers["authorization"] == "Bearer new"
    # a second 401 for the same request is the answer: no refresh loop
    with pytest.raises(StopIteration):
        flow.send(httpx.Response(401, headers=expired.headers, request=api))
    assert auth.token == saved.token
