"""Accessibility checks in the browser: axe-core (from npm, ``make axe``) run in the page.

axe is evaluated through the DevTools protocol, which a page's Content-Security-Policy does
not govern, so the pages are checked with their real, strict CSP in force.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
#: impacts that fail a test (axe's scale: minor, moderate, serious, critical)
FAILING = {"serious", "critical"}

_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + n.failureSummary),
  }));
}"""


def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(
            f"{AXE} is missing: run `make axe` (npm ci of tests/e2e/axe), or `make test`",
            pytrace=False,
        )
    return AXE.read_text()


def violations(page: Page) -> list[dict[str, Any]]:
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    found: list[dict[str, Any]] = page.evaluate(_RUN)
    return found


def assert_accessible(page: Page, name: str) -> None:
    """No serious or critical axe violation on the page as it is now."""
    bad = [v for v in violations(page) if v["impact"] in FAILING]
    assert not bad, f"{name} ({page.url}): " + "\n".join(
        f"{v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in bad
    )
