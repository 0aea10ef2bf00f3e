"""The 落实方案表 of each lead unit for a year (``duban plan``), laid out by ``plan_spec``.

One workbook per unit that leads a task: its lead rows with the task text, indicators and
完成时限, and open cells for the 责任人, the four quarterly 节点 (%) and the 节点说明.
Protected, validated and identified like the quarterly forms (the same identification,
the hidden sheet, custom properties and defined name; ``plan_spec.plan_key`` as its period),
recorded in the ledger under that key. A 节点 or 责任人 the office already wrote in
tasks.csv is shown locked: it holds whatever the unit writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from openpyxl.utils import get_column_letter

from reporting.core.calendar import plan_calendar, weekday_cn
from reporting.core.config import Settings
from reporting.core.exceptions import FormError
from reporting.core.fileutil import SyncLater
from reporting.core.ledger import Ledger
from reporting.core.numbers import num
from reporting.core.parallel import ordered_map
from reporting.core.periods import Period, chinese_date
from reporting.core.workspace import Workspace
from reporting.documents import xlsx_direct as xd
from reporting.documents import xlsx_style as st
from reporting.forms import formspec as fs
from reporting.forms import plan_spec as ps
from reporting.forms.build import LEDGER_BATCH, form_context, save_form
from reporting.forms.sheets import FormContext, guide_facts, id_sheet, put
from reporting.forms.validations import plan_validations, protect
from reporting.taskbook.assignments import Assignments, ResolvedTask
from reporting.taskbook.plans import paced

MIN_ROW_PT = 40.0


@dataclass
class PlanForm:
    unit: str
    path: Path
    form_id: str
    rows: int


@dataclass
class PlanFormsSummary:
    year: int
    out_dir: Path
    built: list[PlanForm] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # already built (sent): left as they are
    failed: list[tuple[str, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = []
        if self.built:
            rows = sum(f.rows for f in self.built)
            out.append(
                f"已生成 {len(self.built)} 个牵头单位的{ps.plan_label(self.year)}表"
                f"（牵头任务 {rows} 行），保存在 {self.out_dir}"
            )
        if self.kept:
            out.append(
                f"{len(self.kept)} 个单位的落实方案表此前已生成，未重新生成（确需覆盖请加 --force）"
            )
        for unit, why in self.failed:
            out.append(f"{unit}：落实方案表生成失败，{why}")
        return out or ["没有需要生成的落实方案表。"]


def lead_rows(assignments: Assignments) -> dict[str, list[ResolvedTask]]:
    """Every unit that leads a task of the year, in registry order, with its lead rows."""
    return {u: rows.lead for u, rows in assignments.by_unit.items() if rows.lead}


def plan_context(settings: Settings, year: int, now: datetime) -> FormContext:
    """The quarterly forms' context (password, contact, limits) with the plan's title and
    deadline."""
    due = plan_calendar(year, settings.plan, settings.deadline.zone).deadline
    d = settings.district
    return replace(
        form_context(settings, Period(year, 1), now, False),  # the period is never shown
        title=ps.title(d.name, year, d.document_title),
        deadline_text=f"{chinese_date(due.date())}（{weekday_cn(due.date())}）{due:%H:%M} 前",
        status_rule="",
    )


def build_plan_forms(
    settings: Settings,
    assignments: Assignments,
    workspace: Workspace,
    year: int,
    *,
    now: datetime,
    ledger: Ledger,
    force: bool = False,
    units: list[str] | None = None,
    workers: int | None = None,
) -> PlanFormsSummary:
    """The 落实方案表 of every lead unit (or ``units``), recorded in the ledger; one already
    on disk and recorded is kept unless ``force`` (the unit may be filling it in). As the
    quarterly forms: written over the cores (``workers``), made durable together, recorded
    in batches in unit order (one on disk but not recorded was never sent: built again)."""
    key = ps.plan_key(year)
    summary = PlanFormsSummary(year, workspace.plan_dir(year) / "forms")
    ctx = plan_context(settings, year, now)
    recorded = ledger.forms(key)
    jobs = []
    for unit, rows in lead_rows(assignments).items():
        if units is not None and unit not in units:
            continue
        path = workspace.plan_form_path(year, unit)
        if path.exists() and unit in recorded and not force:  # it went out with the 通知
            summary.kept.append(unit)
            continue
        jobs.append((unit, path, rows))
    written = ordered_map(_write_job, (ctx, year), jobs, count=len(jobs), workers=workers)
    at = now.isoformat(timespec="seconds")
    later = SyncLater()
    with ledger.batched(LEDGER_BATCH, before_commit=later.sync) as flush:
        for (unit, path, _), (form, error) in zip(jobs, written, strict=True):
            if form is None:
                summary.failed.append((unit, error))
                continue
            later.add(path)
            ledger.record_form(key, unit, form.form_id, str(path), "", at=at)
            summary.built.append(form)
            flush()
    return summary


def _write_job(shared: tuple, job: tuple) -> tuple[PlanForm | None, str]:
    """One unit's 落实方案表 (in a worker process or here), not yet flushed to disk."""
    ctx, year = shared
    unit, path, rows = job
    try:
        return write_plan_form(path, ctx, year, unit, rows, later=SyncLater()), ""
    except FormError as exc:
        return None, str(exc)


