"""A returned 落实方案表: read safely, identify, check every row, accept or send back.

``examine_plan`` is ``validate.examine`` for the year's 落实方案 round: the same reading of an
untrusted workbook and the same identification, then per lead row of the unit:

- 责任人 must be written (退回 naming the cell);
- each quarter's 节点 a percent 0–100 (more than 100, text: 退回 naming the cell);
- the 节点 cumulative: a quarter below the one before is sent back naming both cells;
- a quarter left empty is judged by the 序时进度 (a note when all four are empty); a task due
  before the year's end that is not at 100 by the quarter of its 完成时限 gets a remark.

A quarterly progress form is handed to its quarter (``Examined.later``); a 落实方案表 of
another year is told apart and refused with what to send instead. Nothing is written; ``collect_plans`` (intake of the round's inbox)
records what this decides. The answers are kept as ``{"plans": {task id: {"plan": [q1..q4],
"owner": …, "note": …}}, "header": {…}}``.
"""

from __future__ import annotations

import re
from pathlib import Path

from reporting.core.config import Settings
from reporting.core.exceptions import PeriodError, UnreadableFileError
from reporting.core.numbers import num
from reporting.core.periods import Period
from reporting.core.problems import Problem
from reporting.core.states import Level, ReturnState
from reporting.documents.cells import cell_ref
from reporting.documents.sniff import Limits
from reporting.documents.spreadsheet import SheetGrid as Sheet
from reporting.documents.spreadsheet import read_workbook
from reporting.forms import formspec as fs
from reporting.forms import plan_spec as ps
from reporting.intake import normalize as nz
from reporting.intake.identify import Identity, identify, unit_from_name
from reporting.intake.validate import Examined
from reporting.taskbook.assignments import Assignments, ResolvedTask
from reporting.taskbook.plans import paced
from reporting.taskbook.tasks import milestone_problem


def examine_plan(
    path: Path | str,
    source: str,
    settings: Settings,
    assignments: Assignments,
    year: int,
    *,
    file_name: str | None = None,
) -> Examined:
    """Read, identify and check one returned 落实方案表; problems, never an exception."""
    path = Path(path)
    name = Path(source).name
    key = ps.plan_key(year)
    try:
        book = read_workbook(path, Limits.from_settings(settings.intake), name=name)
    except UnreadableFileError as exc:
        unit = unit_from_name(file_name or name, assignments.registry)
        return Examined(
            source=source,
            state=ReturnState.REJECTED if unit else ReturnState.UNIDENTIFIED,
            unit=unit,
            period=key,
            identified_by="file_name" if unit else None,
            problems=[
                Problem("文件" + str(exc).removeprefix(f"{name} "), file=name, code=exc.code)
            ],
        )
    check = _PlanCheck(name, assignments, year)
    out = Examined(source=source, state=ReturnState.UNIDENTIFIED, period=key, format=book.format)
    ident, notes = identify(book, file_name or name, assignments)
    for n in notes:
        n.file = name
    check.problems += notes
    if ident is None:
        check.add(
            f"无法识别填报单位：不是下发的{ps.plan_label(year)}表；请用下发的落实方案表填写后重新发送",
            "unidentified",
        )
        out.problems = check.problems
        return out
    out.identified_by, out.form_id = ident.by, ident.form_id or None
    if _quarter(ident.period):  # a progress form sent here: its quarter takes it in
        out.later = ident.period
        return out
    out.schema_version = ident.schema_version or None
    unit = assignments.registry.canonical_unit(ident.unit)
    if unit is None:
        check.add(
            f"表中的填报单位“{ident.unit}”不在单位名录中；请用本单位下发的落实方案表填写",
            "unknown_unit",
        )
        out.problems = check.problems
        return out
    out.unit, out.state = unit, ReturnState.REJECTED
    rows = [r for r in assignments.rows if unit in r.lead_units]
    if check.identity(ident, unit, rows):
        header, plans = check.rows(book.sheet(ps.SHEET_PLAN), unit, rows)
        if not [p for p in check.problems if p.level == Level.ERROR]:
            out.state = ReturnState.ACCEPTED
            out.data = {"plans": plans, "header": header}
    out.problems = check.problems
    return out


