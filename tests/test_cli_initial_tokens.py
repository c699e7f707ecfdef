"""``authgate client initial-token``: RFC 7591 §3 initial access tokens made by an operator,
shown once, stored hashed, usable at ``/oauth/register``; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import getpass
import socket
import time

import httpx
import pytest

from tests.test_cli import SECRET_KEY, Cli, make_cli, ok

CB = "https://app.example.com/cb"


@pytest.fixture
def cli(database_url: str) -> Cli:
    return make_cli({"AUTHGATE_DATABASE_URL": database_url, "AUTHGATE_SECRET_KEY": SECRET_KEY})


@pytest.mark.parametrize("settings_overrides", [{"dynamic_registration": "initial_token"}])
async def test_a_token_from_the_cli_registers_as_many_clients_as_it_allows(
    cli: Cli, http: httpx.AsyncClient
) -> None:
    # the CLI runs its own event loop: in a thread of its own
    args = ("client", "initial-token", "--expires", "1d", "--uses", "2", "--json")
    data = ok(await asyncio.to_thread(cli, *args))
    token = data["initial_access_token"]
    assert data["uses"] == 2
    assert abs(data["expires_at"] - (time.time() + 86400)) < 120
    headers = {"Authorization": f"Bearer {token}"}
    for expected in (201, 201, 401):
        r = await http.post("/oauth/register", json={"redirect_uris": [CB]}, headers=headers)
        assert r.status_code == expected, r.text


def test_the_token_is_shown_once_and_the_audit_log_names_the_operator(cli: Cli) -> None:
    shown = cli("client", "initial-token", "--expires", "never")
    assert shown.exit_code == 0, shown.stderr
    assert "shown only now" in shown.stdout and "never expires" in shown.stdout
    assert "any number of clients" in shown.stdout
    token = shown.stdout.split("initial access token: ", 1)[1].split()[0]
    events = ok(cli("audit", "--event", "initial_token", "--json"))["events"]
    assert len(events) == 1
    event = events[0]
    assert event["actor"] == f"{getpass.getuser()}@{socket.gethostname()}"
    assert event["details"] == {"expires_at": None, "max_uses": None}
    assert token not in str(events) and token.split(".")[1] not in str(events)


def test_off_says_so(cli: Cli) -> None:
    out = cli("client", "initial-token", extra_env={"AUTHGATE_DYNAMIC_REGISTRATION": "off"})
    assert out.exit_code == 0 and "dynamic_registration is off" in out.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--expires", "soon"), "expiry"),
        (("--expires", "0"), "between 1 second"),
        (("--expires", "99999w"), "between 1 second"),
        (("--expires", "\u0661d"), "expiry"),  # an Arabic-Indic 1
        (("--uses", "0"), "--uses"),
        (("--uses", "-3"), "--uses"),
    ],
)
def test_bad_options_are_refused(cli: Cli, args: tuple[str, ...], says: str) -> None:
    out = cli("client", "initial-token", *args)
    assert out.exit_code == 1
    assert says in out.error


@pytest.mark.parametrize("settings_overrides", [{"dynamic_registration": "initial_token"}])
async def test_an_operator_gives_a_client_a_new_registration_token(
    cli: Cli, http: httpx.AsyncClient
) -> None:
    args = ("client", "initial-token", "--json")
    token = ok(await asyncio.to_thread(cli, *args))["initial_access_token"]
    r = await http.post(
        "/oauth/register",
        json={"redirect_uris": [CB]},
        headers={"Authorization": f"Bearer {token}"},
    )
    info = r.json()
    path = info["registration_client_uri"].removeprefix("http://testserver")
    args = ("client", "registration-token", info["client_id"], "--json")
    new = ok(await asyncio.to_thread(cli, *args))["registration_access_token"]
    old = {"Authorization": "Bearer " + info["registration_access_token"]}
    assert (await http.get(path, headers=old)).status_code == 401
    r = await http.get(path, headers={"Authorization": f"Bearer {new}"})
    assert r.status_code == 200 and r.json()["registration_access_token"] == new
    events = ok(await asyncio.to_thread(cli, "audit", "--event", "client", "--json"))["events"]
    issued = events[0]
    assert issued["event"] == "client.registration_token_issued"
    assert issued["actor_type"] == "cli" and issued["target"] == info["client_id"]
    assert new not in str(events)


def test_only_clients_registered_over_http_have_a_registration_token(cli: Cli) -> None:
    made = ok(
        cli("client", "create", "--name", "CLI App", "--grant", "client_credentials", "--json")
    )
    out = cli("client", "registration-token", made["client_id"])
    assert out.exit_code == 1 and "was not registered at /oauth/register" in out.error
    out = cli("client", "registration-token", "nope")
    assert out.exit_code == 1 and "no client" in out.error
