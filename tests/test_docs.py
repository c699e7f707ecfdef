"""The documentation stays complete as settings are added."""

from __future__ import annotations

from pathlib import Path

from authgate.settings import Settings

DOCS = Path(__file__).parent.parent / "docs" / "configuration.md"


def test_configuration_md_lists_every_setting_with_its_env_var() -> None:
    text = DOCS.read_text()
    for name in Settings.model_fields:
        assert f"`{name}`" in text, f"docs/configuration.md does not describe {name}"
        assert f"`AUTHGATE_{name.upper()}`" in text, f"no environment variable for {name}"
