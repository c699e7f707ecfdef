"""The account page (``/account``) through HTTP, on SQLite and PostgreSQL: connected apps
(revoking one ends its consent, refresh and access tokens at once), the profile, the
e-mail address and the password (RFC 9700 §4.14.2: a new one ends the other sessions and
the refresh tokens), and signing out."""

from __future__ import annotations

import asyncio
import html
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from authgate.domain import Membership, User
from authgate.services import Services
from tests.conftest import Factory
from tests.web.flow import Browser, hidden_inputs, query_of
from tests.web.portal_support import field_errors, form_fields, input_value

CB = "https://app.example.com/callback"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"token_cache_seconds": 0}


@pytest.fixture
async def browser(http: httpx.AsyncClient, alice: User) -> Browser:
    signed_in = Browser(http)
    r = await signed_in.login()
    assert r.status_code == 303
    return signed_in


async def post(http: httpx.AsyncClient, action: str, **data: Any) -> httpx.Response:
    page = await http.get("/account")
    assert page.status_code == 200, page.text
    return await http.post(action, data={**form_fields(page.text, action), **data})


async def web_app(make: Factory, **options: Any) -> Any:
    return await make.client(
        name=options.pop("name", "Acme Notes"),
        grant_types=["authorization_code"],
        redirect_uris=[CB],
        scopes=["read", "write"],
        **options,
    )


async def authorized(
    browser: Browser, reg: Any, scope: str = "read", prefix: str = ""
) -> dict[str, Any]:
    """Run the code flow (consenting) and return the token response."""
    flow = Browser(browser.http, prefix=prefix)
    code = await flow.code_for(
        response_type="code",
        client_id=reg.client.client_id,
        redirect_uri=CB,
        scope=scope,
        state="s",
    )
    r = await browser.http.post(
        prefix + "/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": CB},
        auth=(reg.client.client_id, reg.client_secret),
    )
    assert r.status_code == 200, r.text
    tokens: dict[str, Any] = r.json()
    return tokens


async def test_signed_out_people_are_sent_to_sign_in(http: httpx.AsyncClient) -> None:
    r = await http.get("/account")
    assert r.status_code == 303 and query_of(r.headers["location"])["next"] == "/account"
    r = await http.post("/account/password", data={})
    assert r.status_code == 303 and r.headers["location"].startswith("/login?")


async def test_the_account_page_is_the_root_issuers_only(
    http: httpx.AsyncClient, services: Services, alice: User
) -> None:
    await services.spaces.create("acme", "Acme", (), services.minter.now())
    assert (await http.get("/spaces/acme/account")).status_code == 404


# ---------------------------------------------------------------------------- connected apps


async def test_connected_apps_list_what_each_app_holds(
    browser: Browser, make: Factory, services: Services, alice: User
) -> None:
    notes = await web_app(make, logo_url="https://cdn.example.com/n.png")
    await authorized(browser, notes, "read write")
    bot = await make.client(name="Pass Bot", grant_types=["password"], scopes=["read"])
    r = await browser.http.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "username": "alice@example.com",
            "password": "correct horse",
            "scope": "read",
        },
        auth=(bot.client.client_id, bot.client_secret),
    )
    assert r.status_code == 200
    await make.client(name="Own Tool", owner_email="alice@example.com")  # a test token only
    page = await browser.http.get("/account")
    text = html.unescape(page.text)
    assert "Acme Notes" in text and "Pass Bot" in text
    assert "Own Tool" not in text  # an owner's test token is the developer's, not a grant
    assert "Read your profile and the data you can see" in text
    assert "Create and change data on your behalf" in text
    assert "On your account · authorized <time" in text
    assert '· last used <time datetime="' in text and '">just now</time>' in text
    assert 'src="https://cdn.example.com/n.png"' in page.text
    assert "https://cdn.example.com" in page.headers["content-security-policy"]


async def test_revoking_an_app_ends_consent_refresh_and_access_tokens_at_once(
    browser: Browser, make: Factory
) -> None:
    notes = await web_app(make)
    tokens = await authorized(browser, notes)
    other = await authorized(browser, await web_app(make, name="Other App"))
    api = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await browser.http.get("/api/me", headers=api)).status_code == 200
    r = await post(browser.http, f"/account/apps/{notes.client.client_id}/revoke")
    assert (r.status_code, r.headers["location"]) == (303, "/account#apps")
    page = await browser.http.get("/account")
    assert "Acme Notes can no longer use your account." in page.text
    assert "Acme Notes</h3>" not in page.text and "Other App</h3>" in page.text
    assert (await browser.http.get("/api/me", headers=api)).status_code == 401
    refreshed = await browser.http.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(notes.client.client_id, notes.client_secret),
    )
    assert refreshed.json()["error"] == "invalid_grant"
    again = await browser.authorize(
        response_type="code", client_id=notes.client.client_id, redirect_uri=CB, scope="read"
    )
    assert again.status_code == 200 and "wants to access your account" in again.text
    still = {"Authorization": f"Bearer {other['access_token']}"}
    assert (await browser.http.get("/api/me", headers=still)).status_code == 200
    csrf = form_fields((await browser.http.get("/account")).text, "/account/profile")
    twice = await browser.http.post(f"/account/apps/{notes.client.client_id}/revoke", data=csrf)
    assert twice.status_code == 303  # sent twice: nothing more to do
    gone = await browser.http.post("/account/apps/no-such-app/revoke", data=csrf)
    page = await browser.http.get(gone.headers["location"])
    assert "That app is gone already." in page.text


