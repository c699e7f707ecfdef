"""Issue 8: column widths and types fit every value they hold, on both databases.

PostgreSQL enforces ``VARCHAR(n)`` and 32-bit ``INTEGER`` (and refuses NUL in any text);
SQLite stores whatever it is given. So each limit is driven through the real entry
points (the CLI, registration, the authorization and token endpoints, the demo API's
write) on SQLite and PostgreSQL: the longest value is stored and read back, one more is
refused with a clear error (a one-line CLI error with exit code 1, or the RFC's
``invalid_request``), never a traceback, a 500 or the database's own error.

:data:`WIDTHS` names every ``String(n)`` and ``Integer`` column with the width it has;
the first test fails when a column is added or resized without a test here.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import BigInteger, Integer, String

from authgate.crypto.tokens import parse_token
from authgate.domain import GRANT_TYPES, TOKEN_EXCHANGE, TokenId, User
from authgate.protocol.registration import MAX_LIFETIME, RegistrationError
from authgate.services import Services
from authgate.settings import Settings
from authgate.storage.sql.tables import metadata
from tests.conftest import Factory
from tests.test_cli import SECRET_KEY, Cli, Outcome, make_cli, ok
from tests.web.flow import Browser, query_of
from tests.web.oidc_support import space_with_member, verify_id_token
from tests.web.token_support import client_auth, password_tokens

#: (table, column) → the width this module tests (``None``: a 32-bit integer)
WIDTHS: dict[tuple[str, str], int | None] = {
    ("users", "email"): 320,
    ("users", "name"): 200,
    ("users", "subject"): 36,
    ("users", "phone_number"): 32,
    ("clients", "client_id"): 100,
    ("clients", "name"): 200,
    ("clients", "token_lifetime"): None,
    ("clients", "refresh_policy"): 20,
    ("clients", "access_token_format"): 10,
    ("access_tokens", "grant_type"): 64,
    ("authorization_codes", "code_challenge"): 128,
    ("authorization_codes", "code_challenge_method"): 10,
    ("signing_keys", "kid"): 64,
    ("signing_keys", "alg"): 16,
    ("spaces", "slug"): 63,
    ("spaces", "name"): 200,
    ("space_domains", "domain"): 253,
    ("memberships", "role"): 16,
    ("memberships", "name"): 200,
    ("memberships", "phone_number"): 32,
    ("audit_events", "event"): 40,
    ("audit_events", "actor_type"): 16,
    ("audit_events", "target_type"): 16,
    ("client_registrations", "auth_method"): 32,
}
SCOPES = {"read": "Read", "write": "Write", "admin": "Administer your spaces"}
CB = "https://app.example.com/callback"


def test_every_bounded_column_is_tested_here() -> None:
    found: dict[tuple[str, str], int | None] = {}
    for table in metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, String) and column.type.length is not None:
                found[(table.name, column.name)] = column.type.length
            elif isinstance(column.type, Integer) and not isinstance(column.type, BigInteger):
                found[(table.name, column.name)] = None
    assert found == WIDTHS


# ---------------------------------------------------------------------------- the CLI


@pytest.fixture
def cli(database_url: str) -> Cli:
    return make_cli({"AUTHGATE_DATABASE_URL": database_url, "AUTHGATE_SECRET_KEY": SECRET_KEY})


def refused(outcome: Outcome, says: str) -> None:
    """Exit code 1 and one readable line (make_cli already fails on any traceback)."""
    assert outcome.exit_code == 1, (outcome.stdout, outcome.stderr)
    message = outcome.error
    assert "\n" not in message and "database" not in message, message
    assert says in message, message


def email_of(length: int, tail: str = "@example.com") -> str:
    return "u" * (length - len(tail)) + tail


def user(cli: Cli, email: str, *extra: str) -> Outcome:
    return cli("user", "create", "--email", email, "--password", "long enough", *extra, "--json")


def test_user_email_and_name(cli: Cli) -> None:
    longest = email_of(320)
    created = ok(user(cli, longest.upper(), "--name", "n" * 200))
    assert (created["email"], created["name"]) == (longest, "n" * 200)
    refused(user(cli, email_of(321)), "is not an e-mail address")
    refused(user(cli, email_of(201), "--name", "n" * 201), "at most 200 characters")
    # Stored lowercased: "İ" becomes two characters, so 320 of them would not fit.
    refused(user(cli, "İ" * 300 + email_of(20)), "is not an e-mail address")
    ok(cli("space", "create", "--slug", "acme", "--name", "Acme", "--json"))
    member = ok(cli("space", "add-member", "--space", "acme", "--email", longest, "--json"))
    assert member["email"] == longest


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--email", "\udcff@example.com", "is not an e-mail address"),
        ("--email", "a\x00@example.com", "is not an e-mail address"),
        ("--name", "caf\udce9", "UTF-8"),
        ("--name", "a\x00b", "NUL"),
        ("--password", "long \udcff enough", "UTF-8"),
    ],
)
def test_user_text_the_databases_cannot_store(cli: Cli, option: str, value: str, says: str) -> None:
    """Bytes that are not UTF-8 in an argument reach Python as lone surrogates."""
    args = {"--email": "bo@example.com", "--name": "Bo", "--password": "long enough"}
    args[option] = value
    refused(cli("user", "create", *(x for pair in args.items() for x in pair)), says)


def client(cli: Cli, *args: str) -> Outcome:
    return cli("client", "create", "--grant", "client_credentials", *args, "--json")


def test_client_name_and_id(cli: Cli) -> None:
    created = ok(client(cli, "--name", "n" * 200))
    client_id = created["client_id"]
    assert len(client_id) <= 100
    assert ok(cli("client", "show", client_id, "--json"))["name"] == "n" * 200
    refused(client(cli, "--name", "n" * 201), "1 to 200 characters")
    refused(client(cli, "--name", "caf\udce9"), "UTF-8")
    refused(client(cli, "--name", "a\x00b"), "NUL")
    updated = ok(cli("client", "update", client_id, "--name", "m" * 200, "--json"))
    assert updated["name"] == "m" * 200
    refused(cli("client", "update", client_id, "--name", "m" * 201), "1 to 200 characters")
    refused(cli("client", "update", client_id, "--name", "\udcff"), "UTF-8")
    for command in ("show", "delete", "rotate-secret"):
        for other in ("x" * 101, "a\x00b", "\udcff"):
            refused(cli("client", command, other), "no client with id")


def test_client_token_lifetime_fits_a_32_bit_integer(cli: Cli) -> None:
    assert MAX_LIFETIME < 2**31
    created = ok(client(cli, "--name", "App", "--token-lifetime", str(MAX_LIFETIME)))
    assert created["token_lifetime"] == MAX_LIFETIME
    client_id = created["client_id"]
    assert ok(cli("client", "show", client_id, "--json"))["token_lifetime"] == MAX_LIFETIME
    for too_long in (MAX_LIFETIME + 1, 2**31, 2**63, 10**30):
        refused(client(cli, "--name", "App", "--token-lifetime", str(too_long)), "10 years")
        refused(cli("client", "update", client_id, "--token-lifetime", str(too_long)), "10 years")
    ok(cli("client", "update", client_id, "--token-lifetime", "1", "--json"))


async def test_registration_refuses_a_lifetime_its_column_cannot_hold(make: Factory) -> None:
    """The rule is the registry's, not only the CLI's parsing."""
    reg = await make.client(token_lifetime=MAX_LIFETIME)
    assert reg.client.token_lifetime == MAX_LIFETIME
    for too_long in (MAX_LIFETIME + 1, 2**31, -1):
        with pytest.raises(RegistrationError, match="10 years"):
            await make.client(token_lifetime=too_long)
        with pytest.raises(RegistrationError, match="10 years"):
            await make.services.registry.update(reg.client.client_id, token_lifetime=too_long)


def test_client_refresh_policy_and_token_format(cli: Cli) -> None:
    created = ok(client(cli, "--name", "App", "--access-token-format", "opaque"))
    client_id = created["client_id"]
    assert created["access_token_format"] == "opaque"
    shown = ok(cli("client", "update", client_id, "--refresh-policy", "none", "--json"))
    assert shown["refresh_policy"] == "none"
    refused(cli("client", "update", client_id, "--refresh-policy", "r" * 21), "--refresh-policy")
    refused(client(cli, "--name", "App", "--access-token-format", "o" * 11), "must be")
    refused(cli("client", "update", client_id, "--access-token-format", "o" * 11), "must be")


def test_client_redirect_uris(cli: Cli) -> None:
    longest = "https://app.example.com/" + "p" * (2000 - 24)
    created = ok(cli("client", "create", "--name", "App", "--redirect-uri", longest, "--json"))
    assert created["redirect_uris"] == [longest]
    refused(cli("client", "create", "--name", "App", "--redirect-uri", longest + "p"), "too long")
    refused(cli("client", "create", "--name", "App", "--redirect-uri", CB + "\udcff"), "UTF-8")


def test_client_owner_that_no_row_can_hold(cli: Cli) -> None:
    for owner in ("a\x00@example.com", "\udcff@example.com", email_of(400)):
        refused(client(cli, "--name", "App", "--owner", owner), "no user with e-mail")


def test_space_slug_name_and_domains(cli: Cli) -> None:
    slug = "s" * 63
    domain = ".".join(["d" * 63] * 3 + ["e" * 61])  # 253 characters
    with_port = ".".join(["d" * 63] * 3 + ["e" * 56]) + ":8443"  # 253, port included
    created = ok(
        cli(
            "space",
            "create",
            *("--slug", slug, "--name", "n" * 200),
            *("--domain", domain, "--domain", with_port, "--json"),
        )
    )
    assert (created["slug"], created["name"]) == (slug, "n" * 200)
    shown = ok(cli("space", "show", slug, "--json"))
    assert sorted(shown["domains"]) == sorted([domain, with_port])
    refused(cli("space", "create", "--slug", "s" * 64, "--name", "N"), "1 to 63")
    refused(cli("space", "create", "--slug", "t", "--name", "n" * 201), "at most 200")
    refused(cli("space", "create", "--slug", "t", "--name", "caf\udce9"), "UTF-8")
    refused(cli("space", "create", "--slug", "t", "--name", "N", "--domain", "e" + domain), "host")
    refused(
        cli("space", "create", "--slug", "t", "--name", "N", "--domain", with_port + "3"), "host"
    )
    refused(cli("space", "show", "a\x00b"), "no space with slug")


def test_member_role_name_phone_and_picture(cli: Cli) -> None:
    ok(cli("space", "create", "--slug", "acme", "--name", "Acme", "--json"))
    ok(user(cli, "alice@example.com"))
    picture = "https://img.example.com/" + "p" * (2000 - 24)
    args = ("--space", "acme", "--email", "alice@example.com")
    added = ok(
        cli(
            "space",
            "add-member",
            *args,
            *("--role", "admin", "--name", "n" * 200),
            *("--phone", "+" + "1" * 31, "--picture", picture, "--json"),
        )
    )
    assert (added["role"], added["name"], added["phone_number"], added["picture"]) == (
        "admin",
        "n" * 200,
        "+" + "1" * 31,
        picture,
    )
    member = ok(cli("space", "show", "acme", "--json"))["members"][0]
    assert (member["name"], member["phone_number"], member["picture"]) == (
        "n" * 200,
        "+" + "1" * 31,
        picture,
    )
    refused(cli("space", "add-member", *args, "--role", "r" * 17), "--role")
    refused(cli("space", "add-member", *args, "--name", "n" * 201), "at most 200")
    refused(cli("space", "add-member", *args, "--name", "\udcff"), "UTF-8")
    refused(cli("space", "add-member", *args, "--phone", "+" + "1" * 32), "at most 32")
    refused(cli("space", "add-member", *args, "--picture", picture + "p"), "at most 2000")
    refused(cli("space", "add-member", *args, "--picture", picture + "\udcff"), "https:// URL")
    for email in ("a\x00@example.com", "\udcff@example.com"):
        refused(cli("space", "add-member", "--space", "acme", "--email", email), "no user")
        refused(cli("space", "remove-member", "--space", "acme", "--email", email), "no user")
        refused(
            cli("space", "update-member", "--space", "acme", "--email", email, "--role", "admin"),
            "no user",
        )


@pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA"])
def test_signing_key_kid_and_alg(cli: Cli, alg: str) -> None:
    ok(cli("keys", "rotate", "--alg", alg, "--json"))
    [key] = ok(cli("keys", "list", "--json"))["keys"]
    assert key["alg"] == alg
    assert len(key["kid"]) <= 64


# ---------------------------------------------------------------------------- over HTTP


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"scopes": SCOPES, "token_cache_seconds": 0, "allow_plain_pkce": True}


def test_every_grant_type_fits_its_column() -> None:
    """``access_tokens.grant_type`` holds the grant (RFC 8693's URN is 47 characters) or
    "test" for a client's test token."""
    assert max(len(g) for g in (*GRANT_TYPES, "test")) <= 64


async def test_an_exchanged_token_stores_the_rfc8693_urn(
    http: httpx.AsyncClient, make: Factory, alice: User, services: Services
) -> None:
    await space_with_member(services, alice.id, slug="acme")
    reg = await make.client(grant_types=["password", "token-exchange"], scopes=["read"])
    subject = await password_tokens(http, reg)
    r = await http.post(
        "/oauth/token",
        data={
            "grant_type": TOKEN_EXCHANGE,
            "subject_token": subject["access_token"],
            "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
            "audience": "acme",
        },
        auth=client_auth(reg),
    )
    assert r.status_code == 200, r.text
    parsed = parse_token(r.json()["access_token"])
    assert parsed is not None
    row = await services.tokens.access(TokenId(parsed[0]))
    assert row is not None and row.grant_type == TOKEN_EXCHANGE


@pytest.fixture
async def web_client(make: Factory, alice: User) -> Any:
    return await make.client(
        grant_types=["authorization_code"], redirect_uris=[CB], scopes=["read"]
    )


async def test_code_challenge_of_128_is_stored_and_129_refused(
    http: httpx.AsyncClient, web_client: Any
) -> None:
    """RFC 7636 §4.1: 43 to 128 characters. A plain challenge is its verifier, so the
    longest one is stored, read back and checked when the code is redeemed."""
    browser = Browser(http)
    verifier = "v" * 128
    params = {
        "response_type": "code",
        "client_id": web_client.client.client_id,
        "redirect_uri": CB,
        "scope": "read",
        "state": "s",
        "code_challenge": verifier,
        "code_challenge_method": "plain",
    }
    code = await browser.code_for(**params)
    r = await http.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CB,
            "code_verifier": verifier,
        },
        auth=client_auth(web_client),
    )
    assert r.status_code == 200, r.text
    for change in (
        {"code_challenge": verifier + "v"},
        {"code_challenge_method": "S256" + "x" * 7},
    ):
        r = await browser.authorize(**{**params, **change})
        assert r.status_code == 302, r.text
        assert query_of(r.headers["location"])["error"] == "invalid_request"