def write_plan_form(
    path: Path,
    ctx: FormContext,
    year: int,
    unit: str,
    rows: list[ResolvedTask],
    later: SyncLater | None = None,
) -> PlanForm:
    key = ps.plan_key(year)
    ident = fs.FormIdentity.build(
        key, unit, rows, [], generated_at=ctx.generated_at.isoformat(timespec="seconds")
    )
    wb = xd.Book(st.BODY)
    guide = wb.create_sheet(fs.SHEET_GUIDE)
    ws = wb.create_sheet(ps.SHEET_PLAN)
    _plan_sheet(ws, ctx, year, ident, rows)
    _guide(guide, ctx, year, ident, rows)
    id_rows = [
        (ps.SHEET_PLAN, ps.FIRST_DATA_ROW + i, r.id, r.task.fingerprint())
        for i, r in enumerate(rows)
    ]
    id_sheet(wb, ident, id_rows, ctx)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_form(wb, path, ident, ctx, later)
    return PlanForm(unit, path, ident.form_id, len(rows))


def _plan_sheet(ws: xd.Sheet, ctx: FormContext, year: int, ident, rows) -> None:
    cols = ps.COLUMNS
    last = get_column_letter(len(cols))
    for i, col in enumerate(cols, 1):
        ws.column(get_column_letter(i), col.width)
    ws.merge_cells(f"A{ps.TITLE_ROW}:{last}{ps.TITLE_ROW}")
    put(ws, f"A{ps.TITLE_ROW}", ctx.title, st.TITLE, st.CENTER)
    ws.height(ps.TITLE_ROW, 36)
    values = {"unit": ident.unit, "period": f"{year}年", "deadline": ctx.deadline_text}
    for h in ps.HEADER_CELLS:
        if h.label_end:
            ws.merge_cells(f"{h.label_cell}:{h.label_end}")
        if h.value_end:
            ws.merge_cells(f"{h.value_cell}:{h.value_end}")
        put(ws, h.label_cell, f"{h.label}：", st.LABEL, st.WRAP_RIGHT)
        put(ws, h.value_cell, values.get(h.key), st.BODY, st.WRAP_LEFT, locked=not h.editable)
        if h.editable:
            ws.border(f"{h.value_cell}:{h.value_end or h.value_cell}", st.GRID)
    put(
        ws, ps.FORM_ID_CELL, f"表单编号：{ps.printed_form_id(ident.form_id)}", st.BODY, st.WRAP_LEFT
    )
    for r in range(ps.TITLE_ROW + 1, ps.HEADER_ROW):
        ws.height(r, 28)
    for i, col in enumerate(cols, 1):
        cell = f"{get_column_letter(i)}{ps.HEADER_ROW}"
        put(ws, cell, ps.printed_header(col), st.HEADER, st.WRAP_CENTER, st.HEADER_FILL, st.GRID)
    ws.height(ps.HEADER_ROW, 44)
    dv = plan_validations(ctx.max_text_chars)
    for n, r in enumerate(rows):
        _plan_row(ws, ps.FIRST_DATA_ROW + n, n + 1, r, dv)
    for v in dv.values():
        if v.sqref:
            ws.validations.append(v)
    last_row = ps.FIRST_DATA_ROW + len(rows) - 1
    ws.freeze = f"D{ps.FIRST_DATA_ROW}"
    ws.page_setup(f"{ps.HEADER_ROW}:{ps.HEADER_ROW}")  # landscape, one page wide
    ws.print_area = f"A1:{last}{last_row}"
    ws.odd_header = (
        f"{ident.unit}　{ps.plan_label(year)}表",
        f"表单编号：{ps.printed_form_id(ident.form_id)}",
        st.SONG,
        9,
    )
    ws.zoom = 90
    protect(ws, ctx.password)


def _plan_row(ws: xd.Sheet, row: int, seq: int, r: ResolvedTask, dv) -> None:
    t = r.task
    office = t.has_plan and not t.plan_by and paced(t)  # 节点 the office wrote in tasks.csv
    given: dict[str, object] = {
        "seq": seq,
        "task_id": t.label,
        "content": t.content,
        "indicators": "\n".join(f"{i.name}：{i.target_text}" for i in t.indicators) or "—",
        "deadline": _deadline_text(t.deadline),
    }
    if t.owner and not t.plan_by:
        given["owner"] = t.owner
    if office:
        given |= dict(zip(ps.MILESTONES, t.plan, strict=True))
        given["note"] = t.plan_note or "（督查考核办已定）"
    elif not paced(t):  # 一次性 / 其它: judged otherwise than by pace, no 节点 to fill
        given |= dict.fromkeys(ps.MILESTONES, "—")
        if t.plan_note and not t.plan_by:  # the office's 时间节点 in words
            given["note"] = t.plan_note
    wrapped: list[tuple[str, float]] = []
    for i, col in enumerate(ps.COLUMNS, 1):
        cell = f"{get_column_letter(i)}{row}"
        if col.key in given:
            value = given[col.key]
            align = st.WRAP_TOP if col.key in ps.TEXT_COLUMNS else st.WRAP_CENTER
            put(ws, cell, value, st.BODY, align, st.LOCKED_FILL, st.GRID)
            if isinstance(value, str):
                wrapped.append((value, col.width))
            continue
        align = st.WRAP_TOP if col.key in ("owner", "note") else st.CENTER
        put(ws, cell, None, st.BODY, align, None, st.GRID, locked=False)
        dv["milestone" if col.key in ps.MILESTONES else col.key].add(cell)
    ws.height(row, st.row_height(wrapped, MIN_ROW_PT), custom=False)


