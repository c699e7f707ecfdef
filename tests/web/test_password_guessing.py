"""Guesses sent at once cannot beat the failure budgets (RFC 6749 §4.3.2: "the
authorization server MUST protect the endpoint against brute force attacks"; RFC 9700
§4.15), and password checks cannot be queued without bound.

Every test runs on SQLite and PostgreSQL, with the counters in memory and in Redis.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from authgate.crypto import passwords
from authgate.services import Services
from tests.conftest import Factory
from tests.redis_support import fresh_namespace, redis_url_or_skip
from tests.web.flow import hidden_inputs

TOKEN = "/oauth/token"
RIGHT = "correct horse"


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def throttle_backend(request: pytest.FixtureRequest) -> dict[str, Any]:
    if request.param == "memory":
        return {}
    return {"redis_url": redis_url_or_skip(), "redis_namespace": fresh_namespace()}


@pytest.fixture
def limits() -> dict[str, Any]:
    return {}


@pytest.fixture
def settings_overrides(throttle_backend: dict[str, Any], limits: dict[str, Any]) -> dict[str, Any]:
    return {**throttle_backend, "password_hash_queue": 1000, **limits}


@pytest.fixture
def verified(services: Services, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The passwords that reached the Argon2 verification."""
    seen: list[str] = []
    real = services.verifier.verify

    async def counting(password_hash: str | None, password: str) -> bool:
        seen.append(password)
        return await real(password_hash, password)

    monkeypatch.setattr(services.verifier, "verify", counting)
    return seen


async def _password_client(make: Factory) -> tuple[str, str]:
    reg = await make.client(grant_types=["password"])
    assert reg.client_secret
    return reg.client.client_id, reg.client_secret


def _grant(http: httpx.AsyncClient, auth: tuple[str, str], email: str, password: str) -> Any:
    data = {"grant_type": "password", "username": email, "password": password}
    return http.post(TOKEN, data=data, auth=auth)


async def _login_form(http: httpx.AsyncClient) -> dict[str, str]:
    page = await http.get("/login")
    return hidden_inputs(page.text)


def _login(http: httpx.AsyncClient, form: dict[str, str], email: str, password: str) -> Any:
    return http.post("/login", data={**form, "email": email, "password": password})


def _throttled(r: httpx.Response) -> bool:
    if r.headers.get("content-type", "").startswith("application/json"):
        return r.status_code == 400 and "too many failed" in r.json()["error_description"]
    return r.status_code == 429 and "Too many failed sign-in attempts" in r.text


def _wrong(r: httpx.Response) -> bool:
    if r.headers.get("content-type", "").startswith("application/json"):
        return r.status_code == 400 and "not correct" in r.json()["error_description"]
    return r.status_code == 400 and "password is not correct" in r.text


