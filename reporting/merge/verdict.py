"""全年完成情况, the one verdict: each task judged at its judging quarter from that quarter's
merged result — what the annual edition, the year workbook, the fourth quarter's 通报, its
汇总表 header and briefs all print (``reporting.annual.year`` builds the year around it).

The rule (``rule_text`` is the sentence the documents print):

- A task is judged at its **judging quarter**: the quarter holding its ``deadline`` (tasks.csv)
  when that deadline falls in the year before its last quarter, otherwise the fourth quarter
  (no deadline, a deadline in the fourth quarter, or a later year).
- There, from the merged result of that quarter: the row's cumulative progress (the lowest
  of its lead units) and each indicator's value against its full target — a growth rate
  (增长8%) or a level rate (治理率=45%) compared as a rate, a cumulative amount with the
  whole year's target.
- 完成: progress 100 % (or reported 已完成 without a percentage) and every indicator reached.
- 基本完成: not 完成, but progress at least ``[report] annual_basic_percent`` (default 90).
- 未完成: everything else, including a task whose lead units did not report that quarter.
- Not yet judged (``Final.PENDING``): the judging quarter has no merged result yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from reporting.core.model import IndicatorResult, QuarterResult, RowResult
from reporting.core.numbers import growth_text, num
from reporting.core.periods import Period
from reporting.core.states import Final, Status


class Reached(StrEnum):
    """An indicator's final value against its target."""

    REACHED = "达到"
    MISSED = "未达到"
    MISSING = "未填报"


def rule_text(basic_percent: float) -> str:
    """The rule in one sentence, for the report and the workbook."""
    return (
        "完成时限在年内前三个季度的任务，按完成时限所在季度的报送判定，其余任务按第四季度的报送判定；"
        "累计完成进度达到100%且各项量化指标均达到年度目标（增速、比率按目标值判定，累计量按全年目标判定）的为“完成”，"
        f"未完成但累计完成进度不低于{num(basic_percent)}%的为“基本完成”，其余（含牵头单位未报送的）为“未完成”"
    )


@dataclass
class IndicatorFinal:
    task_id: str
    label: str
    name: str
    target_text: str  # 增长8%, 4100人, 45%
    value_text: str  # 增长7.5%, 4200人, 未填报
    reached: Reached
    compare: str  # 高于目标0.5个百分点 / 完成全年目标的102.4% / —
    units: list[str]
    period: str  # the judging quarter


@dataclass
class Verdict:
    """One task's 全年完成情况 and what falls short."""

    final: Final = Final.PENDING
    percent: float | None = None  # at the judging quarter
    indicators: list[IndicatorFinal] = field(default_factory=list)
    shortfall: str = ""  # progress, indicators, 未报送
    problems: str = ""  # the lead units' own 存在问题 at the judging quarter (not 完成)
    next_steps: str = ""  # and their 下步打算
    change: str = ""  # an approved 销号 / 延期 / 调整 in words


def judging_period(deadline: str, year: int) -> Period:
    """The quarter a task is judged at (see the module's rule)."""
    try:
        due = date.fromisoformat(deadline.strip()) if deadline else None
    except ValueError:
        due = None
    if due is not None and due.year == year:
        return Period.containing(due)
    return Period(year, 4)


def joined(texts) -> str:
    """Several lead units' texts as one: each once, joined by ；, one final 。."""
    seen = dict.fromkeys(t.strip().rstrip("。；;，, ") for t in texts if t and t.strip())
    seen.pop("", None)
    return "；".join(seen) + "。" if seen else ""


def judge_row(row: RowResult, judged_at: str, basic: float) -> Verdict:
    """``row`` (its judging quarter's) judged by the rule."""
    v = Verdict(indicators=[_indicator(row, ind, judged_at) for ind in row.indicators])
    if not row.reported:
        v.final = Final.UNDONE
        v.shortfall = f"牵头单位{Period.parse(judged_at).label}未报送"
        return v
    percent = row.percent
    if percent is None and row.status == Status.DONE:
        percent = 100.0
    v.percent = percent
    missed = [i for i in v.indicators if i.reached != Reached.REACHED]
    if percent is not None and percent >= 100 and not missed:
        v.final = Final.DONE
    elif percent is not None and percent >= basic:
        v.final = Final.MOSTLY
    else:
        v.final = Final.UNDONE
    if v.final == Final.DONE:
        return v
    parts = []
    if percent is None:
        parts.append("未填报累计完成进度")
    elif percent < 100:
        parts.append(f"累计完成进度{num(percent)}%")
    for i in missed:
        parts.append(
            f"{i.name}未填报"
            if i.reached == Reached.MISSING
            else f"{i.name}{i.value_text}，{i.compare}"
        )
    v.shortfall = "；".join(parts)
    v.problems = joined(a.problems for a in row.lead_reports)
    v.next_steps = joined(a.next_steps for a in row.lead_reports)
    return v


