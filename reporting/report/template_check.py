"""``duban check``'s template check: render the report and a brief from a small sample.

A template the office edited in Word/WPS can hold a broken tag or render to XML Word
cannot open; rendering a result that exercises every branch (and hostile unit text)
finds both before the quarter's real report is due. The sample is a second quarter
compared with a first, so the comparison with last quarter is rendered too.
"""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path

from reporting.core.config import Settings
from reporting.core.exceptions import ReportError
from reporting.core.model import Light, QuarterResult, Status
from reporting.core.periods import Period
from reporting.core.workspace import Workspace
from reporting.report.render import empty_result, render_report

CHECK_STATUSES = [
    Status.ON_TRACK,
    Status.LAGGING,
    None,
    Status.DONE,
    Status.NOT_STARTED,
    Status.AHEAD,
]
# last quarter's statuses for the check: rows that caught up and rows that fell behind
CHECK_PREVIOUS = [
    Status.LAGGING,
    Status.ON_TRACK,
    Status.ON_TRACK,
    Status.DONE,
    Status.ON_TRACK,
    Status.NOT_STARTED,
]


def sample_for_check(
    settings: Settings, assignments, period: Period, statuses=CHECK_STATUSES
) -> QuarterResult:
    """A small result exercising every branch of the templates (and hostile unit text)."""
    from reporting.core.model import Answer

    result = empty_result(settings, assignments, period)
    result.rows = result.rows[:6]
    for row, status in zip(result.rows, statuses, strict=False):
        if status is None:
            continue
        row.status, row.percent = status.value, 10.0 if status is Status.LAGGING else 30.0
        row.light = Light.RED if status in (Status.LAGGING, Status.NOT_STARTED) else Light.GREEN
        row.lead_reports = [
            Answer(unit=u, progress='检查用 <文字> & "引号"\n第二行', problems="检查用")
            for u in row.lead_units
        ]
        for ind in row.indicators:
            ind.value, ind.on_track = ind.target, True
    for i, unit in enumerate(result.units[:4]):
        unit.state, unit.late = ("accepted", i == 1) if i < 3 else ("rejected", False)
    return result


def check_templates(settings: Settings, assignments, period: Period | None = None) -> list:
    """Render both templates with a small result; a CheckFinding for each that fails.

    The default period is the year's second quarter, compared with a first-quarter sample.
    """
    import tempfile

    from docx import Document

    from reporting.core.problems import CheckFinding

    period = period or Period(settings.district.year, 2)
    problems = []
    with tempfile.TemporaryDirectory(prefix="duban-check-") as tmp:
        try:
            result = sample_for_check(settings, assignments, period)
            previous = None
            if period.quarter > 1:
                previous = sample_for_check(
                    settings, assignments, period.previous(), statuses=CHECK_PREVIOUS
                )
            out = render_report(
                settings,
                Workspace(Path(tmp)),
                period,
                out_dir=Path(tmp),
                result=result,
                by_leader=True,
                now=datetime.combine(period.end, time(12), settings.deadline.zone),
                today=period.end,
                previous=previous,
            )
            for path in [out.docx, *out.briefs]:
                Document(str(path))  # the rendered XML must still be a valid document
        except ReportError as exc:
            problems.append(CheckFinding("报告模板", str(exc)))
        except Exception as exc:  # noqa: BLE001 - anything else means the template is broken
            problems.append(
                CheckFinding(
                    "报告模板",
                    f"模板渲染后的文件无法打开（{type(exc).__name__}: {exc}），请从仓库恢复 templates/ 下的模板后重新修改",
                )
            )
    return problems
