"""Accepted 落实方案 become the year's milestones: ``planned_tasks``.

Each lead unit's latest accepted 落实方案表 of the year (the ledger's returns under
``<year>plan``) gives, per task it leads, the four quarterly 节点, the 节点说明 and the
责任人. Applied to the task table with the office's word first:

- a task whose tasks.csv row gives any 节点 keeps the office's 节点 (and 节点说明);
- else the 节点 of the first of its lead units (in the order the notice names them) whose
  plan gives any; ``Task.plan_by`` names that unit;
- the 责任人: tasks.csv's, else each lead unit's (several: "区文旅局：张三；长青乡：李四").

A 一次性 or 其它 task is not judged by pace (``core.pace``): it takes no 节点 (``paced``),
only the 责任人 and the 节点说明. ``plan_source`` says which holds, for ``duban tasks`` and
the 落实方案汇总表.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from reporting.core.ledger import Ledger
from reporting.core.states import ReturnState, TaskKind
from reporting.taskbook.tasks import Task, check_milestones


@dataclass(frozen=True)
class UnitPlan:
    """One lead unit's plan for one task, as its accepted 落实方案表 gave it."""

    unit: str
    task_id: str
    plan: tuple[float | None, ...]
    owner: str
    note: str
    received_at: str


def accepted_plans(ledger: Ledger, key: str) -> dict[str, dict[str, UnitPlan]]:
    """task id → unit → its plan, from each unit's latest accepted 落实方案表 (``key``:
    the round's ledger key, ``forms.plan_spec.plan_key``)."""
    out: dict[str, dict[str, UnitPlan]] = {}
    for unit, row in ledger.latest_accepted(key).items():
        if row["state"] != ReturnState.ACCEPTED:
            continue
        data = ledger.answers_of(key, row["sha256"]) or {}
        for task_id, p in (data.get("plans") or {}).items():
            plan = tuple(p.get("plan") or (None,) * 4)
            try:
                check_milestones(plan, "")
            except Exception:  # noqa: BLE001 - never trust a stored plan blindly
                continue
            out.setdefault(task_id, {})[unit] = UnitPlan(
                unit, task_id, plan, p.get("owner", ""), p.get("note", ""), row["received_at"]
            )
    return out


def planned_tasks(
    tasks: list[Task],
    plans: dict[str, dict[str, UnitPlan]],
    leads: dict[str, tuple[str, ...]],
) -> list[Task]:
    """``tasks`` with the units' accepted plans applied (the office's values win); ``leads``:
    task id → its lead units, resolved, in the order the notice names them."""
    out = []
    for t in tasks:
        given = plans.get(t.id, {})
        order = [u for u in leads.get(t.id, ()) if u in given]
        if not order:
            out.append(t)
            continue
        changes: dict = {}
        if not t.has_plan and paced(t):
            first = next(
                (given[u] for u in order if any(v is not None for v in given[u].plan)), None
            )
            if first is not None:
                changes |= {"plan": first.plan, "plan_by": first.unit}
                if not t.plan_note and first.note:
                    changes["plan_note"] = first.note
        elif not paced(t) and not t.plan_note:  # no 节点, but the 时间节点 in words
            note = next((given[u].note for u in order if given[u].note), "")
            if note:
                changes["plan_note"] = note
        if not t.owner:
            owners = [(u, given[u].owner) for u in order if given[u].owner]
            if len(owners) == 1:
                changes["owner"] = owners[0][1]
            elif owners:
                changes["owner"] = "；".join(f"{u}：{o}" for u, o in owners)
            if owners and "plan_by" not in changes and not t.has_plan:
                changes["plan_by"] = owners[0][0]  # whose plan named the 责任人
        out.append(replace(t, **changes) if changes else t)
    return out


def paced(t: Task) -> bool:
    """Whether ``t`` is judged by pace and so takes quarterly 节点 (not 一次性, not 其它)."""
    return t.task_kind in (TaskKind.PROGRESS, TaskKind.MILESTONE)


def plan_source(t: Task) -> str:
    """Which 节点 hold for ``t``, in words: 任务表 / 区发改委落实方案 / 按序时进度 (none) /
    不设节点 (a 一次性 or 其它 task)."""
    if not paced(t):
        return f"{t.task_kind}类，不设节点"
    if not t.has_plan:
        return "按序时进度"
    return f"{t.plan_by}落实方案" if t.plan_by else "任务表"
