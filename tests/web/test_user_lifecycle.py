"""A disabled user cannot sign in (page or password grant), and their tokens and sessions stop
working at once: revoked when disabled, and refused at each check. Deleting a user takes
what they hold with them."""

from __future__ import annotations

import httpx

from authgate.audit.events import Actor, AuditQuery
from authgate.services import Services
from authgate.storage.sql.driver import open_database
from tests.conftest import Factory
from tests.web.flow import Browser
from tests.web.token_support import client_auth, password_tokens

CB = "https://app.example.com/cb"
OPERATOR = Actor("cli", "test@host")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_disabling_revokes_tokens_sessions_and_stops_sign_in(
    http: httpx.AsyncClient, browser: Browser, services: Services, make: Factory
) -> None:
    alice = await make.user()
    reg = await make.client(grant_types=["password"])
    tokens = await password_tokens(http, reg)
    assert (await http.get("/api/me", headers=bearer(tokens["access_token"]))).status_code == 200
    await browser.login()
    assert (await http.get("/")).status_code == 200  # signed in

    revoked = await services.user_admin.disable(alice, actor=OPERATOR)
    assert (revoked.sessions, revoked.access_tokens, revoked.refresh_tokens) == (1, 1, 1)

    me = await http.get("/api/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 401 and 'error="invalid_token"' in me.headers["www-authenticate"]
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    r = await http.post("/oauth/token", data=refresh, auth=client_auth(reg))
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    intro = await http.post(
        "/oauth/introspect", data={"token": tokens["access_token"]}, auth=client_auth(reg)
    )
    assert intro.json() == {"active": False}
    home = await http.get("/")
    assert home.status_code in (302, 303) and "/login" in home.headers["location"]
    again = await http.post(
        "/oauth/token",
        data={"grant_type": "password", "username": alice.email, "password": "correct horse"},
        auth=client_auth(reg),
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    page = await browser.login()
    assert page.status_code == 400 and "not correct" in page.text
    await services.audit.flush()
    failed = (await services.audit.page(AuditQuery(event="sign_in.failed"))).events[0]
    assert failed.details["reason"] == "disabled"

    # Enabled again: the user signs in, but nothing revoked comes back.
    await services.user_admin.enable(alice, actor=OPERATOR)
    assert (await http.get("/api/me", headers=bearer(tokens["access_token"]))).status_code == 401
    assert (await password_tokens(http, reg))["access_token"]


async def test_a_disabled_users_token_is_refused_even_if_its_revocation_was_missed(
    http: httpx.AsyncClient, services: Services, make: Factory, settings: object
) -> None:
    """A token minted after the revocation ran (a racing refresh) is refused at the check."""
    alice = await make.user()
    reg = await make.client(grant_types=["password"])
    await services.user_admin.disable(alice, actor=OPERATOR)
    await services.user_admin.enable(alice, actor=OPERATOR)
    tokens = await password_tokens(http, reg)
    # Disabled behind the server's back: the flag only, no revocation.
    db = await open_database(settings.database_url)  # type: ignore[attr-defined]
    try:
        await db.execute("UPDATE users SET is_active = $1 WHERE id = $2", False, alice.id)
    finally:
        await db.close()
    await services.invalidation.changed()
    assert (await http.get("/api/me", headers=bearer(tokens["access_token"]))).status_code == 401
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    r = await http.post("/oauth/token", data=refresh, auth=client_auth(reg))
    assert r.status_code == 400


async def test_disabling_deletes_codes_not_yet_redeemed(
    http: httpx.AsyncClient, browser: Browser, services: Services, make: Factory
) -> None:
    alice = await make.user()
    reg = await make.client(grant_types=["authorization_code"], redirect_uris=[CB])
    verifier = "v" * 43
    challenge = "7w_YNF9DSfIdPf_pRjSq646_kPr-2-o9NAl16JGghdM"  # S256 of 43 v's
    code = await browser.code_for(
        response_type="code",
        client_id=reg.client.client_id,
        redirect_uri=CB,
        state="s",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    revoked = await services.user_admin.disable(alice, actor=OPERATOR)
    assert revoked.codes == 1
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CB,
        "code_verifier": verifier,
    }
    r = await http.post("/oauth/token", data=form, auth=client_auth(reg))
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


async def test_deleting_a_user_takes_what_they_hold(
    http: httpx.AsyncClient, browser: Browser, services: Services, make: Factory
) -> None:
    alice = await make.user()
    reg = await make.client(grant_types=["password", "authorization_code"], redirect_uris=[CB])
    tokens = await password_tokens(http, reg)
    await browser.code_for(
        response_type="code",
        client_id=reg.client.client_id,
        redirect_uri=CB,
        state="s",
        code_challenge="7w_YNF9DSfIdPf_pRjSq646_kPr-2-o9NAl16JGghdM",
        code_challenge_method="S256",
    )
    before = await services.user_admin.holdings(alice)
    assert before.consents == 1 and before.sessions == 1 and before.access_tokens == 1
    held, deleted = await services.user_admin.delete(alice, actor=OPERATOR)
    assert deleted == [] and held.consents == 1
    assert await services.users.by_id(alice.id) is None
    assert (await http.get("/api/me", headers=bearer(tokens["access_token"]))).status_code == 401
    assert (await http.get("/")).status_code in (302, 303)
    # The e-mail address is free again, and the new account inherits nothing.
    again = await make.user()
    assert (await services.user_admin.holdings(again)).consents == 0


async def test_a_disabled_users_token_cannot_be_exchanged(
    http: httpx.AsyncClient, services: Services, make: Factory, settings: object
) -> None:
    from authgate.domain import TOKEN_EXCHANGE
    from tests.web.oidc_support import space_with_member

    alice = await make.user()
    reg = await make.client(grant_types=["password", "token-exchange"])
    await space_with_member(services, alice.id)
    tokens = await password_tokens(http, reg)
    form = {
        "grant_type": TOKEN_EXCHANGE,
        "subject_token": tokens["access_token"],
        "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
        "audience": "acme",
    }
    assert (await http.post("/oauth/token", data=form, auth=client_auth(reg))).is_success
    db = await open_database(settings.database_url)  # type: ignore[attr-defined]
    try:  # the flag alone, as if the revocation had raced with this request
        await db.execute("UPDATE users SET is_active = $1 WHERE id = $2", False, alice.id)
    finally:
        await db.close()
    await services.invalidation.changed()
    refused = await http.post("/oauth/token", data=form, auth=client_auth(reg))
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_request"
