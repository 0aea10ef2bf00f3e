"""The year in one computation: every task × quarter, every unit × quarter, and each task's
全年完成情况 — what ``duban year`` writes and the annual edition of the report shows.

The rule is ``merge.verdict``'s (the fourth quarter's 通报, 汇总表 and briefs print the same
verdict): each task judged at its judging quarter as 完成, 基本完成 or 未完成.

Unfinished tasks carry the lead units' own 存在问题 and 下步打算 of the judging quarter.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reporting.core.exceptions import ReportError
from reporting.core.model import MISSING, QuarterResult, RowResult
from reporting.core.numbers import num
from reporting.core.periods import Period
from reporting.core.states import Final, PaceBasis
from reporting.core.submissions import Submitted
from reporting.core.workspace import Workspace
from reporting.merge.tally import task_counts
from reporting.merge.verdict import (
    IndicatorFinal,
    Reached,
    change_notes,
    joined,
    judging_period,
    rule_text,
    task_verdict,
    year_rows,
)
from reporting.taskbook.short_names import short_title_of

__all__ = ["Final", "IndicatorFinal", "Reached", "change_notes", "judging_period", "rule_text"]

QUARTERS = (1, 2, 3, 4)
NOT_MERGED = "未汇总"  # a quarter without a merged result
CLOSED = "已销号"  # a quarter after the task's approved 销号: nothing asked, nothing missing


NOT_DUE = "—"  # a quarter the unit had nothing to report, or not merged yet


@dataclass
class QuarterCell:
    """One task in one quarter."""

    period: str
    percent: float | None = None
    status: str = MISSING  # a Status value or 未报送
    light: str = ""
    progress: str = ""  # the lead units' 本季度工作进展
    problems: str = ""
    next_steps: str = ""
    expected: float | None = None  # the quarter's expected progress of the row (core.pace)
    basis: str = PaceBasis.LINE

    @property
    def short(self) -> str:
        """'45% 超序时' (the trend table's cell); the basis where it is not the 序时进度:
        '45% 超序时（节点40%）', '60% 序时推进（不按进度）'."""
        if self.percent is None:
            return self.status
        return f"{num(self.percent)}% {self.status}{self.basis_note}"

    @property
    def basis_note(self) -> str:
        if self.basis == PaceBasis.PLAN and self.expected is not None:
            return f"（节点{num(self.expected)}%）"
        return "（不按进度）" if self.basis == PaceBasis.NONE else ""


@dataclass
class TaskYear:
    id: str
    label: str
    section: int
    short_title: str
    task_title: str
    lead_units: list[str]
    deadline: str
    judged_at: str  # the judging quarter, e.g. 2024Q2
    quarters: dict[str, QuarterCell] = field(default_factory=dict)  # period → cell
    final: Final = Final.PENDING
    percent: float | None = None  # at the judging quarter
    indicators: list[IndicatorFinal] = field(default_factory=list)
    shortfall: str = ""  # what falls short: progress, indicators, 未报送
    problems: str = ""  # the lead units' own 存在问题 at the judging quarter
    next_steps: str = ""  # and their 下步打算
    change: str = ""  # an approved 销号/延期/调整 the year is judged by, in words

    @property
    def reason(self) -> str:
        """The unit's reason in one text (the workbook's column)."""
        parts = []
        if self.problems:
            parts.append(f"存在问题：{self.problems.rstrip('。')}")
        if self.next_steps:
            parts.append(f"下步打算：{self.next_steps.rstrip('。')}")
        if parts:
            return "；".join(parts) + "。"
        return "" if self.final in (Final.DONE, Final.PENDING) else "牵头单位未说明原因。"

    @property
    def early(self) -> bool:
        """Judged before the fourth quarter (its deadline is earlier in the year)."""
        return not self.judged_at.endswith("Q4")


@dataclass
class UnitYear:
    unit: str
    kind: str
    quarters: dict[str, Submitted | None] = field(default_factory=dict)  # None: not due

    def count(self, state: Submitted) -> int:
        return sum(1 for s in self.quarters.values() if s == state)

    def cell(self, period: str) -> str:
        """The 单位×季度 cell: 按时, 逾期, 退回未重报, 待核实, 未报送 or —."""
        state = self.quarters[period]
        return NOT_DUE if state is None else state.short


@dataclass
class YearData:
    year: int
    periods: list[str]  # the year's four quarters, in order
    merged: list[str]  # the quarters with a merged result
    tasks: list[TaskYear]
    units: list[UnitYear]
    basic_percent: float
    results: dict[str, QuarterResult] = field(default_factory=dict)

    @property
    def rule(self) -> str:
        return rule_text(self.basic_percent)

    def final_counts(self) -> dict[str, int]:
        return {f.value: sum(1 for t in self.tasks if t.final == f) for f in Final}

    def indicators(self) -> list[IndicatorFinal]:
        return [i for t in self.tasks for i in t.indicators]

    def unfinished(self) -> list[TaskYear]:
        return [t for t in self.tasks if t.final in (Final.MOSTLY, Final.UNDONE)]

    def status_by_quarter(self) -> list[tuple[str, dict[str, int]]]:
        """[(第一季度, {status → tasks})] for the quarters merged (the chart): each quarter's
        own tally, the counts its report and 通报 printed (a task 销号 earlier is not in it)."""
        return [
            (Period.parse(p).label, task_counts(self.results[p].rows).status) for p in self.merged
        ]


def load_year(workspace: Workspace, year: int) -> dict[str, QuarterResult]:
    """The year's merged results by period; a Chinese error when there is none."""
    out = {}
    for q in QUARTERS:
        period = Period(year, q)
        path = workspace.merged_json(period)
        if not path.exists():
            continue
        try:
            out[str(period)] = QuarterResult.load(path)
        except (ValueError, TypeError, KeyError) as exc:
            raise ReportError(
                f"汇总结果 {path} 无法读取（{exc}），请运行 duban collect --period {period} 重新汇总"
            ) from None
    if not out:
        raise ReportError(
            f"{year}年还没有任何季度的汇总结果（{workspace.root}/{year}Q1…{year}Q4/merged.json 都不存在）；"
            f"请先回收并汇总各季度报送（duban collect --period {year}Q1 等），再生成全年汇总"
        )
    return out


