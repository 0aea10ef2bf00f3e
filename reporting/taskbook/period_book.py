"""The task book as it stands in a period: tasks.csv with every change approved before it.

``task_book(tasks, registry, changes, period)`` is the one answer to "which tasks, in which
wording, with which 时限 and targets, does period P ask about": forms, reminders, intake,
merge, the report, the 通报, scores, the year workbook and the 看板 all take it. A change
decided in quarter Q applies from the quarter after Q:

- 销号: the task is on no later form (lead nor partners) and nobody is reminded of it; it is
  listed in ``closed`` (with its quarter and 文号) and the documents count it as done;
- 延期: the new 完成时限 (a 落实方案's later 节点 dropped: the line to the new date applies);
- 调整: the new wording and/or indicators.

The original row stays in ``original``; ``revisions`` holds each changed task's changes.
``year_book`` is the version the annual edition judges by: every change decided in the year,
closed tasks kept as rows (judged done). Only the changes decided in the book's own year
apply: next year's table (``duban carry-over``) has the approved versions written in, and
its task numbers are its own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from reporting.core.changes import Change, ChangeKind
from reporting.core.periods import Period
from reporting.taskbook.assignments import Assignments, ResolvedTask
from reporting.taskbook.registry import Registry
from reporting.taskbook.tasks import Task, parse_indicators


@dataclass(frozen=True)
class Closed:
    """A task 销号 before the period."""

    row: ResolvedTask  # as it stood when closed
    change: Change

    @property
    def quarter(self) -> Period:
        return Period.parse(self.change.decision.decided_in)

    @property
    def doc_no(self) -> str:
        return self.change.decision.doc_no


def apply_change(task: Task, change: Change) -> Task:
    """``task`` with one approved 延期 or 调整 applied."""
    r = change.request
    if r.kind == ChangeKind.EXTEND and r.deadline:
        task = replace(task, deadline=r.deadline)
        plan = task.plan
        if plan:  # the 节点 after the decision no longer hold: the line to the new date does
            q = Period.parse(change.decision.decided_in).quarter
            kept = tuple(v if i < q else None for i, v in enumerate(plan))
            task = replace(task, plan=kept)
    elif r.kind == ChangeKind.ADJUST:
        if r.content:
            task = replace(task, content=r.content)
        if r.indicators:
            task = replace(task, indicators=parse_indicators(r.indicators))
    return task


class TaskBook(Assignments):
    """``Assignments`` of one period, with what changed and what was closed."""

    def __init__(
        self,
        tasks: list[Task],
        registry: Registry,
        changes: list[Change],
        period: Period,
        *,
        keep_closed: bool = False,
        year: int | None = None,
    ):
        self.period = period
        year = period.year if year is None else year  # another year's table: its own ids
        self.original: dict[str, Task] = {t.id: t for t in tasks}
        self.revisions: dict[str, tuple[Change, ...]] = {}
        closing: dict[str, Change] = {}
        current = dict(self.original)
        for change in changes:  # in the order decided
            decided = Period.parse(change.effective_after)
            if decided >= period or decided.year != year:
                continue
            tid = change.task_id
            if tid not in current:
                continue
            self.revisions[tid] = (*self.revisions.get(tid, ()), change)
            if change.kind == ChangeKind.CLOSE:
                closing[tid] = change
            else:
                current[tid] = apply_change(current[tid], change)
        kept = [t for t in current.values() if keep_closed or t.id not in closing]
        super().__init__(kept, registry)
        whole = (
            self if keep_closed or not closing else Assignments(list(current.values()), registry)
        )
        self.closed: list[Closed] = [
            Closed(whole.by_id[tid], c)
            for tid, c in sorted(closing.items(), key=lambda kv: whole.by_id[kv[0]].task.sort_key)
        ]
        self.closed_ids = frozenset(closing)

    def changed(self, task_id: str) -> tuple[Change, ...]:
        return self.revisions.get(task_id, ())


def task_book(
    tasks: list[Task], registry: Registry, changes: list[Change], period: Period
) -> TaskBook:
    """The task table of ``period`` with every change approved before it applied."""
    return TaskBook(tasks, registry, changes, period)


def year_book(tasks: list[Task], registry: Registry, changes: list[Change], year: int) -> TaskBook:
    """The version the year is judged by: every change decided up to its Q4, closed kept."""
    return TaskBook(tasks, registry, changes, Period(year + 1, 1), keep_closed=True, year=year)