class TestPerAccountBudget:
    @pytest.fixture
    def limits(self) -> dict[str, Any]:
        return {"password_max_failures": 5, "login_max_failures_per_address": 1000}

    async def test_40_concurrent_password_grants_verify_at_most_5(
        self, http: httpx.AsyncClient, make: Factory, verified: list[str]
    ) -> None:
        await make.user()
        auth = await _password_client(make)
        guesses = [f"guess-{i}" for i in range(40)]
        guesses[38] = RIGHT  # the right password as guess 39
        results = await asyncio.gather(
            *(_grant(http, auth, "alice@example.com", g) for g in guesses)
        )
        assert len(verified) == 5
        assert sum(map(_throttled, results)) == 35
        ok = [g for g, r in zip(guesses, results, strict=True) if r.status_code == 200]
        assert sum(map(_wrong, results)) + len(ok) == 5
        assert ok in ([], [RIGHT]) and (not ok or RIGHT in verified)
        if not ok:  # still locked: even the right password waits
            later = await _grant(http, auth, "alice@example.com", RIGHT)
            assert _throttled(later) and int(later.headers["retry-after"]) > 0

    async def test_40_concurrent_sign_ins_verify_at_most_5(
        self, http: httpx.AsyncClient, make: Factory, verified: list[str]
    ) -> None:
        await make.user()
        form = await _login_form(http)
        guesses = [f"guess-{i}" for i in range(40)]
        guesses[38] = RIGHT
        results = await asyncio.gather(
            *(_login(http, form, "alice@example.com", g) for g in guesses)
        )
        assert len(verified) == 5
        assert sum(map(_throttled, results)) == 35
        assert all(int(r.headers["retry-after"]) > 0 for r in results if _throttled(r))
        signed_in = [r for r in results if r.status_code == 303]
        assert sum(map(_wrong, results)) + len(signed_in) == 5

    async def test_page_and_grant_share_the_account_budget(
        self, http: httpx.AsyncClient, make: Factory, verified: list[str]
    ) -> None:
        await make.user()
        auth = await _password_client(make)
        form = await _login_form(http)
        await asyncio.gather(
            *(_grant(http, auth, "alice@example.com", "wrong") for _ in range(3)),
            *(_login(http, form, "ALICE@example.com ", "wrong") for _ in range(3)),
        )
        assert len(verified) == 5

    async def test_a_right_password_ends_the_lockout_and_others_are_unaffected(
        self, http: httpx.AsyncClient, make: Factory
    ) -> None:
        await make.user()
        await make.user("bob@example.com")
        auth = await _password_client(make)
        for _ in range(4):
            await _grant(http, auth, "alice@example.com", "wrong")
        assert (await _grant(http, auth, "alice@example.com", RIGHT)).status_code == 200
        for _ in range(5):  # the budget is whole again
            assert _wrong(await _grant(http, auth, "alice@example.com", "wrong"))
        assert _throttled(await _grant(http, auth, "alice@example.com", "wrong"))
        assert (await _grant(http, auth, "bob@example.com", RIGHT)).status_code == 200


class TestPerAddressBudget:
    @pytest.fixture
    def limits(self) -> dict[str, Any]:
        return {"password_max_failures": 1000, "login_max_failures_per_address": 5}

    async def test_40_concurrent_sign_ins_for_different_accounts_verify_at_most_5(
        self, http: httpx.AsyncClient, make: Factory, verified: list[str]
    ) -> None:
        form = await _login_form(http)
        results = await asyncio.gather(
            *(_login(http, form, f"user{i}@example.com", "guess") for i in range(40))
        )
        assert len(verified) == 5
        assert sum(map(_throttled, results)) == 35

    async def test_40_concurrent_grants_for_different_accounts_verify_at_most_5(
        self, http: httpx.AsyncClient, make: Factory, verified: list[str]
    ) -> None:
        auth = await _password_client(make)
        results = await asyncio.gather(
            *(_grant(http, auth, f"user{i}@example.com", "guess") for i in range(40))
        )
        assert len(verified) == 5
        throttled = [r for r in results if _throttled(r)]
        assert len(throttled) == 35
        assert "from this address" in throttled[0].json()["error_description"]

    async def test_successes_do_not_use_up_the_address(
        self, http: httpx.AsyncClient, make: Factory
    ) -> None:
        await make.user()
        auth = await _password_client(make)
        for _ in range(20):
            assert (await _grant(http, auth, "alice@example.com", RIGHT)).status_code == 200


class TestPerClientBudget:
    @pytest.fixture
    def limits(self) -> dict[str, Any]:
        return {
            "password_max_failures": 1000,
            "login_max_failures_per_address": 1000,
            "password_max_failures_per_client": 5,
        }

    async def test_one_client_cannot_run_more_than_its_budget(
        self, http: httpx.AsyncClient, make: Factory, verified: list[str]
    ) -> None:
        await make.user()
        auth = await _password_client(make)
        other = await _password_client(make)
        results = await asyncio.gather(
            *(_grant(http, auth, f"user{i}@example.com", "guess") for i in range(40))
        )
        assert len(verified) == 5
        throttled = [r for r in results if _throttled(r)]
        assert len(throttled) == 35
        assert "for this client" in throttled[0].json()["error_description"]
        assert (await _grant(http, other, "alice@example.com", RIGHT)).status_code == 200
        # The sign-in page has no client budget.
        form = await _login_form(http)
        assert (await _login(http, form, "alice@example.com", RIGHT)).status_code == 303