def build_year(
    results: dict[str, QuarterResult],
    year: int,
    deadlines: dict[str, str],
    *,
    basic_percent: float = 90.0,
    kinds: dict[str, str] | None = None,
    closed: dict[str, str] | None = None,
    changed: dict[str, str] | None = None,
) -> YearData:
    """The year from its merged results (``load_year``); ``deadlines``: task id → the
    ``deadline`` in force (an approved 延期 included). Task rows and units come from the
    latest quarter merged, in its order, and the tasks 销号 during the year (``closed``: id →
    the approval in words) from the last quarter that asked for them: 完成. A task whose
    approved 时限 lies beyond the year (``changed``: id → the approval) is not judged
    未完成: 尚未判定, carried into next year."""
    periods = [str(Period(year, q)) for q in QUARTERS]
    closed, changed = closed or {}, changed or {}
    tasks = []
    for row in year_rows({p: r for p, r in results.items() if p in periods}, closed):
        deadline = deadlines.get(row.id, "")
        t = TaskYear(
            id=row.id,
            label=row.label,
            section=row.section,
            short_title=short_title_of(row),  # the name every document prints
            task_title=row.task_title,
            lead_units=list(row.lead_units),
            deadline=deadline,
            judged_at=str(judging_period(deadline, year)),
        )
        for p in periods:
            if p in results:
                asked = _row(results[p], row.id)
                if asked is None and row.id in closed:
                    t.quarters[p] = QuarterCell(p, status=CLOSED)
                else:
                    t.quarters[p] = _cell(p, asked)
            else:
                t.quarters[p] = QuarterCell(p, status=NOT_MERGED)
        v = task_verdict(
            row,
            results,
            year,
            deadline,
            basic_percent,
            closed=closed.get(row.id, ""),
            changed=changed.get(row.id, ""),
        )
        t.final, t.percent, t.indicators, t.shortfall = (
            v.final,
            v.percent,
            v.indicators,
            v.shortfall,
        )
        t.problems, t.next_steps, t.change = v.problems, v.next_steps, v.change
        tasks.append(t)
    units = _units(results, periods, kinds or {})
    _worded_as_annex(tasks, units)
    merged = [p for p in periods if p in results]
    return YearData(year, periods, merged, tasks, units, basic_percent, dict(results))


