"""``duban carry-over``: next year's draft task table from this year's unfinished tasks.

Every task the year (``annual.year``, judged by the approved versions) did not find 完成 —
基本完成, 未完成, or 延期 beyond the year — is written as a tasks.csv row for the next
year, in the version in force (wording, indicators, 时限 of its approved changes; a 时限
inside the closed year moves to the next year's end), with its history in a ``history``
column: the four quarters, the verdict and every approved change. ``duban check`` on the
draft lists the carried rows for the office's review (``carried_findings``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from reporting.annual.year import YearData
from reporting.core.fileutil import atomic_write_text
from reporting.core.problems import CheckFinding
from reporting.core.states import Final
from reporting.taskbook.tasks import COLUMNS, Task

HISTORY = "history"
CARRIED_COLUMNS = (*COLUMNS, "short_title", HISTORY)


@dataclass
class CarryOver:
    year: int  # the year carried from
    path: Path
    rows: list[dict[str, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"{self.year + 1}年任务表草稿：从{self.year}年结转 {len(self.rows)} 项任务，已写入 {self.path}"
        ]
        for r in self.rows:
            out.append(f"  {r['id']}：{r['short_title'] or r['content'][:20]}——{r[HISTORY]}")
        out.append(
            "请逐项核对完成时限、目标和责任单位（history 列是各季度情况和审批记录，供核对），"
            "确认后复制为新年度的 tasks.csv，并用 duban check 检查。"
        )
        return out


def _history(t, year: int) -> str:
    quarters = "，".join(
        f"{p[-1]}季度{t.quarters[p].short}" for p in sorted(t.quarters) if t.quarters[p].short
    )
    parts = [f"{year}年：{quarters}" if quarters else f"{year}年：各季度未报送"]
    verdict = "经批准延期" if t.final == Final.PENDING and t.change else str(t.final)
    parts.append(f"全年{verdict}" + (f"（{t.shortfall}）" if t.shortfall else ""))
    if t.change:
        parts.append(t.change)
    return "；".join(parts)


def carry_over_rows(data: YearData, tasks: dict[str, Task]) -> list[dict[str, str]]:
    """The draft's rows: tasks of ``data`` not 完成, in the version ``tasks`` holds."""
    next_end = f"{data.year + 1}-12-31"
    out = []
    for t in data.tasks:
        if t.final == Final.DONE or t.id not in tasks:
            continue
        task = tasks[t.id]
        deadline = task.deadline if task.deadline[:4] > str(data.year) else next_end
        out.append(
            {
                "id": task.id,
                "section": str(task.section),
                "section_title": task.section_title,
                "task_no": task.task_no,
                "task_title": task.task_title,
                "content": task.content,
                "lead_leaders": task.lead_leaders,
                "assist_leaders": task.assist_leaders,
                "lead_units": task.lead_units,
                "coop_units": task.coop_units,
                "indicators": "；".join(str(i) for i in task.indicators),
                "deadline": deadline,
                "short_title": task.short_title,
                HISTORY: _history(t, data.year),
            }
        )
    return out


def write_carry_over(data: YearData, tasks: dict[str, Task], path: Path) -> CarryOver:
    rows = carry_over_rows(data, tasks)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CARRIED_COLUMNS)
    for row in rows:
        writer.writerow([row.get(c, "") for c in CARRIED_COLUMNS])
    atomic_write_text(path, "\ufeff" + buf.getvalue())  # Excel opens UTF-8 with a BOM
    return CarryOver(data.year, path, rows)


def carried_findings(path: Path) -> list[CheckFinding]:
    """``duban check``: each row of a task table carried from last year (a ``history``
    column) is for the office to review before the cycle starts."""
    from reporting.taskbook.tasks import decode_table_bytes

    try:
        text = decode_table_bytes(path.read_bytes(), path.name)
    except (OSError, ValueError):
        return []
    reader = csv.DictReader(io.StringIO(text))
    if HISTORY not in (reader.fieldnames or []):
        return []
    return [
        CheckFinding(
            f"{path.name} 第 {reader.line_num} 行（任务 {row.get('id', '')}）",
            f"从上一年度结转：{row[HISTORY]}。请核对完成时限、目标和责任单位",
            error=False,
        )
        for row in reader
        if (row.get(HISTORY) or "").strip()
    ]