def _indicator(row: RowResult, ind: IndicatorResult, judged_at: str) -> IndicatorFinal:
    """The indicator's value at the judging quarter against its full target."""
    rate = ind.growth or ind.unit == "%"
    target = f"增长{num(ind.target)}%" if ind.growth else f"{num(ind.target)}{ind.unit}"
    if ind.value is None:
        value, reached, compare = "未填报", Reached.MISSING, "—"
    else:
        value = growth_text(ind.value) if ind.growth else f"{num(ind.value)}{ind.unit}"
        gap = round(ind.value - ind.target, 6)
        reached = Reached.REACHED if gap >= 0 else Reached.MISSED
        if rate:
            compare = (
                "与目标持平"
                if gap == 0
                else f"{'高于' if gap > 0 else '低于'}目标{num(abs(gap))}个百分点"
            )
        elif ind.target:
            compare = f"完成全年目标的{num(round(100 * ind.value / ind.target, 1))}%"
        else:
            compare = "—"
    return IndicatorFinal(
        row.id,
        row.label,
        ind.name,
        target,
        value,
        reached,
        compare,
        list(row.lead_units),
        judged_at,
    )


def change_notes(book) -> tuple[dict[str, str], dict[str, str]]:
    """(closed, changed): task id → its approved 销号 / 延期 and 调整 in words, from a task
    book (``taskbook.period_book``; a plain task table has none)."""
    from reporting.taskbook.changes import change_mark

    closed = {
        c.row.id: f"{c.quarter.full_label}{change_mark(c.change)}"
        for c in getattr(book, "closed", [])
    }
    changed = {
        tid: "；".join(change_mark(c) for c in changes if c.task_id not in closed)
        for tid, changes in getattr(book, "revisions", {}).items()
        if tid not in closed
    }
    return closed, changed


def task_deadlines(book) -> dict[str, str]:
    """task id → the ``deadline`` in force (an approved 延期 included) of a task book."""
    if book is None:
        return {}
    return {r.task.id: r.task.deadline for r in book.rows}


def year_rows(results: Mapping[str, QuarterResult], closed: Mapping[str, str]) -> list[RowResult]:
    """The year's tasks: the latest merged quarter's rows, and each task 销号 during the year
    (``closed``) from the last quarter that had it, in task order."""
    merged = sorted(results)
    rows = list(results[merged[-1]].rows)
    present = {r.id for r in rows}
    for tid in closed:
        if tid not in present:
            last = next((r for p in reversed(merged) if (r := _row(results[p], tid))), None)
            if last is not None:
                rows.append(last)
    rows.sort(key=lambda r: tuple(int(x) if x.isdigit() else 0 for x in r.id.split(".")))
    return rows


def task_verdict(
    row: RowResult,
    results: Mapping[str, QuarterResult],
    year: int,
    deadline: str,
    basic: float,
    *,
    closed: str = "",
    changed: str = "",
) -> Verdict:
    """One task's verdict: judged at its judging quarter (``Final.PENDING`` while that quarter
    is not merged); an approved 销号 is 完成; a 时限 extended beyond the year is not yet due."""
    judged = str(judging_period(deadline, year))
    judge = _row(results.get(judged), row.id)
    v = judge_row(judge, judged, basic) if judge is not None else Verdict()
    if closed:
        v.final, v.change, v.shortfall = Final.DONE, closed, ""
        return v
    v.change = changed
    due = deadline[:4]
    if changed and due.isdigit() and int(due) > year and v.final != Final.DONE:
        v.final = Final.PENDING
        v.shortfall = f"{changed}，列入下一年度跟踪督办"
    return v


def year_finals(
    results: Mapping[str, QuarterResult] | list[QuarterResult],
    year: int,
    book,
    *,
    basic_percent: float,
) -> dict[str, Final]:
    """task id → 全年完成情况 of every task of the year (``year_rows``), judged with ``book``'s
    deadlines and approved changes (``taskbook.period_book.year_book``; a plain table too)."""
    by_period = {r.period: r for r in results} if isinstance(results, list) else dict(results)
    by_period = {p: r for p, r in by_period.items() if Period.parse(p).year == year}
    if not by_period:
        return {}
    closed, changed = change_notes(book)
    deadlines = task_deadlines(book)
    return {
        row.id: task_verdict(
            row,
            by_period,
            year,
            deadlines.get(row.id, ""),
            basic_percent,
            closed=closed.get(row.id, ""),
            changed=changed.get(row.id, ""),
        ).final
        for row in year_rows(by_period, closed)
    }


def _row(result: QuarterResult | None, task_id: str) -> RowResult | None:
    if result is None:
        return None
    return next((r for r in result.rows if r.id == task_id), None)


def final_counts(finals: Mapping[str, Final]) -> dict[Final, int]:
    """How many tasks of each 全年完成情况 (every member, in order)."""
    values = list(finals.values())
    return {f: values.count(f) for f in Final}