class TestBoundedVerifier:
    @pytest.fixture
    def limits(self) -> dict[str, Any]:
        return {
            "password_max_failures": 1000,
            "login_max_failures_per_address": 1000,
            "password_hash_workers": 1,
            "password_hash_queue": 2,
        }

    @pytest.fixture
    def gate(self, monkeypatch: pytest.MonkeyPatch) -> threading.Event:
        """Holds every Argon2 verification until set, so that the pool stays full."""
        event = threading.Event()
        real = passwords._verify

        def held(password_hash: str | None, password: str) -> bool:
            event.wait(10)
            return real(password_hash, password)

        monkeypatch.setattr(passwords, "_verify", held)
        return event

    @staticmethod
    async def _until(done: Callable[[], bool]) -> None:
        for _ in range(500):
            if done():
                return
            await asyncio.sleep(0.01)
        raise AssertionError("timed out")

    async def _flood(
        self, gate: threading.Event, send: Callable[[int], Awaitable[httpx.Response]]
    ) -> tuple[list[httpx.Response], list[httpx.Response]]:
        tasks = [asyncio.ensure_future(send(i)) for i in range(30)]
        # 3 checks hold the pool (1 running, 2 waiting); the other 27 are answered at once.
        await self._until(lambda: sum(t.done() for t in tasks) == 27)
        early = [t.result() for t in tasks if t.done()]
        gate.set()
        await asyncio.gather(*tasks)
        late = [t.result() for t in tasks if t.result() not in early]
        return early, late

    async def test_a_full_verifier_answers_503_at_once_on_the_grant(
        self, http: httpx.AsyncClient, make: Factory, gate: threading.Event
    ) -> None:
        auth = await _password_client(make)
        early, late = await self._flood(
            gate, lambda i: _grant(http, auth, f"{secrets.token_hex(4)}@example.com", "x")
        )
        for r in early:
            assert r.status_code == 503
            assert r.json()["error"] == "temporarily_unavailable"
            assert r.headers["retry-after"] == "1"
            assert r.headers["cache-control"] == "no-store"
        assert len(late) == 3 and all(_wrong(r) for r in late)

    async def test_a_full_verifier_answers_503_at_once_on_the_sign_in_page(
        self, http: httpx.AsyncClient, gate: threading.Event
    ) -> None:
        form = await _login_form(http)
        early, late = await self._flood(
            gate, lambda i: _login(http, form, f"user{i}@example.com", "x")
        )
        for r in early:
            assert r.status_code == 503
            assert "The server is busy" in r.text
            assert r.headers["retry-after"] == "1"
        assert len(late) == 3 and all(_wrong(r) for r in late)

    async def test_busy_answers_do_not_count_as_failures(
        self, http: httpx.AsyncClient, make: Factory, gate: threading.Event, services: Services
    ) -> None:
        await make.user()
        auth = await _password_client(make)
        early, _ = await self._flood(gate, lambda i: _grant(http, auth, "alice@example.com", "x"))
        assert len(early) == 27
        assert services.verifier.in_use == 0
        # 3 failures were counted, not 30: the right password still works.
        assert (await _grant(http, auth, "alice@example.com", RIGHT)).status_code == 200


class TestCountersUnreachable:
    @pytest.fixture
    def throttle_backend(self) -> dict[str, Any]:
        return {"redis_url": "redis://127.0.0.1:1/0"}

    async def test_password_checks_are_refused_not_let_through(
        self, http: httpx.AsyncClient, make: Factory, verified: list[str]
    ) -> None:
        await make.user()
        auth = await _password_client(make)
        r = await _grant(http, auth, "alice@example.com", RIGHT)
        assert r.status_code == 503 and r.json()["error"] == "temporarily_unavailable"
        form = await _login_form(http)
        r = await _login(http, form, "alice@example.com", RIGHT)
        assert r.status_code == 503
        assert verified == []
