"""Merged results written by hand for the report's text tests: the bundled task table, each
row given the progress, status and words the test chooses."""

from __future__ import annotations

from dataclasses import dataclass, field

from reporting.core.model import Answer, Light, QuarterResult, Status
from reporting.core.periods import Period
from reporting.report.render import empty_result

PERCENT = {  # cumulative progress of each status, for a quarter of pace ``expected``
    Status.DONE: lambda e: 100.0,
    Status.AHEAD: lambda e: min(e + 12, 99.0),
    Status.ON_TRACK: lambda e: e + 2,
    Status.LAGGING: lambda e: max(e - 20, 1.0),
    Status.NOT_STARTED: lambda e: 0.0,
}


@dataclass
class Said:
    """What one row's lead unit (and partners) said; ``status`` None: the lead unit is silent."""

    status: Status | None = Status.ON_TRACK
    progress: str = ""
    problems: str = ""
    partner_problems: list[str] = field(default_factory=list)


def light_of(gap: float) -> str:
    if gap <= 0:
        return Light.GREEN.value
    return Light.YELLOW.value if gap <= 15 else Light.RED.value


def written_result(app, period: Period, said: dict[str, Said], default: Said | None = None):
    """The bundled table's result for ``period``: rows in ``said`` (task id → Said) as
    written, the others as ``default`` (on track, a plain progress sentence); every unit
    with a row reported counts as on time."""
    result: QuarterResult = empty_result(app.settings, app.assignments, period)
    result.generated_at = f"{period.end.isoformat()}T10:00:00+08:00"
    expected = result.expected_progress
    default = default or Said()
    reporting: set[str] = set()
    for row in result.rows:
        s = said.get(row.id, default)
        if s.status is None:
            continue
        percent = PERCENT[s.status](expected)
        row.percent, row.status, row.judged_status = percent, s.status.value, s.status.value
        row.gap = expected - percent
        row.light = light_of(row.gap)
        progress = s.progress or "相关工作按计划推进。"  # says nothing: no result to quote
        row.lead_reports = [
            Answer(
                unit=u,
                progress=progress,
                percent=percent,
                status=s.status.value,
                problems=s.problems,
            )
            for u in row.lead_units
        ]
        partners = [u for u in row.coop_units][: len(s.partner_problems)]
        row.coop_feedback = [
            Answer(unit=u, progress="配合推进。", problems=text)
            for u, text in zip(partners, s.partner_problems, strict=False)
        ]
        reporting.update(row.lead_units, partners)
    for unit in result.units:
        if unit.unit in reporting:
            unit.state, unit.received_at, unit.versions = "accepted", result.generated_at, 1
    return result


def render_quarter(app, out_dir, result, **kw):
    """The report of ``result``'s period on its report day (``render_report``'s ``kw``)."""
    from helpers import REPORT_NOW

    from reporting.report.render import render_report

    period = Period.parse(result.period)
    now = REPORT_NOW.replace(
        month=period.end.month % 12 + 1, year=period.end.year + (period.quarter == 4)
    )
    return render_report(
        app.settings, app.workspace, period, out_dir=out_dir, result=result, now=now, **kw
    )
