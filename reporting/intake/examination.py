"""One returned file under examination: what every step of ``validate`` needs (settings,
the unit's assignments, the period, last quarter's answers) and the problems found so far,
in the order found."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from reporting.core.config import Settings
from reporting.core.model import Answer
from reporting.core.periods import Period
from reporting.core.problems import Problem
from reporting.core.states import Level
from reporting.documents.spreadsheet import Workbook
from reporting.taskbook.assignments import Assignments


@dataclass
class Examination:
    """The context of one file's checks; ``problems`` grows as they run."""

    name: str  # how problems name the file
    book: Workbook
    settings: Settings
    assignments: Assignments
    period: Period
    previous: dict[tuple[str, str, str], Answer]  # (unit, role, task id) → last quarter
    unit: str = ""  # set once the file is identified
    problems: list[Problem] = field(default_factory=list)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # sheet → column → header

    def problem(
        self,
        text: str,
        code: str,
        *,
        sheet: str = "",
        cell: str = "",
        task: str = "",
        level: str = Level.ERROR,
    ) -> None:
        """Record a problem; a cell's column header is named when the sheet's is known."""
        m = re.fullmatch(r"([A-Z]+)\d+", cell or "")
        column = self.headers.get(sheet, {}).get(m.group(1), "") if m else ""
        if code == "required" and any(
            q.sheet == sheet and q.cell == cell and q.level == Level.ERROR for q in self.problems
        ):
            return  # the cell already has its reason (a formula without a value, a merge)
        self.problems.append(
            Problem(
                text,
                file=self.name,
                sheet=sheet,
                cell=cell,
                task=task,
                code=code,
                level=level,
                column=column,
            )
        )

    def drop(self, unwanted: Callable[[Problem], bool]) -> None:
        self.problems = [p for p in self.problems if not unwanted(p)]

    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == Level.ERROR]