async def test_a_nonce_as_long_as_any_parameter_is_stored(
    http: httpx.AsyncClient, web_client: Any
) -> None:
    """``nonce`` is text of any length the endpoint takes (4096 characters, like every
    parameter); the id token carries it back."""
    browser = Browser(http)
    params = {
        "response_type": "code",
        "client_id": web_client.client.client_id,
        "redirect_uri": CB,
        "scope": "openid read",
        "state": "s",
        "nonce": "n" * 4096,
    }
    code = await browser.code_for(**params)
    r = await http.post(
        "/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": CB},
        auth=client_auth(web_client),
    )
    assert r.status_code == 200, r.text
    claims = await verify_id_token(
        http, r.json()["id_token"], issuer="http://testserver", client_id=params["client_id"]
    )
    assert claims["nonce"] == "n" * 4096
    r = await browser.authorize(**{**params, "nonce": "n" * 4097})
    assert r.status_code == 302, r.text
    error = query_of(r.headers["location"])
    assert (error["error"], error["error_description"]) == (
        "invalid_request",
        "parameter 'nonce' is too long",
    )


@pytest.fixture
async def member_token(http: httpx.AsyncClient, make: Factory, alice: User) -> str:
    await space_with_member(make.services, alice.id, slug="acme")
    reg = await make.client(grant_types=["password"], scopes=list(SCOPES))
    token: str = (await password_tokens(http, reg, scope="write"))["access_token"]
    return token


