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


def year_finals(
    results: Mapping[str, QuarterResult] | list[QuarterResult],
    year: int,
    deadlines: Mapping[str, str],
    *,
    basic_percent: float,
) -> dict[str, Final]:
    """task id → 全年完成情况 of every task of the year's latest merged quarter (``results``:
    period → result, or a list of them; ``deadlines``: task id → tasks.csv ``deadline``)."""
    by_period = {r.period: r for r in results} if isinstance(results, list) else dict(results)
    merged = sorted(p for p in by_period if Period.parse(p).year == year)
    if not merged:
        return {}
    out = {}
    for row in by_period[merged[-1]].rows:
        judged = str(judging_period(deadlines.get(row.id, ""), year))
        judge = _row(by_period.get(judged), row.id)
        out[row.id] = (
            judge_row(judge, judged, basic_percent).final if judge is not None else Final.PENDING
        )
    return out


def _row(result: QuarterResult | None, task_id: str) -> RowResult | None:
    if result is None:
        return None
    return next((r for r in result.rows if r.id == task_id), None)


def final_counts(finals: Mapping[str, Final]) -> dict[Final, int]:
    """How many tasks of each 全年完成情况 (every member, in order)."""
    values = list(finals.values())
    return {f: values.count(f) for f in Final}
