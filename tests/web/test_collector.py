"""web/collector.py: ``authgate serve``'s app sets the garbage collector for a server once
it has started; any other app leaves it as it was."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from authgate.settings import Settings
from authgate.web.app import app_factory, create_app
from authgate.web.collector import YOUNG_THRESHOLD


@pytest.fixture
def collector_restored() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


async def test_the_servers_app_freezes_what_it_started_with_and_collects_less_often(
    settings: Settings, collector_restored: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTHGATE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("AUTHGATE_SECRET_KEY", "test-secret-key")
    app = app_factory()  # what each `authgate serve` worker builds
    assert gc.get_freeze_count() == 0 and gc.get_threshold()[0] < YOUNG_THRESHOLD
    async with app.router.lifespan_context(app):
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
        assert gc.get_freeze_count() > 10_000  # the modules, the app, its services
        gc.collect()  # a full collection no longer walks them
        assert gc.get_freeze_count() > 10_000


async def test_an_app_built_by_anyone_else_leaves_the_collector_alone(
    settings: Settings, collector_restored: None
) -> None:
    threshold = gc.get_threshold()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        assert gc.get_threshold() == threshold
        assert gc.get_freeze_count() == 0
