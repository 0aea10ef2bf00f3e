"""Building a period's ``QuarterResult`` from the accepted answers of each unit.

Per task row: the lead units' reports and the cooperating units' feedback, the
indicator values, the 序时 judgement and a light.

- The expected progress of a row and its basis come from ``reporting.core.pace.row_pace``
  (the quarter's 落实方案 节点, else the line to the task's own deadline, else none for
  其它 tasks and 一次性 tasks before their date). gap = expected − reported progress, in
  percentage points.
- A cumulative indicator is on track when value ≥ target × expected progress (the row's,
  or the line when the row has none); a rate (growth rate, or a level such as 治理率=45%)
  when value ≥ target.
- Lights (``[merge]``): gap ≤ yellow_gap → 绿, ≤ red_gap → 黄, otherwise 红. An
  indicator behind its requirement, or a unit's own 滞后/未启动, never shows 绿. A row
  without a pace is lit by the reported status and its indicators only.
- 按数据研判 follows the rule in ``reporting.core.pace`` (超序时 = at least
  ``ahead_points`` above pace). A reported status the numbers contradict is kept as
  reported and explained in
  ``status_conflict``; ``judged_status`` is what the numbers say.
"""

from __future__ import annotations

from dataclasses import replace

from reporting.core.config import MergeSettings
from reporting.core.model import (
    Answer,
    IndicatorResult,
    Light,
    QuarterResult,
    RowResult,
    Status,
    UnitAnswers,
    UnitReturn,
)
from reporting.core.numbers import num, tenths
from reporting.core.pace import (
    BASIS_NAME,
    judge_status,
    line_expected,
    reportable,
    row_pace,
)
from reporting.core.pace import contradiction as status_contradiction
from reporting.core.periods import Period
from reporting.core.states import PaceBasis, TaskKind
from reporting.taskbook.assignments import Assignments, ResolvedTask
from reporting.taskbook.tasks import Indicator

# worst first: the row shows the worst status among its lead units
_STATUS_RANK: dict[str, int] = {
    Status.NOT_STARTED: 4,
    Status.LAGGING: 3,
    Status.ON_TRACK: 2,
    Status.AHEAD: 1,
    Status.DONE: 0,
}
_LIGHT_RANK: dict[str, int] = {Light.GREEN: 0, Light.YELLOW: 1, Light.RED: 2}


def light_for_gap(gap: float, settings: MergeSettings) -> str:
    if gap <= settings.yellow_gap:
        return Light.GREEN
    if gap <= settings.red_gap:
        return Light.YELLOW
    return Light.RED


def _worse_light(*lights: str | None) -> str | None:
    present = [light for light in lights if light]
    return max(present, key=_LIGHT_RANK.__getitem__) if present else None


def judge_indicator(
    ind: Indicator,
    value: float | None,
    expected_progress: float,
    basis: str = PaceBasis.LINE,
) -> IndicatorResult:
    res = IndicatorResult(
        name=ind.name, target=ind.target, unit=ind.unit, growth=ind.growth, value=value
    )
    if ind.is_rate:
        res.expected = ind.target
    else:
        res.expected = round(ind.target * expected_progress / 100, 6)
    if value is None:
        res.text = f"{ind.name}未填报"
        return res
    res.gap = round(value - res.expected, 6)
    res.on_track = res.gap >= 0
    res.text = _indicator_text(ind, value, res, expected_progress, basis)
    return res


def _indicator_text(
    ind: Indicator, value: float, res: IndicatorResult, expected_progress: float, basis: str
) -> str:
    gap = res.gap if res.gap is not None else 0.0  # set by judge_indicator before the text
    if ind.growth:
        verb = "增长" if value >= 0 else "下降"
        head = f"{ind.name}{verb}{num(abs(value))}%"
    elif ind.unit == "%":
        head = f"{ind.name}达到{num(value)}%"
    else:
        share = tenths(value / ind.target * 100) if ind.target else 0.0
        head = f"{ind.name}完成{num(value)}{ind.unit}，为目标{num(ind.target)}{ind.unit}的{num(share)}%"
        name = BASIS_NAME[PaceBasis(basis)] or BASIS_NAME[PaceBasis.LINE]
        if gap >= 0:
            return f"{head}，达到{name}（{num(expected_progress)}%）"
        return f"{head}，低于{name}（{num(expected_progress)}%）{num(expected_progress - share)}个百分点"
    if gap > 0:
        return f"{head}，高于目标{num(gap)}个百分点"
    if gap == 0:
        return f"{head}，达到目标"
    return f"{head}，低于目标{num(-gap)}个百分点"


def _indicator_gap_pp(res: IndicatorResult, expected_progress: float) -> float | None:
    """How far behind an indicator is, on the same percentage-point scale as progress."""
    if res.value is None or res.gap is None:
        return None
    if res.growth or res.unit == "%":
        return -res.gap
    if not res.target:
        return None
    return expected_progress - res.value / res.target * 100


def contradiction(
    answer: Answer, expected: float | None, settings: MergeSettings, basis: str = PaceBasis.LINE
) -> str:
    """Why a unit's reported status disagrees with its reported progress ('' when it does not)."""
    return status_contradiction(answer.status, answer.percent, expected, settings, basis)


def row_skeleton(row: ResolvedTask) -> RowResult:
    """A task row with nothing reported yet (what a report shows before any return)."""
    t = row.task
    return RowResult(
        id=t.id,
        label=t.label,
        section=t.section,
        section_title=t.section_title,
        task_no=t.task_no,
        task_title=t.task_title,
        content=t.content,
        lead_leaders=list(row.lead_leaders),
        lead_units=list(row.lead_units),
        coop_units=list(row.coop_units),
        coop_collective=list(row.coop_collective),
        short_title=t.short_title,
        kind=t.kind,
        deadline=t.deadline,
        owner=t.owner,
    )