PICTURE = "https://img.example.com/"
MEMBER_FIELDS = [
    ("name", "n" * 200, "n" * 201, "at most 200"),
    ("phone_number", "+" + "1" * 31, "+" + "1" * 32, "at most 32"),
    (
        "picture",
        "https://img.example.com/" + "p" * 1976,
        "https://img.example.com/" + "p" * 1977,
        "at most 2000",
    ),
]


@pytest.mark.parametrize("as_form", [False, True], ids=["json", "form"])
@pytest.mark.parametrize(("field", "longest", "too_long", "says"), MEMBER_FIELDS)
async def test_the_write_endpoint_stores_the_longest_member_fields(
    http: httpx.AsyncClient,
    services: Services,
    alice: User,
    member_token: str,
    as_form: bool,
    field: str,
    longest: str,
    too_long: str,
    says: str,
) -> None:
    async def put(value: str) -> httpx.Response:
        body = {field: value}
        if as_form:
            return await http.put(
                "/api/spaces/acme/members/me", data={**body, "access_token": member_token}
            )
        return await http.put(
            "/api/spaces/acme/members/me",
            json=body,
            headers={"Authorization": f"Bearer {member_token}"},
        )

    r = await put(longest)
    assert r.status_code == 200, r.text
    assert r.json()[field] == longest
    space = await services.spaces.by_slug("acme")
    assert space is not None
    member = await services.spaces.membership(space.id, alice.id)
    assert member is not None and getattr(member, field) == longest
    r = await put(too_long)
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "invalid_request"
    assert says in r.json()["error_description"]


