"""``serve --demo`` prints credentials that work on every start, even after its client or
its saved file went away."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from authgate.cli import run_with
from authgate.demo import DEMO_EMAIL, DEMO_GRANTS, DemoData, describe, ensure_demo
from authgate.services import Services
from authgate.settings import Settings
from authgate.storage.sql import migrate


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    url = f"sqlite:///{tmp_path}/authgate.db"
    migrate.upgrade(url)
    return Settings(database_url=url, secret_key="demo-test-key", demo=True)


def demo(settings: Settings) -> DemoData:
    return run_with(settings, ensure_demo)


def works(settings: Settings, data: DemoData) -> bool:
    """The printed password signs the demo user in and the printed client exists."""

    async def check(services: Services) -> bool:
        user = await services.users.by_email(DEMO_EMAIL)
        client = await services.clients.by_client_id(data.client_id)
        assert user is not None
        return client is not None and await services.verifier.verify(
            user.password_hash, data.password
        )

    return run_with(settings, check)


def saved_file(settings: Settings) -> Path:
    return settings.sqlite_path.parent / "demo-credentials.json"


def test_later_starts_print_the_same_credentials(settings: Settings) -> None:
    first = demo(settings)
    again = demo(settings)
    assert first.created and not again.created
    assert (again.password, again.client_id) == (first.password, first.client_id)
    assert works(settings, again)


def test_a_deleted_demo_client_is_recreated_and_the_password_kept(settings: Settings) -> None:
    first = demo(settings)

    async def delete(services: Services) -> None:
        await services.registry.delete(first.client_id)

    run_with(settings, delete)
    again = demo(settings)
    assert again.client_id != first.client_id
    assert again.password == first.password
    assert works(settings, again)
    assert json.loads(saved_file(settings).read_text())["password"] == first.password


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda path: path.unlink(), id="file-deleted"),
        pytest.param(
            lambda path: path.write_text(
                json.dumps(
                    {
                        **json.loads(path.read_text()),
                        "password": "(unchanged: the demo user existed before)",
                    }
                )
            ),
            id="password-lost",  # what earlier versions wrote
        ),
        pytest.param(lambda path: path.write_text("{not json"), id="file-garbled"),
    ],
)
def test_a_demo_user_whose_password_is_unknown_gets_a_new_one(
    settings: Settings, damage: Callable[[Path], object]
) -> None:
    first = demo(settings)
    damage(saved_file(settings))
    again = demo(settings)
    assert again.password != first.password
    assert "(" not in again.password
    assert works(settings, again)
    assert not works(settings, replace(again, password=first.password))
    assert demo(settings).password == again.password  # and it is kept from now on


@pytest.mark.parametrize("profile", ["cobot", "cloudbot", "redbooth"])
def test_the_demo_client_has_the_grants_the_profile_offers(tmp_path: Path, profile: str) -> None:
    """Under a profile that offers fewer grants, the demo client is registered with those
    of its grants that are offered, and only the flows it can use are printed."""
    url = f"sqlite:///{tmp_path}/authgate.db"
    migrate.upgrade(url)
    settings = Settings(database_url=url, secret_key="demo-test-key", demo=True, profile=profile)
    data = demo(settings)
    assert works(settings, data)

    async def grants(services: Services) -> frozenset[str]:
        return (await services.registry.get(data.client_id)).grant_types

    offered = set(settings.grant_types)
    assert run_with(settings, grants) == offered & set(DEMO_GRANTS)
    text = describe(data, settings)
    assert (
        "developer portal (sign in as the demo user): open\n  http://127.0.0.1:8000/developer"
        in text
    )
    assert ("grant_type=password" in text) == ("password" in offered)
    assert ("grant_type=client_credentials" in text) == ("client_credentials" in offered)


def test_the_demo_user_is_an_administrator_again_on_every_start(settings: Settings) -> None:
    first = demo(settings)
    assert "/admin" in describe(first, settings) and "(an administrator)" in describe(
        first, settings
    )

    async def is_admin(services: Services) -> bool:
        user = await services.users.by_email(DEMO_EMAIL)
        return user is not None and user.is_admin

    async def demote(services: Services) -> None:
        user = await services.users.by_email(DEMO_EMAIL)
        assert user is not None
        await services.users.update(user.id, is_admin=False)

    assert run_with(settings, is_admin)
    run_with(settings, demote)
    assert not run_with(settings, is_admin)
    demo(settings)
    assert run_with(settings, is_admin)