def build_row(
    row: ResolvedTask,
    answers: dict[str, UnitAnswers],
    period: Period,
    settings: MergeSettings,
) -> RowResult:
    t = row.task
    result = row_skeleton(row)
    for units, part, target in (
        (row.lead_units, "lead", result.lead_reports),
        (row.coop_units, "coop", result.coop_feedback),
    ):
        for unit in units:
            a = answers.get(unit)
            given = getattr(a, part) if a is not None else {}
            if t.id in given:
                target.append(given[t.id])
            else:
                result.missing_units.append(unit)
    pace = row_pace(t, period)
    expected = pace.expected
    result.expected_progress, result.pace_basis = expected, pace.basis
    # a row without a pace still has indicators: judged against the line to its deadline
    ind_expected, ind_basis = (
        (expected, pace.basis)
        if expected is not None
        else (line_expected(pace.due, period), PaceBasis.LINE)
    )
    # indicators: the first lead unit (the notice lists the main one first) that gave a value
    for ind in t.indicators:
        value = next(
            (
                r.indicators.get(ind.name)
                for r in result.lead_reports
                if r.indicators.get(ind.name) is not None
            ),
            None,
        )
        result.indicators.append(judge_indicator(ind, value, ind_expected, ind_basis))
    if not result.lead_reports:
        return result
    statuses = [r.status for r in result.lead_reports if r.status]
    if statuses:
        result.status = max(statuses, key=lambda s: _STATUS_RANK.get(s, 0))
    percents = [r.percent for r in result.lead_reports if r.percent is not None]
    lights: list[str | None] = []
    if percents:
        result.percent = min(percents)
        result.judged_status = judge_status(result.percent, expected, settings)
        if expected is not None:
            result.gap = round(expected - result.percent, 6)
            lights.append(light_for_gap(result.gap, settings))
    behind = [i for i in result.indicators if i.on_track is False]
    for res in behind:
        gap_pp = _indicator_gap_pp(res, ind_expected)
        lights.append(
            _worse_light(
                Light.YELLOW, light_for_gap(gap_pp, settings) if gap_pp is not None else None
            )
        )
    if behind and result.judged_status not in (None, Status.DONE, Status.NOT_STARTED):
        result.judged_status = Status.LAGGING
    if result.status == Status.LAGGING:
        lights.append(Light.YELLOW)
    elif result.status == Status.NOT_STARTED:
        if expected is not None and expected > 0:
            lights.append(Light.RED)
        elif pace.kind == TaskKind.OTHER:
            lights.append(Light.YELLOW)  # not judged by pace, but nothing done yet
        else:
            lights.append(Light.GREEN)  # a 一次性 task before its date
    if (not percents or expected is None) and result.status in (
        Status.DONE,
        Status.AHEAD,
        Status.ON_TRACK,
    ):
        lights.append(Light.GREEN)
    result.light = _worse_light(*lights)
    result.status_conflict = _conflicts(result, expected, pace.basis, settings, behind)
    return result


def _conflicts(
    result: RowResult,
    expected: float | None,
    basis: str,
    settings: MergeSettings,
    behind: list[IndicatorResult],
) -> str:
    notes = []
    several = len(result.lead_reports) > 1
    for rep in result.lead_reports:
        why = contradiction(rep, expected, settings, basis)
        if why:
            notes.append(f"{rep.unit}{why}" if several else why)
    good = (Status.DONE, Status.AHEAD, Status.ON_TRACK)
    if behind and result.status in good:
        names = "、".join(i.name for i in behind)
        notes.append(f"报“{result.status}”，但指标{names}未达到{_requirement(basis)}")
    return "；".join(notes)


def _requirement(basis: str) -> str:
    return "落实方案节点要求" if basis == PaceBasis.PLAN else "序时要求"


def build_result(
    assignments: Assignments,
    period: Period,
    answers: dict[str, UnitAnswers],
    units: list[UnitReturn],
    settings: MergeSettings,
    *,
    deadline: str,
    generated_at: str,
    previous: QuarterResult | None = None,
) -> QuarterResult:
    """The merged result of ``period``; ``units`` lists every unit due, with its return state.

    A row no unit reports on any more (``core.pace.reportable``: a 一次性 task after the
    quarter of its deadline) repeats its row of ``previous`` (last quarter's result), marked
    ``carried_from`` the quarter that judged it."""
    before = {r.id: r for r in previous.rows} if previous is not None else {}
    rows = []
    for row in assignments.rows:
        if reportable(row.task, period):
            rows.append(build_row(row, answers, period, settings))
        else:
            rows.append(carried_row(row, before.get(row.id), period))
    return QuarterResult(
        period=str(period),
        period_label=period.full_label,
        expected_progress=period.expected_progress,
        deadline=deadline,
        generated_at=generated_at,
        rows=rows,
        units=units,
    )


def carried_row(row: ResolvedTask, before: RowResult | None, period: Period) -> RowResult:
    """A row judged in an earlier quarter, as that quarter left it (no unit missing now)."""
    pace = row_pace(row.task, period)
    result = replace(before, missing_units=[]) if before is not None else row_skeleton(row)
    result.carried_from = str(Period.containing(pace.due)) if pace.due else str(period.previous())
    result.expected_progress, result.pace_basis = pace.expected, pace.basis
    return result