def _deadline_text(deadline: str) -> str:
    try:
        return chinese_date(datetime.fromisoformat(deadline).date()) if deadline else "年底前"
    except ValueError:
        return deadline


def _guide(ws: xd.Sheet, ctx: FormContext, year: int, ident, rows) -> None:
    ws.column("A", 22)
    ws.column("B", 88)
    ws.merge_cells("A1:B1")
    put(ws, fs.GUIDE_CELLS["title"], f"{ctx.title}\n填报说明", st.GUIDE_TITLE, st.WRAP_CENTER)
    ws.height(1, 54)
    facts = [
        ("unit", "填报单位", ident.unit),
        ("period", "报送年度", f"{year}年度落实方案"),
        ("deadline", "截止时间", ctx.deadline_text),
        ("form_id", "表单编号", ps.printed_form_id(ident.form_id)),
        ("counts", "任务数", f"牵头任务 {len(rows)} 项（见“{ps.SHEET_PLAN}”表）"),
        ("contact", "联系方式", f"如有疑问，请联系{ctx.contact}"),
        ("ident", "识别码（请勿改动）", ident.encode()),
    ]
    guide_facts(ws, facts)
    notes = plan_notes(ctx, year, rows)
    r = fs.GUIDE_FIRST_NOTE_ROW
    ws.merge_cells(f"A{r}:B{r}")
    put(ws, f"A{r}", "填报要求", st.GUIDE_LABEL, st.WRAP_LEFT)
    ws.height(r, 24)
    for i, text in enumerate(notes, 1):
        r += 1
        ws.merge_cells(f"A{r}:B{r}")
        put(ws, f"A{r}", f"{i}. {text}", st.GUIDE_TEXT, st.WRAP_LEFT)
        ws.height(r, st.row_height([(text, 110)], 22, line_pt=18, size=12))
    ws.print_area = f"A1:B{r}"
    ws.page_setup(None, landscape=False)
    protect(ws, ctx.password)


def plan_notes(ctx: FormContext, year: int, rows: list[ResolvedTask]) -> list[str]:
    """What the 填报说明 asks of the unit (the office's decided rows named)."""
    decided = [
        r.task.label for r in rows if r.task.has_plan and not r.task.plan_by and paced(r.task)
    ]
    unpaced = [r.task.label for r in rows if not paced(r.task)]
    notes = [
        f"本表列出你单位{year}年牵头的 {len(rows)} 项任务。请按本单位的目标责任落实方案，把每项任务逐项细化分解、"
        "责任到人，在白色单元格中填写；灰色单元格为任务信息，已锁定。",
        "责任人：写明对这项任务负责的同志的姓名和职务（如“张三（副局长）”），必须填写。",
        "季度节点（%）：填写截至一、二、三、四季度末，这项任务应达到的累计完成进度（全年任务的百分比，"
        "0–100 的数字，不加 % 号）。节点是累计数，逐季不能减少，四季度末一般为 100；"
        "年内提前完成的任务，完成时限所在季度填 100。下半年才开工的项目，上半年的节点可以低于序时进度，"
        "今后各季度的推进情况按这里填写的节点研判。",
        "节点说明：用一两句话写明各时间节点要完成什么，如“6月底前完成土地征收，9月底前开工建设”。",
        f"请于 {ctx.deadline_text}将本 Excel 文件（不要改为其他格式）报送{ctx.office}；"
        "节点逐季减少、超过 100 或责任人未填写的，将退回修改。",
        "请勿修改文件名、工作表名称和任务内容，不要插入或删除行、列。",
    ]
    if unpaced:
        notes.append(
            f"任务{'、'.join(unpaced)}为一次性或其它类任务，不按进度研判，不填季度节点（“—”），"
            "只填责任人和节点说明。"
        )
    if decided:
        notes.append(
            f"任务{'、'.join(decided)}的季度节点已由{ctx.office}确定（灰色，已锁定），按已定节点执行，无需填写。"
        )
    return notes


def milestones_text(plan: tuple[float | None, ...]) -> str:
    """'10/35/70/100' ('—' for a quarter without one)."""
    return "/".join("—" if v is None else num(v) for v in plan)
