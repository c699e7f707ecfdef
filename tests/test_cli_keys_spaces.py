"""``authgate keys`` (the id-token signing keys) and ``authgate space`` (tenants, each its
own issuer, and their members): text and ``--json`` output, and one clear error line for
every bad value. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_server_process import clean_env
from tests.test_cli import AUTHGATE, SECRET_KEY, Cli, create_user, make_cli, ok

LEAD = 2 * 5 + 60  # 2 * signing_key_refresh_seconds + the JWKS max-age
GRACE = 86400


@pytest.fixture
def cli(database_url: str) -> Cli:
    return make_cli({"AUTHGATE_DATABASE_URL": database_url, "AUTHGATE_SECRET_KEY": SECRET_KEY})


@pytest.fixture
def hosted_cli(database_url: str) -> Cli:
    """Spaces on subdomains of ``id.example.com``, the root issuer on its own host."""
    return make_cli(
        {
            "AUTHGATE_DATABASE_URL": database_url,
            "AUTHGATE_SECRET_KEY": SECRET_KEY,
            "AUTHGATE_ISSUER": "https://auth.example.com",
            "AUTHGATE_BASE_DOMAIN": "id.example.com",
        }
    )


def error(outcome: Any) -> str:
    assert outcome.exit_code == 1, (outcome.stdout, outcome.stderr)
    message: str = outcome.error
    return message


# ---------------------------------------------------------------------------- keys


def test_keys_list_without_keys(cli: Cli) -> None:
    assert ok(cli("keys", "list", "--json")) == {"keys": []}
    out = cli("keys", "list")
    assert out.exit_code == 0
    assert "no signing keys yet" in out.stdout


def test_first_key_signs_at_once(cli: Cli) -> None:
    """With no key signing yet, no relying party can be waiting for the new one."""
    key = ok(cli("keys", "rotate", "--json"))
    assert key["alg"] == "RS256"  # the id_token_signing_alg default
    assert key["state"] == "active"
    assert key["signs_from"] == key["created_at"]
    assert key["lead"] == 0
    assert key["published_until"] == {}


def test_rotation_publishes_first_and_signs_after_the_lead_time(cli: Cli) -> None:
    old = ok(cli("keys", "rotate", "--json"))
    new = ok(cli("keys", "rotate", "--alg", "ES256", "--json"))
    assert new["kid"] != old["kid"]
    assert new["alg"] == "ES256"
    assert new["state"] == "next"
    assert new["lead"] == LEAD
    assert new["signs_from"] == new["created_at"] + LEAD
    assert new["grace"] == GRACE
    assert new["published_until"] == {old["kid"]: new["signs_from"] + GRACE}
    listed = ok(cli("keys", "list", "--json"))["keys"]
    assert [(k["kid"], k["state"]) for k in listed] == [
        (old["kid"], "active"),
        (new["kid"], "next"),
    ]
    assert listed[0]["retired_at"] == new["signs_from"]  # the old key signs until then
    assert listed[1]["retired_at"] is None
    assert all(isinstance(k["created_at"], int) for k in listed)  # JSON keeps Unix seconds


def test_rotate_text_names_the_key_its_start_and_the_grace_period(cli: Cli) -> None:
    old = ok(cli("keys", "rotate", "--json"))
    out = cli("keys", "rotate", "--alg", "EdDSA")
    assert out.exit_code == 0, out.stderr
    new = ok(cli("keys", "list", "--json"))["keys"][-1]
    assert new["alg"] == "EdDSA"
    assert f"added signing key {new['kid']} (EdDSA), published now" in out.stdout
    assert f"(in {LEAD} s), when every worker and relying party has it" in out.stdout
    assert f"key {old['kid']} signs until then and stays published until " in out.stdout
    assert f"(grace {GRACE} s)" in out.stdout


def test_keys_list_text_is_a_table_in_utc(cli: Cli) -> None:
    first = ok(cli("keys", "rotate", "--json"))
    second = ok(cli("keys", "rotate", "--json"))
    lines = cli("keys", "list").stdout.splitlines()
    assert lines[0].split() == ["KID", "ALG", "STATE", "CREATED", "SIGNS", "FROM", "RETIRED"]
    assert lines[1].startswith(first["kid"]) and " active " in lines[1]
    assert lines[2].startswith(second["kid"]) and " next " in lines[2]
    assert lines[1].count(" UTC") == 3  # created, signs from, retired
    assert lines[2].count(" UTC") == 2 and lines[2].endswith("-")  # not retired


@pytest.mark.parametrize("alg", ["HS256", "none", "RS512", ""])
def test_rotate_refuses_other_algorithms(cli: Cli, alg: str) -> None:
    assert "--alg must be one of RS256, ES256, EdDSA" in error(cli("keys", "rotate", "--alg", alg))
    assert ok(cli("keys", "list", "--json")) == {"keys": []}


def test_serve_creates_the_signing_key_before_the_workers_start(tmp_path: Path) -> None:
    """Several workers on an empty database would each create a key: ``serve`` makes it
    once, before they start (here it then cannot listen, so no worker ever starts)."""
    url = f"sqlite:///{tmp_path}/authgate.db"
    env = {"AUTHGATE_DATABASE_URL": url, "AUTHGATE_SECRET_KEY": SECRET_KEY}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        r = subprocess.run(
            [str(AUTHGATE), "serve", "--port", port, "--workers", "2"],
            env={**clean_env(), **env},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert r.returncode == 4, r.stderr  # cannot listen
    keys = ok(make_cli(env)("keys", "list", "--json"))["keys"]
    assert [k["state"] for k in keys] == ["active"]


# ---------------------------------------------------------------------------- spaces


def test_space_create_json_on_a_path_issuer(cli: Cli) -> None:
    data = ok(cli("space", "create", "--slug", "acme", "--name", " Acme Corp ", "--json"))
    assert data == {
        "slug": "acme",
        "name": "Acme Corp",
        "issuer": "http://127.0.0.1:8000/spaces/acme",
        "issuers": ["http://127.0.0.1:8000/spaces/acme"],
        "domains": [],
        "created_at": data["created_at"],
    }


def test_space_create_text_with_subdomain_and_custom_domains(hosted_cli: Cli) -> None:
    out = hosted_cli(
        "space",
        "create",
        "--slug",
        "acme",
        "--name",
        "Acme",
        "--domain",
        "Login.Acme.COM",
        "--domain",
        "login.acme.com:443",  # the default port of the https issuer: the same origin
        "--domain",
        "sso.acme.com:8443",
    )
    assert out.exit_code == 0, out.stderr
    assert out.stdout.startswith("created space acme\n")
    assert "issuer      https://acme.id.example.com\n" in out.stdout
    assert "            https://login.acme.com\n            https://sso.acme.com:8443\n" in (
        out.stdout
    )
    assert "domains     login.acme.com, sso.acme.com:8443\n" in out.stdout
    assert " UTC" in out.stdout


@pytest.mark.parametrize("slug", ["Acme", "-acme", "acme-", "a" * 64, "ac me", "ac_me", "acmé", ""])
def test_space_create_refuses_a_slug_that_is_no_dns_label(cli: Cli, slug: str) -> None:
    assert "must be a DNS label" in error(cli("space", "create", "--slug", slug, "--name", "X"))
    assert ok(cli("space", "list", "--json")) == {"spaces": []}


def test_space_create_refuses_a_taken_slug_or_domain(cli: Cli) -> None:
    ok(cli("space", "create", "--slug", "acme", "--name", "A", "--domain", "a.example", "--json"))
    taken = error(cli("space", "create", "--slug", "acme", "--name", "B"))
    assert taken == "a space with slug 'acme' already exists"
    taken = error(cli("space", "create", "--slug", "other", "--name", "B", "--domain", "a.example"))
    assert taken == "a space with slug 'other' or one of these domains already exists"
    assert [s["slug"] for s in ok(cli("space", "list", "--json"))["spaces"]] == ["acme"]


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ("auth.example.com", "issuer's own host"),
        ("auth.example.com:8443", "issuer's own host"),
        ("acme.id.example.com", "under base_domain"),
        ("id.example.com", "under base_domain"),
        ("bad host", "not a host name"),
        ("-a.example", "not a host name"),
        ("a-.example", "not a host name"),
        ("a..example", "not a host name"),
        ("a_b.example", "not a host name"),
        ("a.example/path", "not a host name"),
        ("a.example:", "not a host name"),
        ("a.example:0", "not a host name"),
        ("a.example:65536", "not a host name"),
        ("a.example:08443", "not a host name"),
        ("[::1]", "not a host name"),
        (".".join(["a" * 63] * 4), "not a host name"),  # 255 characters
        ("", "not a host name"),
    ],
)
def test_space_create_refuses_bad_domains(hosted_cli: Cli, domain: str, message: str) -> None:
    out = hosted_cli("space", "create", "--slug", "acme", "--name", "A", "--domain", domain)
    assert message in error(out)


@pytest.mark.parametrize("name", ["", "   ", "n" * 201, "a\x00b"])
def test_space_create_refuses_a_bad_name(cli: Cli, name: str) -> None:
    assert "space name must" in error(cli("space", "create", "--slug", "acme", "--name", name))


def test_space_list(hosted_cli: Cli) -> None:
    assert ok(hosted_cli("space", "list", "--json")) == {"spaces": []}
    assert "no spaces yet" in hosted_cli("space", "list").stdout
    ok(hosted_cli("space", "create", "--slug", "beta", "--name", "Beta", "--json"))
    args = ("--slug", "acme", "--name", "Acme", "--domain", "login.acme.com", "--json")
    ok(hosted_cli("space", "create", *args))
    spaces = ok(hosted_cli("space", "list", "--json"))["spaces"]
    assert [(s["slug"], s["issuer"], s["domains"]) for s in spaces] == [
        ("acme", "https://acme.id.example.com", ["login.acme.com"]),
        ("beta", "https://beta.id.example.com", []),
    ]
    lines = hosted_cli("space", "list").stdout.splitlines()
    assert lines[0].split() == ["SLUG", "NAME", "ISSUER", "DOMAINS", "CREATED"]
    assert lines[1].split()[:4] == ["acme", "Acme", "https://acme.id.example.com", "login.acme.com"]
    assert lines[2].split()[:4] == ["beta", "Beta", "https://beta.id.example.com", "-"]


def add_member(cli: Cli, *args: str) -> Any:
    return cli("space", "add-member", "--space", "acme", "--email", "alice@example.com", *args)


@pytest.fixture
def acme(cli: Cli) -> Cli:
    """The space ``acme`` and the user alice@example.com, not yet a member."""
    ok(cli("space", "create", "--slug", "acme", "--name", "Acme", "--json"))
    create_user(cli, "alice@example.com")
    return cli


def test_space_show_lists_members_with_their_profile(acme: Cli) -> None:
    bob = create_user(acme, "bob@example.com")
    empty = acme("space", "show", "acme")
    assert "no members yet" in empty.stdout
    profile = (
        "--name",
        "Alice A.",
        "--picture",
        "https://img.example/a.png",
        "--phone",
        "+49 30 1",
    )
    ok(add_member(acme, *profile, "--json"))
    ok(acme("space", "add-member", "--space", "acme", "--email", "bob@example.com", "--json"))
    shown = ok(acme("space", "show", "acme", "--json"))
    assert shown["issuers"] == ["http://127.0.0.1:8000/spaces/acme"]
    members = {m["email"]: m for m in shown["members"]}
    assert members["alice@example.com"] | {"user_id": 0, "created_at": 0} == {
        "email": "alice@example.com",
        "role": "member",
        "name": "Alice A.",
        "picture": "https://img.example/a.png",
        "phone_number": "+49 30 1",
        "revoked_scopes": [],
        "user_id": 0,
        "created_at": 0,
    }
    assert members["bob@example.com"]["user_id"] == bob["id"]
    assert members["bob@example.com"]["name"] is None
    text = acme("space", "show", "acme").stdout
    assert "issuer      http://127.0.0.1:8000/spaces/acme" in text
    rows = {line.split()[0]: line.split() for line in text.splitlines()[-3:]}
    assert rows["MEMBER"] == ["MEMBER", "ROLE", "NAME", "PICTURE", "PHONE", "REVOKED"]
    assert rows["alice@example.com"] == [
        "alice@example.com",
        "member",
        "Alice",
        "A.",
        "https://img.example/a.png",
        "+49",
        "30",
        "1",
        "-",
    ]
    assert rows["bob@example.com"] == ["bob@example.com", "member", "-", "-", "-", "-"]


def test_space_show_unknown_slug(cli: Cli) -> None:
    for slug in ("nope", "Not A Slug"):
        assert "no space with slug" in error(cli("space", "show", slug))


def test_add_member_text_then_readding_updates_only_what_is_given(acme: Cli) -> None:
    out = add_member(acme, "--name", "Alice", "--phone", "+1 555-0100")
    assert out.exit_code == 0, out.stderr
    assert out.stdout.strip() == "added alice@example.com in space acme as member"
    out = add_member(acme, "--role", "admin", "--picture", "http://127.0.0.1:8080/a.png")
    assert out.stdout.strip() == "updated alice@example.com in space acme as admin"
    data = ok(add_member(acme, "--phone", "", "--json"))  # "" clears a value
    assert data["added"] is False
    assert (data["role"], data["name"], data["picture"], data["phone_number"]) == (
        "admin",
        "Alice",
        "http://127.0.0.1:8080/a.png",
        None,
    )
    (member,) = ok(acme("space", "show", "acme", "--json"))["members"]
    assert member == {k: v for k, v in data.items() if k not in {"space", "added"}}


def test_add_member_needs_an_existing_user_and_space(acme: Cli) -> None:
    out = acme("space", "add-member", "--space", "acme", "--email", "nobody@example.com")
    assert "no user with e-mail 'nobody@example.com'" in error(out)
    out = acme("space", "add-member", "--space", "nope", "--email", "alice@example.com")
    assert "no space with slug 'nope'" in error(out)
    assert ok(acme("space", "show", "acme", "--json"))["members"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--picture", "http://img.example/a.png"], "must be an https:// URL"),
        (["--picture", "javascript:alert(1)"], "must be an https:// URL"),
        (["--picture", "ftp://img.example/a.png"], "must be an https:// URL"),
        (["--picture", "https://"], "must be an https:// URL"),
        (["--picture", "https://img.example:99999/a.png"], "must be an https:// URL"),
        (["--picture", "https://img.example/a b.png"], "must be an https:// URL"),
        (["--picture", "https://img.example/" + "a" * 2000], "must be an https:// URL"),
        (["--picture", "https://u:p@img.example/a.png"], "must not contain credentials"),
        (["--phone", "12"], "must be '+' then digits"),
        (["--phone", "+"], "must be '+' then digits"),
        (["--phone", "+49 abc"], "must be '+' then digits"),
        (["--phone", "+" + "1" * 32], "must be '+' then digits"),
        (["--phone", "+\u0664\u0662"], "must be '+' then digits"),  # Arabic-Indic digits
        (["--name", "n" * 201], "at most 200 characters"),
        (["--role", "owner"], "--role must be 'admin' or 'member'"),
    ],
)
def test_add_member_refuses_bad_profile_values(acme: Cli, args: list[str], message: str) -> None:
    assert message in error(add_member(acme, *args))
    assert ok(acme("space", "show", "acme", "--json"))["members"] == []


def test_add_member_accepts_loopback_http_pictures(acme: Cli) -> None:
    for picture in ("http://localhost/a.png", "http://[::1]:8080/a.png", "https://img.example"):
        assert ok(add_member(acme, "--picture", picture, "--json"))["picture"] == picture
