"""What one intake takes in: a quarter's progress forms, or a year's 落实方案表.

``collect`` takes files in the same way for both (archive, saved mails, our received time,
sender check, versions, the ledger); a ``Round`` says what differs: the ledger key the
returns are recorded under, their deadline, how a file is examined, our own blank forms and
how the office decides a return held as 待核实. A file that belongs to another round (a
落实方案表 in a quarter's inbox, a quarter's form in the 落实方案 inbox, a later quarter's
form) is handed to that round's inbox (``round_inbox``), so one mailbox serves both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from reporting.core.calendar import period_calendar, plan_calendar
from reporting.core.config import Settings
from reporting.core.model import Answer
from reporting.core.periods import Period
from reporting.core.previous import previous_answers, previous_result
from reporting.core.workspace import Workspace
from reporting.forms.plan_spec import plan_key, plan_label, plan_year
from reporting.intake.inbox import blank_forms, hashes_of
from reporting.intake.plan_returns import examine_plan
from reporting.intake.validate import Examined, examine
from reporting.taskbook.assignments import Assignments

Examiner = Callable[[Path, str, str | None], Examined]  # stored copy, source, file name


@dataclass(frozen=True)
class Round:
    key: str  # the ledger's period key: 2024Q1, 2024plan
    deadline: datetime
    examine: Examiner
    review: str  # the command that decides a held return
    blank: set[str] = field(default_factory=set)  # our own forms as written: never a return
    period: Period | None = None  # a quarter's (its files may be examined ahead by workers)
    previous: dict[tuple[str, str, str], Answer] = field(default_factory=dict)


def quarter_round(
    settings: Settings, assignments: Assignments, workspace: Workspace, period: Period
) -> Round:
    previous = previous_answers(previous_result(workspace, period)[0])

    def check(stored: Path, source: str, file_name: str | None) -> Examined:
        return examine(
            stored, source, settings, assignments, period, previous=previous, file_name=file_name
        )

    return Round(
        str(period),
        period_calendar(period, settings.deadline).deadline,
        check,
        f"duban review --period {period}",
        blank_forms(workspace, period),
        period,
        previous,
    )


def plan_round(
    settings: Settings, assignments: Assignments, workspace: Workspace, year: int
) -> Round:
    def check(stored: Path, source: str, file_name: str | None) -> Examined:
        return examine_plan(stored, source, settings, assignments, year, file_name=file_name)

    return Round(
        plan_key(year),
        plan_calendar(year, settings.plan, settings.deadline.zone).deadline,
        check,
        f"duban plan --year {year} --accept 编号（或 --reject 编号 --reason 原因）",
        hashes_of(workspace.plan_dir(year) / "forms"),
    )


def round_inbox(workspace: Workspace, key: str) -> tuple[Path, str, str]:
    """The inbox of the round ``key`` names, how a person calls that round, and what it is
    (该季度 / 落实方案)."""
    year = plan_year(key)
    if year is not None:
        return workspace.plan_inbox(year), plan_label(year), "落实方案"
    period = Period.parse(key)
    return workspace.inbox_dir(period), period.full_label, "该季度"
