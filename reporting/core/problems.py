"""Findings, in Chinese: ``Problem`` about a returned file (what is wrong, where, how to fix
it; intake stores them in the ledger with ``to_dict``, status, the summary's 退回清单 and the
reminders read them back with ``from_dict``) and ``CheckFinding`` of ``duban check``
(registry, task table, templates, fonts, contacts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reporting.core.labels import task_label


@dataclass
class Problem:
    """One finding about a returned file; ``message`` is the full Chinese sentence."""

    text: str  # what is wrong and how to fix it
    file: str = ""
    sheet: str = ""
    cell: str = ""
    task: str = ""  # task id when the problem belongs to one row
    code: str = ""
    level: str = "error"  # error | warning
    column: str = ""  # the column's header in the form, when known

    @property
    def where(self) -> str:
        place = cell_in_words(self.sheet, self.cell, self.column)
        if self.task:
            label = task_label(self.task)
            place = f"{place}（任务 {label}）" if place else f"任务 {label}"
        return place

    @property
    def located(self) -> str:
        """Place and text without the file name (the reader knows which file)."""
        return f"{self.where}：{self.text}" if self.where else self.text

    @property
    def message(self) -> str:
        return f"{self.file}：{self.located}" if self.file else self.located

    @classmethod
    def from_dict(cls, data: dict) -> Problem:
        """Back from the ledger's JSON (``to_dict``)."""
        fields = ("text", "file", "sheet", "cell", "task", "code", "column")
        return cls(
            **{k: str(data.get(k) or "") for k in fields}, level=data.get("level") or "error"
        )

    def to_dict(self) -> dict:
        return {
            "level": self.level,
            "code": self.code,
            "file": self.file,
            "sheet": self.sheet,
            "cell": self.cell,
            "task": self.task,
            "column": self.column,
            "text": self.text,
            "message": self.message,
        }


def cell_in_words(sheet: str, cell: str, column: str = "") -> str:
    """A place as a person says it: 配合任务表第6行“累计完成进度（%）”; without the column
    header 配合任务表第6行H列; without a cell 工作表“配合任务”."""
    if not sheet:
        return ""
    m = re.fullmatch(r"([A-Z]{1,3})(\d+)", cell or "")
    if not m:
        return f"“{sheet}”表{cell}" if cell else f"工作表“{sheet}”"
    col = f"“{column}”" if column else f"{m.group(1)}列"
    return f"{sheet}表第{m.group(2)}行{col}"


@dataclass
class CheckFinding:
    """One finding of ``duban check``: where, what, and whether it stops the go-live."""

    where: str
    message: str
    error: bool = True

    def __str__(self) -> str:
        return f"{self.where}：{self.message}"