class _PlanCheck:
    def __init__(self, name: str, assignments: Assignments, year: int):
        self.name = name
        self.assignments = assignments
        self.year = year
        self.problems: list[Problem] = []

    def add(
        self,
        text: str,
        code: str,
        *,
        cell: str = "",
        task: str = "",
        key: str = "",
        level=Level.ERROR,
    ) -> None:
        column = next((c.header for c in ps.COLUMNS if c.key == key), "")
        self.problems.append(
            Problem(
                text,
                file=self.name,
                sheet=ps.SHEET_PLAN if cell else "",
                cell=cell,
                task=task,
                code=code,
                level=level,
                column=column,
            )
        )

    def identity(self, ident: Identity, unit: str, rows: list[ResolvedTask]) -> bool:
        key = ps.plan_key(self.year)
        period = ident.period or (key if ident.by == "file_name" else "")
        if period != key:
            other = ps.plan_year(period)
            if other is not None:
                text = f"这是{ps.plan_label(other)}表，本次收取的是{ps.plan_label(self.year)}；请用{self.year}年下发的落实方案表填写后重新发送"
            else:
                text = f"不是{ps.plan_label(self.year)}表；请用下发的落实方案表填写后重新发送"
            self.add(text, "wrong_period")
            return False
        expected = fs.form_id(key, unit)
        if ident.form_id and ident.form_id != expected:
            self.add(
                f"表单编号 {ps.printed_form_id(ident.form_id)} 与填报单位“{unit}”不符"
                f"（应为 {ps.printed_form_id(expected)}），可能套用了其他单位的表；请用本单位下发的落实方案表填写",
                "form_id_mismatch",
            )
            return False
        if not rows:
            self.add(f"“{unit}”没有牵头任务，无需报送落实方案", "no_rows")
            return False
        if ident.by in ("header_cells", "file_name"):
            self.add(
                "表的识别信息已丢失（可能被其他软件另存），已按文件内容识别；今后请直接在下发的表中填写",
                "identity_fallback",
                level=Level.WARNING,
            )
        return True

    def rows(
        self, sheet: Sheet | None, unit: str, rows: list[ResolvedTask]
    ) -> tuple[dict[str, str], dict[str, dict]]:
        if sheet is None:
            self.add(
                f"缺少“{ps.SHEET_PLAN}”工作表；请用下发的落实方案表填写，不要重命名或删除工作表",
                "missing_sheet",
            )
            return {}, {}
        head, cols = _locate(sheet)
        if head is None or "task_id" not in cols:
            self.add(
                f"“{ps.SHEET_PLAN}”表找不到表头（任务编号、责任人、季度节点）；请用下发的表填写",
                "no_header",
            )
            return {}, {}
        missing = [c.header for c in ps.COLUMNS if c.editable and c.key not in cols]
        if missing:
            self.add(
                f"“{ps.SHEET_PLAN}”表缺少列：{'、'.join(missing)}；请用下发的表填写，不要删除列",
                "missing_column",
            )
            return {}, {}
        header = {
            h.key: nz.text(sheet.cell(h.value_cell))
            for h in ps.HEADER_CELLS
            if h.editable and nz.text(sheet.cell(h.value_cell))
        }
        found: dict[str, int] = {}
        for r in range(head + 1, sheet.height):
            tid = fs.parse_task_label(sheet.value(r, cols["task_id"]))
            if tid is not None:
                found.setdefault(tid, r)
        wanted = {row.id: row for row in rows}
        for tid in wanted:
            if tid not in found:
                self.add(
                    f"缺少任务 {wanted[tid].task.label} 的行；请不要删除行", "missing_row", task=tid
                )
        for tid, r in found.items():
            if tid not in wanted:
                self.add(
                    f"第{r + 1}行的任务 {tid} 不是{unit}的牵头任务；请用本单位下发的表填写，不要增加行",
                    "unknown_row",
                    cell=cell_ref(r, cols["task_id"]),
                    task=tid,
                )
        plans = {
            tid: self.row(sheet, r, cols, wanted[tid]) for tid, r in found.items() if tid in wanted
        }
        return header, plans

    def row(self, sheet: Sheet, r: int, cols: dict[str, int], row: ResolvedTask) -> dict:
        t = row.task
        # the office's 节点 in tasks.csv hold; a 一次性 / 其它 task takes none
        decided = (t.has_plan and not t.plan_by) or not paced(t)
        owner = nz.text(sheet.value(r, cols["owner"]))
        if not owner and not t.owner:
            self.add(
                "责任人未填写；请写明负责这项任务的同志的姓名和职务",
                "owner_missing",
                cell=cell_ref(r, cols["owner"]),
                task=t.id,
                key="owner",
            )
        plan: list[float | None] = []
        where: list[str] = []
        for q, key in enumerate(ps.MILESTONES):
            c = cols[key]
            ref = cell_ref(r, c)
            where.append(ref)
            value = sheet.value(r, c)
            if nz.is_blank(value) or decided:
                plan.append(None)
                continue
            try:
                plan.append(nz.percent(value, sheet.is_percent(r, c)))
            except ValueError as exc:
                plan.append(None)
                self.add(
                    f"{ps.QUARTER_NAMES[q]}节点{exc}",
                    "milestone_value",
                    cell=ref,
                    task=t.id,
                    key=key,
                )
        if not decided:
            self._order(t, plan, where)
        note = nz.text(sheet.value(r, cols["note"]))
        if not decided and all(v is None for v in plan):
            self.add(
                "没有填写季度节点，将按序时进度研判；如有时间节点请填写",
                "milestone_missing",
                cell=where[0],
                task=t.id,
                level=Level.WARNING,
            )
        return {"plan": plan, "owner": owner, "note": note}

    def _order(self, t, plan: list[float | None], where: list[str]) -> None:
        why = milestone_problem(tuple(plan))
        if why:
            m = re.match(r"第(\d)季度节点", why)
            q = int(m.group(1)) - 1 if m else 0
            before = max(i for i in range(q) if plan[i] is not None) if q else q
            self.add(
                f"{ps.QUARTER_NAMES[q]}节点 {num(plan[q])}%（{where[q]}）低于"
                f"{ps.QUARTER_NAMES[before]}节点 {num(plan[before])}%（{where[before]}）；节点是累计进度，逐季不能减少",
                "milestone_decreasing",
                cell=where[q],
                task=t.id,
                key=ps.MILESTONES[q],
            )
            return
        due = _due_quarter(t.deadline, self.year)
        at_due = plan[due - 1] if due is not None else None
        if due is not None and at_due is not None and at_due < 100:
            self.add(
                f"完成时限在第{due}季度，但{ps.QUARTER_NAMES[due - 1]}节点只有 {num(at_due)}%；"
                "到期应全部完成，将按 100% 研判",
                "milestone_before_deadline",
                cell=where[due - 1],
                task=t.id,
                level=Level.WARNING,
            )


def _quarter(key: str) -> bool:
    try:
        Period.parse(key)
    except PeriodError:
        return False
    return True


def _due_quarter(deadline: str, year: int) -> int | None:
    m = re.fullmatch(r"(\d{4})-(\d{2})-\d{2}", deadline or "")
    if not m or int(m.group(1)) != year:
        return None
    return (int(m.group(2)) - 1) // 3 + 1


def _locate(sheet: Sheet) -> tuple[int | None, dict[str, int]]:
    """The header row (0-based) and each known column's 0-based index."""
    width = max((len(r) for r in sheet.rows[:20]), default=0)
    for r in range(min(sheet.height, 20)):
        cols = {}
        for c in range(width):
            key = ps.column_for_header(nz.text(sheet.value(r, c)))
            if key:
                cols[key] = c
        if "task_id" in cols and "owner" in cols:
            return r, cols
    return None, {}