async def test_an_apps_grant_in_a_space_says_which_space(
    browser: Browser, make: Factory, services: Services, alice: User
) -> None:
    space = await services.spaces.create("acme", "Acme Coworking", (), services.minter.now())
    await services.spaces.add_member(
        Membership(space.id, alice.id, "member", None, None, None, services.minter.now())
    )
    notes = await web_app(make)
    space_browser = Browser(browser.http, prefix="/spaces/acme")
    assert (await space_browser.login()).status_code == 303
    await authorized(browser, notes, prefix="/spaces/acme")
    page = await browser.http.get("/account")
    assert "In the space <strong>Acme Coworking</strong>" in page.text


# ---------------------------------------------------------------------------- profile


async def test_the_profile_is_saved_and_bad_fields_keep_what_was_typed(
    browser: Browser, services: Services, alice: User, make: Factory
) -> None:
    r = await post(
        browser.http,
        "/account/profile",
        name="Alice Liddell",
        picture="https://img.example.com/alice.png",
        phone_number="+44 20 7946 0000",
    )
    assert r.status_code == 303
    page = await browser.http.get("/account")
    assert "Your profile was saved." in page.text
    assert 'src="https://img.example.com/alice.png"' in page.text
    assert "img-src 'self' data: https://img.example.com" in page.headers["content-security-policy"]
    user = await services.users.by_id(alice.id)
    assert user is not None
    assert (user.name, user.picture, user.phone_number) == (
        "Alice Liddell",
        "https://img.example.com/alice.png",
        "+44 20 7946 0000",
    )
    r = await post(
        browser.http,
        "/account/profile",
        name="n" * 201,
        picture="http://img.example.com/a.png",
        phone_number="call me",
    )
    assert r.status_code == 400
    errors = field_errors(r.text)
    assert set(errors) == {"name", "picture", "phone_number"}
    assert "https://" in errors["picture"] and "'+' then digits" in errors["phone_number"]
    assert input_value(r.text, "name") == "n" * 201
    assert input_value(r.text, "phone_number") == "call me"
    tokens = await authorized(browser, await web_app(make), "openid profile phone")
    claims = await browser.http.get(
        "/oauth/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert (claims.json()["picture"], claims.json()["phone_number"]) == (
        "https://img.example.com/alice.png",
        "+44 20 7946 0000",
    )  # OpenID Connect Core §5.4, on the root issuer
    r = await post(browser.http, "/account/profile", name="", picture="", phone_number="")
    user = await services.users.by_id(alice.id)
    assert user is not None and (user.name, user.picture, user.phone_number) == ("", None, None)


async def test_changing_the_email_needs_the_password(
    browser: Browser, make: Factory, services: Services, alice: User
) -> None:
    await make.user("bob@example.com")
    r = await post(browser.http, "/account/email", email="a@new.example", email_password="no")
    assert r.status_code == 400
    assert field_errors(r.text) == {"email_password": "The password is not correct."}
    assert input_value(r.text, "email") == "a@new.example"
    assert input_value(r.text, "email_password") == ""  # never typed back
    r = await post(
        browser.http, "/account/email", email="BOB@example.com", email_password="correct horse"
    )
    assert field_errors(r.text) == {"email": "Another account uses this e-mail address."}
    r = await post(browser.http, "/account/email", email="nope", email_password="x")
    assert "is not an e-mail address" in field_errors(r.text)["email"]
    r = await post(
        browser.http, "/account/email", email="Alice@New.Example", email_password="correct horse"
    )
    assert r.status_code == 303
    page = await browser.http.get("/account")
    assert "You now sign in with alice@new.example." in page.text
    fresh = Browser(
        httpx.AsyncClient(transport=browser.http._transport, base_url="http://testserver")
    )
    async with fresh.http:
        assert (await fresh.login(email="alice@new.example")).status_code == 303


# ---------------------------------------------------------------------------- password


