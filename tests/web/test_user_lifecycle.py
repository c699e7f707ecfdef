"""A disabled user cannot sign in (page or password grant), and their tokens and sessions stop
working at once: revoked when disabled, and refused at each check. Deleting a user takes
what they hold with them."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from authgate.audit.events import Actor, AuditQuery
from authgate.domain import User, UserId
from authgate.protocol.registration import Registered
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


async def test_refreshes_racing_a_disable_leave_nothing_usable(
    http: httpx.AsyncClient, services: Services, make: Factory
) -> None:
    """Twelve refreshes sent at once with the disabling: whichever of them the revocation
    ran before or after, no access or refresh token of the user works afterwards."""
    alice = await make.user()
    reg = await make.client(grant_types=["password"])
    families = [await password_tokens(http, reg) for _ in range(12)]
    answers, _ = await asyncio.gather(
        asyncio.gather(*(_refresh(http, reg, t) for t in families)),
        services.user_admin.disable(alice, actor=OPERATOR),
    )
    assert all(r.status_code in (200, 400) for r in answers)
    issued = [r.json() for r in answers if r.status_code == 200]
    await _assert_all_dead(http, reg, families + issued)


async def test_a_refresh_that_checked_the_user_before_the_disabling_mints_dead_tokens(
    http: httpx.AsyncClient, services: Services, make: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refresh read the user as active, then the disabling committed before the
    refresh wrote its new pair: the rotation is conditional on the old token being live,
    so it writes nothing, and the answer is the reuse answer (the family is revoked)."""
    alice = await make.user()
    reg = await make.client(grant_types=["password"])
    tokens = await password_tokens(http, reg)
    users = services.users
    read = users.by_id
    disabled: list[int] = []

    async def read_then_disable(user_id: UserId) -> User | None:
        user = await read(user_id)
        if not disabled:
            disabled.append(1)
            monkeypatch.setattr(users, "by_id", read)
            await services.user_admin.disable(alice, actor=OPERATOR)
        return user

    monkeypatch.setattr(users, "by_id", read_then_disable)
    r = await _refresh(http, reg, tokens)
    assert disabled, "the refresh grant no longer reads the user"
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    await _assert_all_dead(http, reg, [tokens])
    assert (await services.user_admin.holdings(alice)).refresh_tokens == 0


async def _refresh(
    http: httpx.AsyncClient, reg: Registered, tokens: dict[str, str]
) -> httpx.Response:
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    return await http.post("/oauth/token", data=form, auth=client_auth(reg))


async def _assert_all_dead(
    http: httpx.AsyncClient, reg: Registered, pairs: list[dict[str, str]]
) -> None:
    for tokens in pairs:
        me = await http.get("/api/me", headers=bearer(tokens["access_token"]))
        assert me.status_code == 401, tokens
        again = await _refresh(http, reg, tokens)
        assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
