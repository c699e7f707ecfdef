"""An app's usage as a small bar chart: one bar per day, drawn as inline SVG by the
template (no script, no style attribute, so the pages' CSP stays as it is)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authgate.domain import ClientUsage
from authgate.web.pages.render import when


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    count: int
    label: str


def usage_chart(usage: ClientUsage, now: int) -> dict[str, Any]:
    """A bar per day, today last, for an inline SVG (no script, no style attribute)."""
    width, height, gap = 600.0, 80.0, 3.0
    days = len(usage.per_day) or 1
    peak = max(usage.per_day, default=0)
    step = width / days
    today = now - now % 86400
    bars = []
    for i, count in enumerate(usage.per_day):
        h = 0.0 if not peak else max(2.0, height * count / peak) if count else 1.0
        day = today - (days - 1 - i) * 86400
        bars.append(Bar(i * step, height - h, step - gap, h, count, when(day)[:10]))
    busiest = max(range(len(usage.per_day)), key=lambda i: usage.per_day[i], default=0)
    summary = (
        f"{usage.tokens_issued} tokens in {days} days; the busiest day, "
        f"{bars[busiest].label if bars else ''}, had {peak}."
        if peak
        else f"No tokens in the last {days} days."
    )
    return {
        "width": width,
        "height": height,
        "bars": bars,
        "peak": peak,
        "first": bars[0].label if bars else "",
        "summary": summary,
    }