async def test_a_new_password_ends_other_sessions_and_refresh_tokens(
    browser: Browser, make: Factory, app: Starlette
) -> None:
    notes = await web_app(make)
    tokens = await authorized(browser, notes)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        assert (await Browser(other).login()).status_code == 303
        assert (await other.get("/account")).status_code == 200
        for bad, field, says in [
            ({"current_password": "wrong"}, "current_password", "not correct"),
            ({"new_password": "short", "confirm_password": "short"}, "new_password", "8 to"),
            ({"new_password": " " * 10, "confirm_password": " " * 10}, "new_password", "spaces"),
            ({"confirm_password": "something else"}, "confirm_password", "not the same"),
        ]:
            data = {
                "current_password": "correct horse",
                "new_password": "battery staple",
                "confirm_password": "battery staple",
                **bad,
            }
            r = await post(browser.http, "/account/password", **data)
            assert r.status_code == 400, bad
            assert says in field_errors(r.text)[field], field_errors(r.text)
            for name in ("current_password", "new_password", "confirm_password"):
                assert input_value(r.text, name) == ""
        page = await browser.http.get("/account")
        form = form_fields(page.text, "/account/password")
        data = {
            **form,
            "current_password": "correct horse",
            "new_password": "battery staple",
            "confirm_password": "battery staple",
        }
        # Sent twice at once: the second finds the password changed already.
        first, second = await asyncio.gather(
            browser.http.post("/account/password", data=data),
            browser.http.post("/account/password", data=data),
        )
        assert first.status_code == second.status_code == 303
        page = await browser.http.get("/account")
        assert "Your password was changed." in page.text
        gone = await other.get("/account")
        assert gone.status_code == 303  # the other session ended
    refreshed = await browser.http.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(notes.client.client_id, notes.client_secret),
    )
    assert refreshed.json()["error"] == "invalid_grant"
    browser.http.cookies.clear()
    r = await browser.login(password="battery staple")
    assert r.status_code == 303
    r = await browser.login(password="correct horse")
    assert r.status_code == 400


async def test_signing_out_says_so(browser: Browser) -> None:
    page = await browser.http.get("/account")
    r = await browser.http.post("/logout", data=form_fields(page.text, "/logout"))
    assert (r.status_code, r.headers["location"]) == (303, "/login?signed_out=1")
    login = await browser.http.get(r.headers["location"])
    assert '<p class="notice" role="status">You are signed out.</p>' in login.text
    assert (await browser.http.get("/account")).status_code == 303


# ---------------------------------------------------------------------------- hostile


async def test_forged_forms_change_nothing(
    browser: Browser, services: Services, alice: User
) -> None:
    for action in ("/account/profile", "/account/password", "/account/email"):
        r = await browser.http.post(action, data={"csrf_token": "forged", "name": "Mallory"})
        assert r.status_code == 403
    page = await browser.http.get("/")
    r = await browser.http.post(  # the logout form's token is not the account page's
        "/account/profile", data={**hidden_inputs(page.text), "name": "Mallory"}
    )
    assert r.status_code == 403
    user = await services.users.by_id(alice.id)
    assert user is not None and user.name == "Alice"


@pytest.mark.parametrize(
    "body",
    [
        b"name=" + b"x" * 70_000,
        b"name=%ff",
        b"name=a&name=b",
        b"csrf_token=a&csrf_token=b",
        "name=caf\u00e9".encode(),
        b"&".join([b"a=b"] * 500),
    ],
    ids=["huge", "not-utf-8", "duplicated", "duplicated-csrf", "raw-non-ascii", "too-many"],
)
@pytest.mark.parametrize(
    "action",
    ["/account/profile", "/account/email", "/account/password", "/account/apps/x/revoke"],
)
async def test_hostile_bodies_never_give_a_500(browser: Browser, body: bytes, action: str) -> None:
    r = await browser.http.post(
        action, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code in (400, 403), r.text[:300]


async def test_hostile_values_in_valid_forms(
    browser: Browser, services: Services, alice: User
) -> None:
    r = await post(
        browser.http,
        "/account/profile",
        name="a\x00b",
        picture="https://img.example.com/\x00",
        phone_number="+1\x00",
    )
    assert r.status_code == 400 and set(field_errors(r.text)) == {"name", "picture", "phone_number"}
    r = await post(browser.http, "/account/email", email="a\x00@x.y", email_password="x" * 5000)
    assert r.status_code == 400
    r = await post(
        browser.http,
        "/account/password",
        current_password="\x00" * 2000,
        new_password="ünïcødé pässwörd",
        confirm_password="ünïcødé pässwörd",
    )
    assert r.status_code == 400 and "current_password" in field_errors(r.text)
    csrf = form_fields((await browser.http.get("/account")).text, "/account/profile")
    r = await browser.http.post(f"/account/apps/{'x' * 5000}/revoke", data=csrf)
    assert r.status_code == 303