@pytest.mark.parametrize("field", ["name", "picture", "phone_number"])
async def test_a_json_lone_surrogate_is_refused_not_stored(
    http: httpx.AsyncClient, member_token: str, field: str
) -> None:
    """RFC 8259 §8.2: ``"\\ud800"`` is valid JSON but not a Unicode string; neither
    database driver can encode it."""
    value = {"picture": "https://img.example.com/\\ud800"}.get(field, "\\ud800")
    r = await http.put(
        "/api/spaces/acme/members/me",
        content=f'{{"{field}": "{value}"}}'.encode(),
        headers={"Authorization": f"Bearer {member_token}", "Content-Type": "application/json"},
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    "name",
    [
        "access_token_lifetime",
        "refresh_token_lifetime",
        "session_lifetime",
        "signing_key_grace_seconds",
    ],
)
def test_settings_lifetimes_fit_the_time_columns(name: str) -> None:
    with pytest.raises(ValueError, match="less than or equal"):
        Settings(secret_key="k", **{name: 10**19})


async def test_a_users_own_phone_and_picture_fit_their_columns(
    services: Services, alice: User
) -> None:
    """The account page's profile (protocol/accounts.py): the longest phone number and
    picture URL are stored, one more character is refused, on both databases."""
    from authgate.protocol.rules import RegistrationError as FieldError

    picture = "https://img.example.com/" + "p" * (2000 - 24)
    updated = await services.accounts.update_profile(
        alice, name="n" * 200, picture=picture, phone="+" + "1" * 31
    )
    assert (updated.name, updated.picture, updated.phone_number) == (
        "n" * 200,
        picture,
        "+" + "1" * 31,
    )
    stored = await services.users.by_email(alice.email)
    assert stored is not None and stored.phone_number == "+" + "1" * 31
    for change, field in [
        ({"phone": "+" + "1" * 32}, "phone_number"),
        ({"picture": picture + "p"}, "picture"),
        ({"name": "n" * 201}, "name"),
        ({"name": "a\x00b"}, "name"),
    ]:
        values = {"name": "Al", "picture": "", "phone": "", **change}
        with pytest.raises(FieldError) as caught:
            await services.accounts.update_profile(alice, **values)
        assert caught.value.field == field