# a task without its lead unit's report, said as annex 3 says the unit's quarter
_NOT_REPORTED = {
    Submitted.REJECTED: "报送的表格被退回后未重新报送",
    Submitted.HELD: "的报送待核实",
}


def _worded_as_annex(tasks: list[TaskYear], units: list[UnitYear]) -> None:
    """ "牵头单位第四季度未报送" where annex 3 says 退回 or 待核实 was two stories of one
    unit: the shortfall takes the lead unit's state in the judging quarter."""
    state = {u.unit: u.quarters for u in units}
    for t in tasks:
        missing = f"牵头单位{Period.parse(t.judged_at).label}未报送"
        if t.shortfall != missing:
            continue
        states = [state.get(u, {}).get(t.judged_at) for u in t.lead_units]
        said = next((_NOT_REPORTED[s] for s in states if s in _NOT_REPORTED), "")
        if said:
            t.shortfall = f"牵头单位{Period.parse(t.judged_at).label}{said}"


def _row(result: QuarterResult | None, task_id: str) -> RowResult | None:
    if result is None:
        return None
    return next((r for r in result.rows if r.id == task_id), None)


def _cell(period: str, row: RowResult | None) -> QuarterCell:
    cell = QuarterCell(period)
    if row is None or not row.reported:
        return cell
    cell.percent = row.percent
    cell.expected, cell.basis = row.expected_progress, row.pace_basis
    cell.status = row.status or MISSING
    cell.light = row.light or ""
    cell.progress = joined(a.progress for a in row.lead_reports)
    cell.problems = joined(a.problems for a in row.lead_reports)
    cell.next_steps = joined(a.next_steps for a in row.lead_reports)
    return cell


def _units(
    results: dict[str, QuarterResult], periods: list[str], kinds: dict[str, str]
) -> list[UnitYear]:
    order: dict[str, UnitYear] = {}
    for p in periods:
        result = results.get(p)
        if result is None:
            continue
        for u in result.units:
            uy = order.setdefault(u.unit, UnitYear(u.unit, kinds.get(u.unit, u.kind)))
            uy.quarters[p] = u.submitted
    for uy in order.values():
        for p in periods:
            uy.quarters.setdefault(p, None)
    return list(order.values())


def year_data(
    settings, workspace: Workspace, assignments, year: int, fourth: QuarterResult | None = None
) -> YearData:
    """The year as ``duban year`` and the annual report see it: merged results, deadlines
    from the task table, unit kinds from the registry. ``fourth``: the fourth quarter's
    result as the report shows it (an empty one before anything was collected)."""
    if fourth is not None and not workspace.merged_json(Period(year, 4)).exists():
        try:
            results = load_year(workspace, year)
        except ReportError:
            results = {}
        results[fourth.period] = fourth
    else:
        results = load_year(workspace, year)
    deadlines = {r.task.id: r.task.deadline for r in assignments.rows}
    kinds = {name: u.kind for name, u in assignments.registry.units.items()}
    closed, changed = change_notes(assignments)
    return build_year(
        results,
        year,
        deadlines,
        basic_percent=settings.report.annual_basic_percent,
        kinds=kinds,
        closed=closed,
        changed=changed,
    )
