"""The package says what it is truthfully, and ships the licence its metadata names."""

from __future__ import annotations

import tomllib
from importlib.metadata import metadata
from pathlib import Path

import authgate

ROOT = Path(__file__).parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_description_claims_no_openid_connect() -> None:
    """OpenID Connect is not implemented yet; the description may not promise it."""
    assert "openid" not in PROJECT["description"].lower()
    assert "openid" not in metadata("authgate")["Summary"].lower()
    assert "openid" not in (authgate.__doc__ or "").lower()


def test_license_file_is_the_apache_license_2_0() -> None:
    assert PROJECT["license"] == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text()
    assert text.split()[:5] == ["Apache", "License", "Version", "2.0,", "January"]
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert "LICENSE" in PROJECT["license-files"]