@pytest.mark.parametrize(
    ("field", "longest", "too_long", "says"),
    [
        ("description", "d" * 1000, "d" * 1001, "at most 1000"),
        ("homepage_url", PICTURE + "h" * 1976, PICTURE + "h" * 1977, "at most 2000"),
        ("logo_url", PICTURE + "l" * 1976, PICTURE + "l" * 1977, "at most 2000"),
        ("privacy_url", PICTURE + "p" * 1976, PICTURE + "p" * 1977, "at most 2000"),
        ("description", "caf\u00e9 " * 200, "a\x00b", "control characters"),
    ],
)
async def test_an_apps_description_and_urls_fit_their_columns(
    services: Services, alice: User, field: str, longest: str, too_long: str, says: str
) -> None:
    """What the portal registers (text columns, bounded by the registration rules): the
    longest value is stored and read back on both databases, one more is refused by field."""
    registered = await services.registry.register(
        "App", grant_types=["client_credentials"], **{field: longest}
    )
    stored = await services.clients.by_client_id(registered.client.client_id)
    assert stored is not None and getattr(stored, field) == longest.strip()
    with pytest.raises(RegistrationError) as caught:
        await services.registry.register(
            "App", grant_types=["client_credentials"], **{field: too_long}
        )
    assert caught.value.field == field and says in caught.value.description
    with pytest.raises(RegistrationError):
        await services.registry.update(registered.client.client_id, **{field: too_long})


