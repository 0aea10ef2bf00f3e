"""What the year's 看板 shows: ``annual.year``'s one computation (the year workbook and the
annual report use the same ``YearData``) as plain data for the template: each task's four
quarters, its 全年完成情况 once judged, the indicators' final values, the units' quarters."""

from __future__ import annotations

from datetime import date

from reporting.annual.year import NOT_MERGED, TaskYear, YearData, rule_text
from reporting.core.config import Settings
from reporting.core.model import MISSING
from reporting.core.numbers import num
from reporting.core.periods import Period, cn_time
from reporting.core.states import Final
from reporting.core.submissions import Submitted
from reporting.dashboard import charts
from reporting.dashboard.period_view import (
    UNIT_SLUG,
    counts_view,
    row_expected,
    section_name,
    shown,
)
from reporting.merge.tally import section_counts
from reporting.report.wording import short_title, status_phrase

FINAL_SLUG = {
    Final.DONE: "done",
    Final.MOSTLY: "mostly",
    Final.UNDONE: "undone",
    Final.PENDING: "pending",
}


def _slug(state: Submitted | None) -> str:
    return "notdue" if state is None else UNIT_SLUG[state]


def _task(t: TaskYear, data: YearData, rows_by_id: dict, by_period: dict) -> dict:
    row = rows_by_id.get(t.id)
    quarters = []
    cells = []
    for p in data.periods:
        c = t.quarters[p]
        result = data.results.get(p)
        expected = result.expected_progress if result is not None else None
        if row is not None and result is not None:  # the row's own pace (core.pace)
            judged = by_period[p].get(t.id)
            if judged is not None:
                expected = row_expected(judged, result.expected_progress)
        quarters.append(
            {
                "label": Period.parse(p).label,
                "percent": f"{num(c.percent)}%" if c.percent is not None else "",
                "status": c.status,
                "status_slug": charts.STATUS_SLUG.get(c.status, "missing"),
                "light": c.light,
                "light_slug": charts.LIGHT_SLUG.get(c.light, "none"),
                "merged": c.status != NOT_MERGED,
            }
        )
        cells.append((c.percent, expected, c.light))
    points = charts.history_points(cells)
    return {
        "id": t.id,
        "label": t.label,
        "title": shown(t.short_title or (short_title(row) if row is not None else t.task_title)),
        "section": t.section,
        "leaders": list(row.lead_leaders) if row is not None else [],
        "lead_units": list(t.lead_units),
        "quarters": quarters,
        "points": points,
        "line": charts.history_line(points),
        "final": str(t.final),
        "final_slug": FINAL_SLUG[t.final],
        "judged_at": Period.parse(t.judged_at).label,
        "early": t.early,
        "shortfall": shown(t.shortfall),
        "reason": shown(t.reason),
        "indicators": [
            {
                "name": shown(i.name),
                "target": i.target_text,
                "value": i.value_text,
                "reached": str(i.reached),
                "compare": i.compare,
            }
            for i in t.indicators
        ],
    }


def year_view(data: YearData, settings: Settings, *, today: date) -> dict:
    """Everything the year page shows (``data`` from ``annual.year.year_data``)."""
    d = settings.district
    latest = data.results[data.merged[-1]]
    rows = latest.rows
    rows_by_id = {r.id: r for r in rows}
    by_period = {p: {r.id: r for r in res.rows} for p, res in data.results.items()}
    by_quarter = data.status_by_quarter()
    every = {k: sum(c[k] for _, c in by_quarter) for k in charts.STATUS_KEYS}
    quarters = []
    for label, counts in by_quarter:
        quarters.append(
            {
                "label": label,
                "status": counts,
                "segments": charts.stacked(counts),
                "phrase": status_phrase(counts),
            }
        )
    finals = data.final_counts()
    units = []
    for u in data.units:
        units.append(
            {
                "unit": u.unit,
                "quarters": [(u.cell(p), _slug(u.quarters[p])) for p in data.periods],
                "late": u.count(Submitted.LATE),
                "missing": u.count(Submitted.MISSING) + u.count(Submitted.REJECTED),
            }
        )
    sections = []
    for number, title, tc in section_counts(rows):
        view = counts_view(tc)
        view.update(number=number, name=section_name(number, title))
        sections.append(view)
    leaders: dict[str, None] = {}
    for r in rows:
        leaders.update(dict.fromkeys(r.lead_leaders))
    return {
        "kind": "year",
        "title": f"{d.name}{data.year}年{d.document_title}全年推进情况看板",
        "district": d.name,
        "office": d.office,
        "year": data.year,
        "cutoff": cn_time(latest.generated_at, today),
        "latest_label": Period.parse(latest.period).full_label,
        "merged_labels": [Period.parse(p).label for p in data.merged],
        "quarter_labels": [Period.parse(p).label for p in data.periods],
        "total": len(data.tasks),
        "finals": [(k, FINAL_SLUG[Final(k)], n) for k, n in finals.items()],
        "judged": sum(n for k, n in finals.items() if k != Final.PENDING),
        "rule": rule_text(data.basic_percent),
        "quarters": quarters,
        "status_every": every,
        "status_keys": [
            (k, charts.STATUS_SLUG[k], charts.status_fill(k)) for k in charts.STATUS_KEYS
        ],
        "sections": sections,
        "leaders": list(leaders),
        "lead_units": sorted({u for t in data.tasks for u in t.lead_units}),
        "tasks": [_task(t, data, rows_by_id, by_period) for t in data.tasks],
        "indicators": [
            {
                "label": i.label,
                "name": shown(i.name),
                "target": i.target_text,
                "value": i.value_text,
                "reached": str(i.reached),
                "compare": i.compare,
                "units": "、".join(i.units),
                "period": Period.parse(i.period).label,
            }
            for i in data.indicators()
        ],
        "units": units,
        "missing_word": MISSING,
    }
