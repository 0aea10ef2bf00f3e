"""Where a returned form's answers are: the task sheet (also when renamed), its header row
and columns, each task's row, and the answer cells a merge covers. Layout problems (a sheet
or column missing, a row without a task number or twice) go to the ``Examination``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from reporting.core.states import Level, Role
from reporting.documents.cells import cell_ref
from reporting.documents.sniff import Limits
from reporting.documents.spreadsheet import SheetGrid
from reporting.forms import formspec as fs
from reporting.intake import normalize as nz
from reporting.intake.examination import Examination
from reporting.taskbook.assignments import ResolvedTask

REQUIRED_COLUMNS = ("task_id", "content", "progress", "percent", "status", "problems", "next_steps")


@dataclass
class TaskTable:
    """One task sheet as found: its columns and which row holds which task."""

    sheet: SheetGrid
    role: str  # lead | coop
    header_row: int  # 0-based
    cols: dict[str, int]  # column key → 0-based index
    expected: list[str]  # task ids the form was sent with, in its order
    current: dict[str, ResolvedTask]  # the unit's rows of this role now, by task id
    other_ids: set[str]  # the unit's task ids of the other role
    found: list[tuple[str, int]]  # task id → row, in sheet order, first of duplicates


def task_sheet(ex: Examination, role: str, expected: list[str], used: set[str]) -> SheetGrid | None:
    """The sheet holding ``role``'s tasks: by its name, else a renamed sheet whose task ids
    match; None (with its problem) when it is missing or too large to read."""
    name = fs.TASK_SHEETS[role]
    sheet = ex.book.sheet(name)
    if sheet is not None:
        if sheet.clipped:
            ex.problem(
                f"工作表过大（超过 {Limits().max_rows} 行或 {Limits().max_cols} 列有内容），未读取；请删除多余内容后重新发送",
                "sheet_too_large",
                sheet=name,
            )
            return None
        return sheet
    if not expected:
        return None
    renamed = _renamed_task_sheet(ex, expected, used)
    if renamed is not None:
        ex.problem(
            f"工作表“{name}”被改名为“{renamed.name}”，已按其内容读取；今后请勿修改工作表名称",
            "sheet_renamed",
            level=Level.WARNING,
        )
        return renamed
    ex.problem(
        f"缺少工作表“{name}”（可能被删除或改名），其中 {len(expected)} 项任务无法读取；请用下发的原表单填写后重新发送",
        "sheet_missing",
    )
    return None


def _renamed_task_sheet(ex: Examination, expected: list[str], used: set[str]) -> SheetGrid | None:
    """The first sheet not named as a form sheet whose task numbers meet ``expected``."""
    for cand in ex.book.sheets:
        if cand.name in fs.SHEET_ORDER or cand.name in used:
            continue
        located = locate_columns(cand)
        if located is None:
            continue
        hr, cols = located
        ids = {
            fs.parse_task_label(cand.value(r, cols["task_id"])) for r in range(hr + 1, cand.height)
        }
        if set(expected) & ids:
            return cand
    return None


def task_table(
    ex: Examination,
    sheet: SheetGrid,
    role: str,
    expected: list[str],
    current: list[ResolvedTask],
) -> TaskTable | None:
    """The sheet's header and task rows; None (with its problem) when the header row or a
    required column cannot be found."""
    located = locate_columns(sheet)
    if located is None:
        ex.problem(
            f"找不到表头行（应在第 {fs.HEADER_ROW} 行，含“任务编号”“本季度工作进展”等列），表格结构被改动；请用下发的原表单填写后重新发送",
            "no_header",
            sheet=sheet.name,
        )
        return None
    hr, cols = located
    ex.headers[sheet.name] = header_labels(sheet, hr)
    missing = [c for c in REQUIRED_COLUMNS if c not in cols]
    if missing:
        names = "、".join(next(c.header for c in fs.BASE_COLUMNS if c.key == m) for m in missing)
        ex.problem(
            f"缺少列：{names}（可能被删除）；请用下发的原表单填写后重新发送",
            "column_missing",
            sheet=sheet.name,
        )
        return None
    unit_rows = ex.assignments.by_unit[ex.unit]
    other = unit_rows.coop if role == Role.LEAD else unit_rows.lead
    return TaskTable(
        sheet=sheet,
        role=role,
        header_row=hr,
        cols=cols,
        expected=expected,
        current={r.id: r for r in current},
        other_ids={r.id for r in other},
        found=task_rows(ex, sheet, hr, cols),
    )


def locate_columns(sheet: SheetGrid) -> tuple[int, dict[str, int]] | None:
    """The header row (0-based) and column key → index; the expected row first, then a search."""
    candidates = [fs.HEADER_ROW - 1, *range(0, min(sheet.height, 20))]
    for r in candidates:
        if r >= sheet.height:
            continue
        cols: dict[str, int] = {}
        for c, value in enumerate(sheet.rows[r]):
            key = fs.column_for_header(nz.text(value))
            if key and key not in cols:
                cols[key] = c
        if "task_id" in cols and "progress" in cols:
            return r, cols
    return None


def header_labels(sheet: SheetGrid, header_row: int) -> dict[str, str]:
    """Column letter → the header written above it (spaces removed): how problems name a cell."""
    return {
        re.sub(r"\d+", "", cell_ref(header_row, c)): re.sub(r"\s+", "", nz.text(v))
        for c, v in enumerate(sheet.rows[header_row])
        if nz.text(v)
    }


def task_rows(
    ex: Examination, sheet: SheetGrid, header_row: int, cols: dict[str, int]
) -> list[tuple[str, int]]:
    """(task id, row) of each task row below the header; a filled row without a task number
    and a task's second row are problems, not rows."""
    found: list[tuple[str, int]] = []
    seen: dict[str, int] = {}
    for r in range(header_row + 1, sheet.height):
        tid = fs.parse_task_label(sheet.value(r, cols["task_id"]))
        if tid is None:
            if row_has_answer(sheet, r, cols):
                ex.problem(
                    "这一行没有任务编号却填写了内容，不会被汇总；请把内容写入对应任务行，并删除该行",
                    "row_without_id",
                    sheet=sheet.name,
                    cell=cell_ref(r, cols["progress"]),
                )
            continue
        if tid in seen:
            ex.problem(
                f"该任务出现了两次（第 {seen[tid] + 1} 行和第 {r + 1} 行）；请删除重复的行，只保留一行",
                "duplicate_row",
                sheet=sheet.name,
                cell=cell_ref(r, cols["task_id"]),
                task=tid,
            )
            continue
        seen[tid] = r
        found.append((tid, r))
    return found


def _answer_columns(cols: dict[str, int]) -> list[str]:
    return [k for k in cols if k in fs.ANSWER_FIELDS or k.endswith("_value")]


def row_has_answer(sheet: SheetGrid, r: int, cols: dict[str, int]) -> bool:
    return any(not nz.is_blank(sheet.value(r, cols[k])) for k in _answer_columns(cols))


def merged_data_cells(table: TaskTable) -> set[tuple[int, int]]:
    """Answer cells covered by a merge spanning several data rows (the generated form has none)."""
    first_data_row = table.header_row + 1
    answer_cols = {table.cols[k] for k in _answer_columns(table.cols)}
    out: set[tuple[int, int]] = set()
    for r1, c1, r2, c2 in table.sheet.merged:
        if r2 < first_data_row or r1 == r2:
            continue
        for c in range(c1, c2 + 1):
            if c in answer_cols:
                out.update((r, c) for r in range(max(r1, first_data_row), r2 + 1))
    return out
