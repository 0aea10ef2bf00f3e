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
    if row.gap is not None and row.gap > 0 and row.percent is not None:
        parts.append(f"累计完成{num(row.percent)}%，低于序时进度{num(row.gap)}个百分点")
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
