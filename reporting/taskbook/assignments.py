"""The resolved task table: each row with canonical leaders and units, and each unit's rows.

This is the one place that decides who reports on what: forms, intake, merge and
reminders all ask ``Assignments``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from reporting.core.pace import reportable
from reporting.core.periods import Period
from reporting.core.problems import CheckFinding
from reporting.core.states import TaskKind
from reporting.taskbook.registry import Registry
from reporting.taskbook.tasks import Task


@dataclass(frozen=True)
class ResolvedTask:
    task: Task
    lead_leaders: tuple[str, ...]
    assist_leaders: tuple[str, ...]
    lead_units: tuple[str, ...]
    coop_units: tuple[str, ...]  # groups expanded, lead units removed
    coop_collective: tuple[str, ...]  # collective references, shown as written, no form

    @property
    def id(self) -> str:
        return self.task.id

    def to_json(self) -> dict:
        t = self.task
        return {
            "id": t.id,
            "section": t.section,
            "section_title": t.section_title,
            "task_no": t.task_no,
            "task_title": t.task_title,
            "content": t.content,
            "lead_leaders": list(self.lead_leaders),
            "assist_leaders": list(self.assist_leaders),
            "lead_units": list(self.lead_units),
            "coop_units": list(self.coop_units),
            "coop_collective": list(self.coop_collective),
            "indicators": [
                {"name": i.name, "target": i.target, "unit": i.unit, "growth": i.growth}
                for i in t.indicators
            ],
            "deadline": t.deadline,
        }


@dataclass
class UnitRows:
    unit: str
    lead: list[ResolvedTask] = field(default_factory=list)
    coop: list[ResolvedTask] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.lead) + len(self.coop)


class Assignments:
    """Tasks resolved through the registry."""

    def __init__(self, tasks: list[Task], registry: Registry):
        self.registry = registry
        self.tasks = sorted(tasks, key=lambda t: t.sort_key)
        self.rows: list[ResolvedTask] = [self._resolve(t) for t in self.tasks]
        self.by_id: dict[str, ResolvedTask] = {r.id: r for r in self.rows}

    def for_period(self, period: Period) -> Assignments:
        """The rows units report on in ``period``: a 一次性 task is judged in the quarter
        of its deadline and reported on no later form (``core.pace.reportable``)."""
        cache = self.__dict__.setdefault("_periods", {})
        if period not in cache and all(reportable(t, period) for t in self.tasks):
            cache[period] = self  # asked once per form at city scale: decided once
        if period not in cache:
            kept = Assignments.__new__(Assignments)
            kept.registry = self.registry
            kept.tasks = [t for t in self.tasks if reportable(t, period)]
            kept.rows = [r for r in self.rows if reportable(r.task, period)]
            kept.by_id = {r.id: r for r in kept.rows}
            cache[period] = kept
        return cache[period]

    def _resolve(self, task: Task) -> ResolvedTask:
        reg = self.registry
        lead = reg.resolve_units(task.lead_units)
        coop = reg.resolve_units(task.coop_units)
        return ResolvedTask(
            task=task,
            lead_leaders=tuple(reg.resolve_leaders(task.lead_leaders).names),
            assist_leaders=tuple(reg.resolve_leaders(task.assist_leaders).names),
            lead_units=tuple(lead.names),
            coop_units=tuple(n for n in coop.names if n not in lead.names),
            coop_collective=tuple(lead.collectives + coop.collectives),
        )

    @cached_property
    def by_unit(self) -> dict[str, UnitRows]:
        """Every unit that gets a form, in registry order, with its lead and coop rows."""
        out = {name: UnitRows(name) for name in self.registry.units}
        for row in self.rows:
            for u in row.lead_units:
                out[u].lead.append(row)
            for u in row.coop_units:
                out[u].coop.append(row)
        return {name: rows for name, rows in out.items() if rows.count}

    def for_unit(self, name: str) -> UnitRows:
        canonical = self.registry.unit(name).name
        return self.by_unit.get(canonical, UnitRows(canonical))

    def for_leader(self, name: str) -> list[ResolvedTask]:
        res = self.registry.resolve_leaders(name)
        wanted = set(res.names)
        return [r for r in self.rows if wanted & set(r.lead_leaders + r.assist_leaders)]

    def check(self) -> list[CheckFinding]:
        return self.registry.check_tasks(self.tasks) + pace_problems(self.tasks)


def pace_problems(tasks: list[Task]) -> list[CheckFinding]:
    """A 节点 task without any 节点: judged by the line until a 落实方案 gives them."""
    return [
        CheckFinding(
            f"任务表 第 {t.line} 行（{t.label}）",
            "任务类别为“节点”，但没有填写季度节点（plan_q1–plan_q4），暂按序时进度研判",
            error=False,
        )
        for t in tasks
        if t.task_kind == TaskKind.MILESTONE and not t.has_plan
    ]
