"""One tally of a period's task rows: statuses, lights, on pace or behind, per section.

The report's text, its chart and annex, the leader briefs, the 汇总表, the 通报, the
comparison with last quarter and the year's status by quarter all count with
``task_counts`` (``QuarterResult`` has no count of its own) so their numbers cannot disagree; ``light_reason`` says in one phrase why
a row is not green (the report prints it beside every yellow and red item).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from reporting.core.model import MISSING, Light, RowResult, Status
from reporting.core.numbers import num
from reporting.core.pace import behind_phrase
from reporting.core.states import PaceBasis, TaskKind

ON_PACE = (Status.DONE, Status.AHEAD, Status.ON_TRACK)
BEHIND = (Status.LAGGING, Status.NOT_STARTED)
STATUS_KEYS = (*Status.choices(), MISSING)  # every count by status, in this order


@dataclass(frozen=True)
class TaskCounts:
    total: int
    status: dict[str, int]  # every Status value and 未报送, in that order
    lights: dict[str, int]  # 绿/黄/红
    on_pace_yellow: int  # on pace by progress, yet yellow or red (an indicator or a flag)

    @property
    def on_pace(self) -> int:
        return sum(self.status[s] for s in ON_PACE)

    @property
    def behind(self) -> int:
        return sum(self.status[s] for s in BEHIND)

    @property
    def missing(self) -> int:
        return self.status[MISSING]

    @property
    def unlit(self) -> int:
        return self.total - sum(self.lights.values())


def task_counts(rows: list[RowResult]) -> TaskCounts:
    """Counts of ``rows`` by reported status (None → 未报送) and by light."""
    status = Counter(r.status or MISSING for r in rows)
    lights = Counter(r.light for r in rows if r.light)
    return TaskCounts(
        total=len(rows),
        status={k: status.get(k, 0) for k in STATUS_KEYS},
        lights={light: lights.get(light, 0) for light in Light},
        on_pace_yellow=sum(
            1 for r in rows if r.status in ON_PACE and r.light in (Light.YELLOW, Light.RED)
        ),
    )


def section_counts(rows: list[RowResult]) -> list[tuple[int, str, TaskCounts]]:
    """[(section number, section title, counts)] in section order."""
    by: dict[int, list[RowResult]] = {}
    for r in rows:
        by.setdefault(r.section, []).append(r)
    return [(n, rs[0].section_title, task_counts(rs)) for n, rs in sorted(by.items())]


def indicator_shortfall(ind) -> str:
    """'进出口总额增长9.1%，低于目标0.4个百分点' / '新增停车泊位完成目标的27.9%'."""
    if ind.value is None:
        return f"{ind.name}未填报"
    if ind.growth or ind.unit == "%" or not ind.target:
        return ind.text or f"{ind.name}未达到要求"
    return f"{ind.name}完成目标的{num(round(100 * ind.value / ind.target, 1))}%"


def light_reason(row: RowResult) -> str:
    """Why ``row`` is yellow or red, in one phrase ('' for green or unlit rows).

    '累计完成40%，低于序时进度10个百分点' / '进出口总额增长4.1%，低于目标5.4个百分点'
    / '单位自报滞后' / '尚未启动'. Each cause that applies, joined with '；'.
    """
    if row.light not in (Light.YELLOW, Light.RED):
        return ""
    parts = []
    behind = gap_text(row)
    if behind:
        parts.append(f"累计完成{num(row.percent)}%，{behind}")
        if row.status in ON_PACE:  # the unit says otherwise (the merge's status conflict)
            parts[-1] += f"，单位自报“{row.status}”"
    for ind in row.indicators:
        if ind.on_track is False:
            parts.append(indicator_shortfall(ind))
    if row.status == Status.NOT_STARTED:
        parts.append("尚未启动")
    elif row.status == Status.LAGGING and not parts:
        parts.append("单位自报滞后")
    if not parts and row.status_conflict:
        parts.append(row.status_conflict)
    return "；".join(parts)


def gap_text(row: RowResult, *, short: bool = False) -> str:
    """How far ``row`` is behind its pace, on its basis ('' when it is not behind or has no
    pace): "低于落实方案节点20个百分点", "低于序时进度20个百分点", "未在完成时限（5月20日）前完成".
    The report, the 通报, the briefs and the scores all say it with this (``short``: "低于节点20
    个百分点" for a narrow table cell)."""
    if row.gap is None or row.gap <= 0 or row.percent is None:
        return ""
    return behind_phrase(row.gap, row.pace_basis, row.kind, row.deadline, short=short)


def pace_note(rows: list[RowResult], line: float) -> str:
    """Which rows are not judged by the period's 序时进度 ``line``, said once and short (the
    report's first page is full): "3项按落实方案节点、1项一次性任务按完成时限研判，2项其它类
    任务不按进度研判" ('' when none)."""
    plan = one_off = other = own = 0
    for r in rows:
        kind = TaskKind.parse(r.kind)
        if kind == TaskKind.OTHER:
            other += 1
        elif kind == TaskKind.ONE_OFF:
            one_off += 1
        elif r.pace_basis == PaceBasis.PLAN:
            plan += 1
        elif r.expected_progress is not None and r.expected_progress != line:
            own += 1
    judged = [
        text
        for n, text in (
            (plan, f"{plan}项按落实方案节点"),
            (own, f"{own}项按各自完成时限的序时进度"),
            (one_off, f"{one_off}项一次性任务按完成时限"),
        )
        if n
    ]
    parts = ["、".join(judged) + "研判"] if judged else []
    if other:
        parts.append(f"{other}项其它类任务不按进度研判")
    return "，".join(parts)


def plan_words(rows: list[RowResult]) -> str:
    """ "或落实方案节点" when some rows are judged by their 节点 ("达到序时进度或落实方案节点的N项")."""
    return "或落实方案节点" if any(r.pace_basis == PaceBasis.PLAN for r in rows) else ""


def expected_text(row: RowResult) -> str:
    """A row's expectation for a table cell: "落实方案节点60%", "序时进度50%", "不按进度研判"."""
    if row.expected_progress is None:
        return "不按进度研判"
    name = "落实方案节点" if row.pace_basis == PaceBasis.PLAN else "序时进度"
    return f"{name}{num(row.expected_progress)}%"
