"""Helpers shared by the intake tests: generated forms, filled as units would fill them.

(No tests here; imported as ``from test_intake_support import …``.)
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
from helpers import NOW

from reporting.core.periods import Period
from reporting.forms.build import build_forms
from reporting.intake.validate import Examined, examine
from reporting.sample.returns import fill_form

PERIOD = Period(2024, 1)
UNIT = "区发改委"  # lead rows with growth and count indicators, and coop rows
HEADER = {
    "filler": "张三",
    "phone": "0552-1234567",
    "approver": "李四",
    "fill_date": "2024年4月3日",
}


def make_forms(app, units, period: Period = PERIOD, out_dir: Path | None = None) -> dict[str, Path]:
    summary = build_forms(
        app.settings,
        app.assignments,
        app.workspace,
        period,
        units=list(units),
        out_dir=out_dir,
        now=NOW,
    )
    assert summary.ok, summary.lines()
    return {f.unit: f.path for f in summary.built}


def valid_answers(app, unit: str, period: Period = PERIOD) -> dict[tuple[str, str], dict]:
    """A complete, consistent return: 30 % (序时推进 at Q1's 25 %: under 25 + ahead_points), indicators on track;
    a row with a 落实方案 节点 for the quarter (tasks.csv plan_q1 …) exactly at its 节点."""
    rows = app.assignments.by_unit[unit]
    out: dict[tuple[str, str], dict] = {}
    for r in rows.lead:
        values = {}
        for i, ind in enumerate(r.task.indicators):
            # whole numbers for amounts: a count (个, 家, 户 …) takes no decimals
            values[ind.name] = (
                round(ind.target + 0.5 + i, 1)
                if ind.is_rate
                else float(round(ind.target * 0.3) + i)
            )
        milestone = r.task.plan[period.quarter - 1]
        out[("lead", r.id)] = {
            "progress": f"{unit}牵头{r.id}：召开调度会3次，完成全年任务的三成。",
            "percent": 30 if milestone is None else milestone,
            "status": "序时推进",
            "problems": "无",
            "next_steps": f"{r.id}下季度继续推进。",
            "indicators": values,
        }
    for r in rows.coop:
        out[("coop", r.id)] = {
            "progress": f"{unit}配合{r.id}：按牵头单位要求报送材料2份。",
            "percent": "",
            "status": "",
            "problems": "",
            "next_steps": "",
            "indicators": {},
        }
    return out


def fill(form: Path, dest: Path, answers: dict, header: dict | None = None) -> Path:
    fill_form(form, dest, answers, HEADER if header is None else header)
    return dest


def edit(path: Path, change) -> Path:
    """Open a filled return with openpyxl, let ``change(wb)`` alter it, save it in place."""
    wb = openpyxl.load_workbook(path)
    change(wb)
    wb.save(path)
    return path


def rezip(path: Path, replace: dict[str, bytes | None]) -> Path:
    """Rewrite members of an .xlsx package (None drops the member)."""
    with zipfile.ZipFile(path) as zf:
        members = [(i, zf.read(i.filename)) for i in zf.infolist()]
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in members:
            if info.filename in replace:
                data = replace.pop(info.filename)
                if data is None:
                    continue
            out.writestr(info.filename, data)
        for name, data in replace.items():
            if data is not None:
                out.writestr(name, data)
    tmp.replace(path)
    return path


def run_examine(app, path: Path, period: Period = PERIOD, previous=None) -> Examined:
    return examine(path, path.name, app.settings, app.assignments, period, previous=previous)


def errors(ex: Examined) -> list[str]:
    return [p.message for p in ex.problems if p.level == "error"]


def warnings_of(ex: Examined) -> list[str]:
    return [p.message for p in ex.problems if p.level == "warning"]


def row_of(app, unit: str, role: str, task_id: str) -> int:
    """1-based sheet row of a task in a generated form (rows follow the assignments order)."""
    from reporting.forms import formspec as fs

    rows = (
        app.assignments.by_unit[unit].lead if role == "lead" else app.assignments.by_unit[unit].coop
    )
    return fs.FIRST_DATA_ROW + [r.id for r in rows].index(task_id)


def col_of(key: str, n_indicators: int = 0) -> str:
    """The column letter of ``key`` on a task sheet with ``n_indicators`` slots (only the
    columns after the indicators' values move with it)."""
    from openpyxl.utils import get_column_letter

    from reporting.forms import formspec as fs

    return get_column_letter(fs.column_index(key, n_indicators))
