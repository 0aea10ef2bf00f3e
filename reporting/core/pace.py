"""The one pace rule: what a task row is expected to have reached by a period's end, and
how a reported 推进状态 ties to the reported 累计完成进度 and that expectation.

``row_pace(task, period)`` → ``Pace`` (expected percent and its basis), for forms (the
填报说明), intake (a status that breaks the rule is a 校验提醒), merge (按数据研判, gap,
light) and every document that prints a gap:

- ``其它`` tasks: no pace (basis ``none``): the reported status and the indicators only;
- ``一次性`` tasks: no pace before the quarter of their deadline (``none``), then 100 %;
- a task due by the quarter's end: 100 %;
- the quarter's 节点 of its 落实方案 (``plan_q1`` … ``plan_q4``): basis ``plan``;
- else the straight line to its own deadline, by quarters (a task due in June is at 50 %
  in Q1 and 100 % in Q2; due in December: 25/50/75/100; extended to June of the next year:
  17/33/50/67 — quarters to the due quarter counted from the year's start): basis ``line``.

The task row is taken as given: a changed deadline or milestone flows into it.

With E = the expected percent, P = 累计完成进度, N = ``[merge] ahead_points`` and Y =
``[merge] yellow_gap``: P ≥ 100 已完成; P ≤ 0 未启动; P ≥ E + N 超序时; E − Y ≤ P < E + N
序时推进; else 滞后. Without a pace only 已完成 and 未启动 follow from the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from reporting.core.config import MergeSettings
from reporting.core.model import Status
from reporting.core.numbers import num
from reporting.core.periods import Period
from reporting.core.states import PaceBasis, TaskKind

# how documents name a basis: "低于落实方案节点12个百分点" / "低于序时进度12个百分点"
BASIS_NAME = {PaceBasis.PLAN: "落实方案节点", PaceBasis.LINE: "序时进度", PaceBasis.NONE: ""}
# the same bases in a narrow table cell (the report's table of tasks behind pace)
BASIS_SHORT = {PaceBasis.PLAN: "节点", PaceBasis.LINE: "序时", PaceBasis.NONE: ""}


class Paced(Protocol):
    """What the rule reads of a task row (``taskbook.tasks.Task``)."""

    @property
    def kind(self) -> str: ...
    @property
    def plan(self) -> tuple[float | None, ...]: ...
    @property
    def deadline(self) -> str: ...


@dataclass(frozen=True)
class Pace:
    """A row's expected percent at a period's end (None: not judged by pace) and its basis."""

    expected: float | None
    basis: PaceBasis
    kind: TaskKind = TaskKind.PROGRESS
    due: date | None = None

    @property
    def name(self) -> str:
        """落实方案节点 / 序时进度 / '' (no pace)."""
        return BASIS_NAME[self.basis]

    def gap(self, percent: float | None) -> float | None:
        """expected − percent in percentage points (None without either)."""
        if self.expected is None or percent is None:
            return None
        return round(self.expected - percent, 6)


def due_date(deadline: str) -> date | None:
    try:
        return date.fromisoformat(deadline.strip()) if deadline and deadline.strip() else None
    except ValueError:
        return None


def line_expected(due: date | None, period: Period) -> float:
    """The straight line to ``due`` by quarters: 100 once due, else quarters elapsed over
    quarters to the due quarter; no deadline → 25/50/75/100."""
    if due is not None and due <= period.end:
        return 100.0
    if due is None:
        return period.expected_progress
    # a deadline in a later year (an approved 延期 beyond the year) puts the line there:
    # quarters elapsed in the year over the quarters from the year's start to the due
    # quarter (due 2025-06-30: 50 % at 2024Q3)
    quarters = (due.year - period.year) * 4 + Period.containing(due).quarter
    return round(100 * period.quarter / quarters, 2)


def row_pace(task: Paced, period: Period) -> Pace:
    """The one rule (see the module's text)."""
    kind = TaskKind.parse(task.kind)
    due = due_date(task.deadline)
    if kind == TaskKind.OTHER:
        return Pace(None, PaceBasis.NONE, kind, due)
    if kind == TaskKind.ONE_OFF:
        if due is None or due > period.end:
            return Pace(None, PaceBasis.NONE, kind, due)
        return Pace(100.0, PaceBasis.LINE, kind, due)
    planned = milestone(task, period)
    if due is not None and due <= period.end:
        return Pace(100.0, PaceBasis.PLAN if planned == 100 else PaceBasis.LINE, kind, due)
    if planned is not None:
        return Pace(planned, PaceBasis.PLAN, kind, due)
    return Pace(line_expected(due, period), PaceBasis.LINE, kind, due)


def milestone(task: Paced, period: Period) -> float | None:
    """The task's 节点 for ``period`` (None: none given for that quarter)."""
    plan = task.plan or ()
    return plan[period.quarter - 1] if period.quarter <= len(plan) else None


def reportable(task: Paced, period: Period) -> bool:
    """False for a 一次性 task after the quarter of its deadline: judged then, no report since."""
    if TaskKind.parse(task.kind) != TaskKind.ONE_OFF:
        return True
    due = due_date(task.deadline)
    return due is None or due >= period.start


def behind_phrase(
    gap: float,
    basis: str,
    kind: str = "",
    deadline: str = "",
    percent: float | None = None,
    *,
    short: bool = False,
) -> str:
    """How far a row is behind, as every document says it: "低于落实方案节点12个百分点",
    "低于序时进度12个百分点" ("低于节点12个百分点", "低于序时12个百分点" when ``short``);
    a 一次性 task "未在完成时限（5月20日）前完成"."""
    if TaskKind.parse(kind) == TaskKind.ONE_OFF:
        due = due_date(deadline)
        when = f"（{due.month}月{due.day}日）" if due else ""
        return f"未在完成时限{when}前完成"
    names = BASIS_SHORT if short else BASIS_NAME
    return f"低于{names[PaceBasis(basis)] or names[PaceBasis.LINE]}{num(gap)}个百分点"


def judge_status(percent: float, expected: float | None, settings: MergeSettings) -> str | None:
    """What the numbers say, by the rule above (None: no pace, and neither 0 nor 100 %)."""
    if percent >= 100:
        return Status.DONE
    if percent <= 0:
        return Status.NOT_STARTED
    if expected is None:
        return None
    if percent >= expected + settings.ahead_points:
        return Status.AHEAD
    if expected - percent <= settings.yellow_gap:
        return Status.ON_TRACK
    return Status.LAGGING


# (reported, judged) pairs that are not worth a remark: 100 % reported as 超序时, 0 % as 滞后
_TOLERATED = {
    (Status.AHEAD, Status.DONE),
    (Status.LAGGING, Status.NOT_STARTED),
}


def contradiction(
    status: str | None,
    percent: float | None,
    expected: float | None,
    settings: MergeSettings,
    basis: str = PaceBasis.LINE,
) -> str:
    """Why a reported status disagrees with the reported progress ('' when it does not);
    the expectation is named by its basis (序时进度 or 落实方案节点)."""
    if status is None or percent is None:
        return ""
    judged = judge_status(percent, expected, settings)
    if judged is None or judged == status or (status, judged) in _TOLERATED:
        return ""
    p = num(percent)
    if status == Status.DONE:
        return f"报“已完成”，但累计完成进度为{p}%"
    if status == Status.NOT_STARTED:
        return f"报“未启动”，但累计完成进度为{p}%"
    if expected is None:  # no pace: only 100 % says something
        return f"报“{status}”，但累计完成进度为{p}%，应为“{judged}”"
    e, name = num(expected), BASIS_NAME[PaceBasis(basis)] or "序时进度"
    ahead = num(expected + settings.ahead_points)
    if status == Status.AHEAD:
        return f"报“超序时”，但累计完成进度{p}%未达到{ahead}%（{name}{e}%再高{num(settings.ahead_points)}个百分点）"
    if judged == Status.AHEAD:
        return f"报“{status}”，但累计完成进度{p}%已达到{ahead}%，按规则应为“超序时”"
    if status == Status.ON_TRACK:
        if judged == Status.DONE:
            return f"报“序时推进”，但累计完成进度为{p}%，应为“已完成”"
        return f"报“序时推进”，但累计完成进度{p}%低于{name}{e}%"
    if status == Status.LAGGING:
        return f"报“滞后”，但累计完成进度{p}%已达到{name}{e}%"
    return ""


def status_rule(expected: float, settings: MergeSettings) -> str:
    """The rule in words, as the 填报说明 states it for one period."""
    e, n = num(expected), num(settings.ahead_points)
    ahead = num(expected + settings.ahead_points)
    low = num(expected - settings.yellow_gap)
    return (
        f"本季度序时进度为 {e}%：累计完成进度达到 100% 选“已完成”；"
        f"达到 {ahead}% 及以上（高出序时进度 {n} 个百分点及以上）选“超序时”；"
        f"{low}% 至 {ahead}% 之间（不含 {ahead}%）选“序时推进”；低于 {low}% 选“滞后”；"
        "尚未开展、进度为 0 的选“未启动”"
    )
