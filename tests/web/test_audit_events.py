"""Security-relevant events over HTTP reach the audit log, with the actor and its address,
and never a token, code, secret or password; token issue itself is not an event."""

from __future__ import annotations

from typing import Any

import httpx

from authgate.audit.events import AuditEvent, AuditQuery
from authgate.services import Services
from authgate.storage.sql.driver import open_database
from tests.conftest import Factory
from tests.web.flow import Browser
from tests.web.token_support import client_auth, password_tokens

CB = "https://app.example.com/cb"


async def events(services: Services, **query: Any) -> list[AuditEvent]:
    await services.audit.flush()
    return (await services.audit.page(AuditQuery(**query))).events


async def test_sign_in_success_and_failures_name_the_account_and_address(
    http: httpx.AsyncClient, browser: Browser, services: Services, make: Factory
) -> None:
    await make.user()
    await browser.login(password="wrong password")
    await browser.login(email="nobody@example.com")
    await browser.login(email="correct horse battery")  # a password in the e-mail field
    ok = await browser.login()
    assert ok.status_code in (302, 303)
    found = await events(services, event="sign_in")
    assert [(e.event, e.target, e.details.get("reason")) for e in found] == [
        ("sign_in.succeeded", "alice@example.com", None),
        ("sign_in.failed", "[not an e-mail address]", "unknown_user"),
        ("sign_in.failed", "nobody@example.com", "unknown_user"),
        ("sign_in.failed", "alice@example.com", "wrong_password"),
    ]
    for e in found:
        assert e.actor.type == "user" and e.actor.address == "127.0.0.1"
        assert e.details["via"] == "sign_in_page"


async def test_password_grant_sign_ins_are_audited_but_token_issue_is_not(
    http: httpx.AsyncClient, services: Services, make: Factory
) -> None:
    await make.user()
    reg = await make.client(grant_types=["password", "client_credentials"])
    await password_tokens(http, reg)
    wrong = await http.post(
        "/oauth/token",
        data={"grant_type": "password", "username": "alice@example.com", "password": "nope"},
        auth=client_auth(reg),
    )
    assert wrong.status_code == 400
    for _ in range(3):
        r = await http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=client_auth(reg)
        )
        assert r.status_code == 200
    found = await events(services)
    assert [e.event for e in found] == [
        "sign_in.failed",
        "sign_in.succeeded",
        "client.created",
        "key.created",
    ]
    assert found[0].details == {
        "via": "password_grant",
        "client_id": reg.client.client_id,
        "reason": "wrong_password",
    }


async def test_throttled_sign_ins_are_audited(
    http: httpx.AsyncClient, services: Services, make: Factory, browser: Browser
) -> None:
    await make.user()
    for _ in range(6):  # password_max_failures is 5
        await browser.login(password="wrong password")
    last = (await events(services, event="sign_in.failed", limit=1))[0]
    assert last.details["reason"] == "throttled" and last.details["budget"] == "account"


async def test_consent_is_audited_with_its_scopes(
    http: httpx.AsyncClient, browser: Browser, services: Services, make: Factory
) -> None:
    await make.user()
    reg = await make.client(grant_types=["authorization_code"], redirect_uris=[CB])
    await browser.code_for(
        response_type="code",
        client_id=reg.client.client_id,
        redirect_uri=CB,
        scope="read",
        state="s",
        code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        code_challenge_method="S256",
    )
    (consent,) = await events(services, event="consent")
    assert consent.actor.name == "alice@example.com" and consent.actor.address == "127.0.0.1"
    assert consent.target == reg.client.client_id and consent.details["scope"] == "read"


async def test_refresh_token_reuse_is_audited(
    http: httpx.AsyncClient, services: Services, make: Factory
) -> None:
    await make.user()
    reg = await make.client(grant_types=["password"])
    first = await password_tokens(http, reg)
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    assert (await http.post("/oauth/token", data=refresh, auth=client_auth(reg))).is_success
    reuse = await http.post("/oauth/token", data=refresh, auth=client_auth(reg))
    assert reuse.status_code == 400
    (reused,) = await events(services, event="token.reuse_detected")
    assert reused.actor.type == "client" and reused.actor.name == reg.client.client_id
    assert reused.details["kind"] == "refresh_token" and reused.details["revoked"] >= 2
    assert reused.target_type == "token_family"


async def test_authorization_code_replay_is_audited(
    http: httpx.AsyncClient, browser: Browser, services: Services, make: Factory
) -> None:
    await make.user()
    reg = await make.client(grant_types=["authorization_code"], redirect_uris=[CB])
    verifier = "v" * 43
    import base64
    import hashlib

    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    code = await browser.code_for(
        response_type="code",
        client_id=reg.client.client_id,
        redirect_uri=CB,
        state="s",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CB,
        "code_verifier": verifier,
    }
    assert (await http.post("/oauth/token", data=form, auth=client_auth(reg))).is_success
    assert (await http.post("/oauth/token", data=form, auth=client_auth(reg))).status_code == 400
    (replayed,) = await events(services, event="token.reuse_detected")
    assert replayed.details["kind"] == "authorization_code"


async def test_no_credential_reaches_the_audit_table(
    http: httpx.AsyncClient, browser: Browser, services: Services, make: Factory, settings: Any
) -> None:
    """Every event this flow causes, read back raw: no password, secret, token or code."""
    await make.user(password="correct horse")
    reg = await make.client(grant_types=["password", "authorization_code"], redirect_uris=[CB])
    issued = await password_tokens(http, reg)
    refresh = {"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]}
    await http.post("/oauth/token", data=refresh, auth=client_auth(reg))
    await http.post("/oauth/token", data=refresh, auth=client_auth(reg))  # reuse
    await browser.login(password="wrong but long password")
    code = await browser.code_for(
        response_type="code",
        client_id=reg.client.client_id,
        redirect_uri=CB,
        state="s",
        code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        code_challenge_method="S256",
    )
    secret = await services.registry.rotate_secret(reg.client.client_id)
    await services.audit.flush()
    db = await open_database(settings.database_url)
    try:
        rows = await db.fetch("SELECT * FROM audit_events")
    finally:
        await db.close()
    text = repr([dict(r) for r in rows])
    assert len(rows) >= 6
    for value in (
        "correct horse",
        "wrong but long password",
        reg.client_secret,
        secret,
        issued["access_token"],
        issued["refresh_token"],
        issued["refresh_token"].split(".")[1],
        code,
        code.split(".")[1],
    ):
        assert value and value not in text, value
