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
    """The suite's thresholds back afterwards. What was frozen stays frozen: the suite
    itself freezes what survives each module (tests/conftest.py)."""
    threshold = gc.get_threshold()
    yield
    gc.set_threshold(*threshold)


async def test_the_servers_app_freezes_what_it_started_with_and_collects_less_often(
    settings: Settings, collector_restored: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTHGATE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("AUTHGATE_SECRET_KEY", "test-secret-key")
    app = app_factory()  # what each `authgate serve` worker builds
    assert gc.get_threshold()[0] < YOUNG_THRESHOLD
    frozen = gc.get_freeze_count()
    async with app.router.lifespan_context(app):
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
        # the app and its services (and any module first imported by them): no full
        # collection walks them again
        assert gc.get_freeze_count() > frozen + 500


async def test_an_app_built_by_anyone_else_leaves_the_collector_alone(
    settings: Settings, collector_restored: None
) -> None:
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        assert gc.get_threshold() == threshold
        assert gc.get_freeze_count() <= frozen  # frozen objects may still be freed
