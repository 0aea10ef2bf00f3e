"""The 看板's charts as plain geometry: the template draws them as inline SVG.

No text is placed here: every label reaches the page through the template (autoescaped).
Colours and hatches are the report chart's (``report.chart.STATUS_STYLE``), so a status
looks the same in the report and on the page, and reads in grey print by its hatch and the
numbers written beside each bar.
"""

from __future__ import annotations

from dataclasses import dataclass

from reporting.core.model import MISSING, Light, Status
from reporting.merge.tally import STATUS_KEYS
from reporting.report.chart import STATUS_STYLE

# a short ASCII name per status: CSS classes and SVG pattern ids
STATUS_SLUG: dict[str, str] = {
    Status.DONE: "done",
    Status.AHEAD: "ahead",
    Status.ON_TRACK: "ontrack",
    Status.LAGGING: "lagging",
    Status.NOT_STARTED: "notstarted",
    MISSING: "missing",
}
LIGHT_SLUG: dict[str, str] = {Light.GREEN: "green", Light.YELLOW: "yellow", Light.RED: "red"}
# light fills that stay apart in grey (red darkest); the word is always written beside them
LIGHT_FILL: dict[str, str] = {Light.GREEN: "#7fc58a", Light.YELLOW: "#f3d36b", Light.RED: "#d9534f"}
HATCHED = {STATUS_SLUG[s]: STATUS_STYLE[s][1] != "" for s in STATUS_KEYS}


def status_fill(status: str) -> str:
    return STATUS_STYLE.get(status, STATUS_STYLE[MISSING])[0]


@dataclass(frozen=True)
class Segment:
    """One part of a stacked bar, in a 0–100 wide box."""

    key: str
    slug: str
    n: int
    x: float
    width: float
    fill: str
    hatched: bool


def stacked(counts: dict[str, int], keys: tuple[str, ...] = STATUS_KEYS) -> list[Segment]:
    """``counts`` as segments of a bar 100 wide, in ``keys`` order (empty ones left out)."""
    total = sum(counts.get(k, 0) for k in keys)
    out: list[Segment] = []
    x = 0.0
    for k in keys:
        n = counts.get(k, 0)
        if not n or not total:
            continue
        w = 100.0 * n / total
        slug = STATUS_SLUG.get(k, "missing")
        out.append(Segment(k, slug, n, round(x, 3), round(w, 3), status_fill(k), HATCHED[slug]))
        x += w
    return out


@dataclass(frozen=True)
class Point:
    """One quarter of a task's history in a 100 × 40 box (y grows downwards)."""

    x: float
    y: float | None  # None: no percentage that quarter
    expected_y: float | None
    fill: str


HISTORY_TOP, HISTORY_BOTTOM = 4.0, 34.0


def history_y(percent: float | None) -> float | None:
    if percent is None:
        return None
    p = max(0.0, min(100.0, percent))
    return round(HISTORY_BOTTOM - (HISTORY_BOTTOM - HISTORY_TOP) * p / 100, 2)


def history_points(cells: list[tuple[float | None, float | None, str]]) -> list[Point]:
    """[(percent, expected, light)] per quarter, Q1 → Q4, as points 25 apart."""
    return [
        Point(12.5 + 25 * i, history_y(pct), history_y(exp), LIGHT_FILL.get(light, "#9e9e9e"))
        for i, (pct, exp, light) in enumerate(cells)
    ]


def history_line(points: list[Point]) -> str:
    """The polyline through the quarters that have a percentage ("" when fewer than two)."""
    known = [p for p in points if p.y is not None]
    if len(known) < 2:
        return ""
    return " ".join(f"{p.x:g},{p.y:g}" for p in known)