async def test_every_audit_event_actor_and_target_type_is_stored(services: Services) -> None:
    """The audit log's short columns hold only authgate's own names: each one, stored and
    read back on both databases (what users choose goes into its unbounded columns)."""
    from typing import get_args

    from authgate.audit.events import EVENTS, Actor, ActorType, AuditQuery, TargetType

    actors, targets = get_args(ActorType), get_args(TargetType)
    for n, event in enumerate(EVENTS):
        services.audit.record(
            event,
            Actor(actors[n % len(actors)], "x" * 320, "a" * 64),
            target_type=targets[n % len(targets)],
            target="t" * 320,
        )
    await services.audit.flush()
    page = await services.audit.page(AuditQuery(limit=1000))
    stored = {(e.event, e.actor.type, e.target_type) for e in page.events}
    expected = {
        (event, actors[n % len(actors)], targets[n % len(targets)])
        for n, event in enumerate(EVENTS)
    }
    assert expected <= stored
    assert max(len(t) for t in (*actors, *targets)) <= 16


# ---------------------------------------------------------------------------- dynamic registration


@pytest.mark.parametrize("settings_overrides", [{"dynamic_registration": "open"}])
async def test_token_endpoint_auth_method_is_one_of_three_names(
    http: httpx.AsyncClient,
) -> None:
    """``client_registrations.auth_method``: only RFC 7591's names authgate supports
    (the longest is 19 characters) are stored; anything else is invalid_client_metadata."""
    body = {"redirect_uris": [CB], "token_endpoint_auth_method": "client_secret_basic"}
    r = await http.post("/oauth/register", json=body)
    assert r.status_code == 201, r.text
    info = r.json()
    read = await http.get(
        info["registration_client_uri"],
        headers={"Authorization": "Bearer " + info["registration_access_token"]},
    )
    assert read.json()["token_endpoint_auth_method"] == "client_secret_basic"
    body["token_endpoint_auth_method"] = "x" * 33
    r = await http.post("/oauth/register", json=body)
    assert r.status_code == 400 and r.json()["error"] == "invalid_client_metadata"
