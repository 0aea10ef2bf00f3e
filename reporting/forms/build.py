"""Build each unit's progress form (.xlsx) for a period, laid out by ``reporting.forms.formspec``.

``build_forms`` writes one workbook per unit with rows (lead and/or cooperation), pre-fills
the unit's accepted answers of the previous period when its merged.json exists, records
every form in the ledger, and never overwrites a form already sent with the 通知 unless
``force``. One unit's failure is reported in the summary; the batch goes on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Set
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from openpyxl.packaging.core import DocumentProperties
from openpyxl.packaging.custom import CustomPropertyList, StringProperty
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from reporting.core.calendar import period_calendar, weekday_cn
from reporting.core.config import Settings
from reporting.core.exceptions import DubanError, FormError
from reporting.core.fileutil import clean_text, safe_cell_text
from reporting.core.ledger import Ledger
from reporting.core.model import Answer
from reporting.core.pace import num, status_rule
from reporting.core.parallel import ordered_map
from reporting.core.periods import Period, chinese_date
from reporting.core.previous import previous_answers, previous_result
from reporting.core.states import Role
from reporting.core.workspace import Workspace
from reporting.documents import xlsx_direct as xd
from reporting.documents import xlsx_style as st
from reporting.forms import formspec as fs
from reporting.taskbook.assignments import Assignments, ResolvedTask, UnitRows

GUIDE_TEMPLATE = "form_guide.txt.j2"  # 填报说明 wording, edited by the office
MIN_DATA_ROW_PT = 45.0  # room to write by hand on a printout
LEDGER_BATCH = 50  # form records per ledger commit


@dataclass(frozen=True)
class FormContext:
    """What every form of one run shares."""

    period: Period
    title: str
    deadline_text: str
    contact: str
    office: str
    password: str
    max_text_chars: int
    generated_at: datetime
    previous_label: str = ""
    templates: Path = Path("templates")
    status_rule: str = ""  # 推进状态 by percentage and pace, in words (reporting.core.pace)
    partners_as_of: str = ""  # when the partners' feedback shown was compiled (配合反馈 copy)


@dataclass
class UnitForm:
    unit: str
    path: Path
    form_id: str
    fingerprint: str
    lead_rows: int
    coop_rows: int
    reference_rows: int = 0  # rows showing last quarter's answer (locked, for reference)
    partner_rows: int = 0  # lead rows showing the partners' feedback (locked, for reference)


@dataclass
class FormsSummary:
    period: Period
    out_dir: Path
    built: list[UnitForm] = field(default_factory=list)
    skipped_sent: list[str] = field(default_factory=list)
    no_rows: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    previous_label: str = ""

    @property
    def ok(self) -> bool:
        return not self.failed

    def lines(self) -> list[str]:
        out: list[str] = []
        if self.built:
            lead = sum(f.lead_rows for f in self.built)
            coop = sum(f.coop_rows for f in self.built)
            out.append(
                f"已生成 {len(self.built)} 个单位的{self.period.full_label}进展情况表"
                f"（牵头任务 {lead} 行，配合任务 {coop} 行），保存在 {self.out_dir}"
            )
            ref = [f for f in self.built if f.reference_rows]
            if ref:
                out.append(
                    f"其中 {len(ref)} 个单位的表单在“上季度报送情况（供参考）”列列出了"
                    f"{self.previous_label}已采纳的内容（共 {sum(f.reference_rows for f in ref)} 行，"
                    "锁定，仅供参考）；填报格一律留空，由单位按本季度情况填写"
                )
        if self.skipped_sent:
            out.append(
                f"跳过 {len(self.skipped_sent)} 个单位：表单已随通知下发，重新生成会与单位手中的表单不一致"
                f"（{'、'.join(self.skipped_sent)}）。确需覆盖请加 --force，并重新下发"
            )
        if self.no_rows:
            out.append(f"以下单位没有需要填报的任务，未生成表单：{'、'.join(self.no_rows)}")
        for unit, message in self.failed:
            out.append(f"{unit}：表单生成失败，{message}")
        out.extend(self.notes)
        if not out:
            out.append("没有需要生成的表单。")
        return out


# -- the step ------------------------------------------------------------------
def build_forms(
    settings: Settings,
    assignments: Assignments,
    workspace: Workspace,
    period: Period | str,
    *,
    units: Iterable[str] | None = None,
    force: bool = False,
    out_dir: Path | str | None = None,
    progress: Callable[[str], None] | None = None,
    ledger: Ledger | None = None,
    workers: int | None = None,
    now: datetime,
) -> FormsSummary:
    """Write the forms of ``period`` (all units with rows, or ``units``); see module doc.

    ``workers``: processes writing workbooks (None: one per core for a large batch, 1:
    serial); the files and the ledger are the same either way."""
    period = Period.parse(period)
    _refuse_broken_table(assignments)
    targets, no_rows = select_units(assignments, units)
    previous, notes = _previous_answers(workspace, period)
    ctx = _context(settings, period, now, bool(previous))
    if targets:  # a broken wording template fails once, before any file is written
        _guide_notes(ctx, targets[0], references=1)
    out = Path(out_dir) if out_dir else workspace.forms_dir(period)
    summary = FormsSummary(
        period, out, no_rows=no_rows, notes=notes, previous_label=ctx.previous_label
    )
    own_ledger = ledger is None
    ledger = ledger or Ledger(workspace.ledger_path)
    used: set[Path] = set()
    try:
        # which units to build and where: reads only, in order
        todo: list[tuple[str, tuple | None]] = []
        for rows in targets:
            unit = rows.unit
            if not force and ledger.notice_sent(period, unit):
                todo.append((unit, None))
                continue
            path = _target_path(workspace, period, unit, out_dir, used)
            todo.append((unit, (path, rows, previous.get(unit, {}))))
        # the workbooks, over the cores; the ledger in the parent, in the same order
        jobs = [job for _, job in todo if job is not None]
        written = ordered_map(_write_job, ctx, jobs, count=len(jobs), workers=workers)
        at = now.isoformat(timespec="seconds")
        with ledger.batched(LEDGER_BATCH) as flush:  # a form not recorded is built again
            for unit, job in todo:
                if job is None:
                    summary.skipped_sent.append(unit)
                else:
                    form, error = next(written)
                    if form is None:
                        summary.failed.append((unit, error))
                    else:
                        ledger.record_form(
                            period, unit, form.form_id, str(form.path), form.fingerprint, at=at
                        )
                        summary.built.append(form)
                        flush()
                if progress:
                    progress(unit)
    finally:
        if own_ledger:
            ledger.close()
    return summary


def refresh_form(
    settings: Settings,
    assignments: Assignments,
    workspace: Workspace,
    period: Period | str,
    unit: str,
    partners: dict[str, str],
    *,
    path: Path,
    as_of: str,
    now: datetime,
) -> UnitForm:
    """The unit's form again with its partners' feedback (lead task id → text) in the locked
    配合单位反馈（供参考） column, as mailed with the 配合反馈. The identification is the
    original's (form id, row fingerprints), so intake takes either copy as the unit's form
    and the latest return wins; last quarter's reference is the same; editable cells are
    empty. Not recorded in the ledger: the original stays the form of record."""
    period = Period.parse(period)
    previous, _ = _previous_answers(workspace, period)
    ctx = replace(_context(settings, period, now, bool(previous)), partners_as_of=as_of)
    return write_form(path, ctx, assignments.for_unit(unit), previous.get(unit, {}), partners)


def _write_job(ctx: FormContext, job: tuple) -> tuple[UnitForm | None, str]:
    """One unit's workbook (in a worker process or here): the form, or why it failed."""
    path, rows, previous = job
    try:
        return write_form(path, ctx, rows, previous), ""
    except (DubanError, OSError) as exc:
        return None, str(exc)


def _refuse_broken_table(assignments: Assignments) -> None:
    """A name the registry cannot resolve would silently leave a row off every form."""
    errors = [p for p in assignments.check() if p.error]
    if errors:
        more = f"等 {len(errors)} 处" if len(errors) > 1 else ""
        raise FormError(
            f"任务表有错误，未生成表单：{errors[0]}{more}。请运行 duban check 查看并改正后重试"
        )


def select_units(
    assignments: Assignments, names: Iterable[str] | None
) -> tuple[list[UnitRows], list[str]]:
    """The units to build for ``names`` (all units with rows when empty), and the names
    that get no form. Names may be aliases or groups (各乡镇); an unknown name raises
    RegistryError with suggestions before anything is written."""
    if not names:
        return list(assignments.by_unit.values()), []
    reg = assignments.registry
    targets: list[UnitRows] = []
    empty: list[str] = []
    seen: set[str] = set()
    for name in names:
        res = reg.resolve_units(name)
        if res.unknown or not (res.names or res.collectives):
            reg.unit(name)  # raises with close matches
        for collective in res.collectives:
            empty.append(f"{collective}（泛指的提法，不单独填报）")
        for unit in res.names:
            if unit in seen:
                continue
            seen.add(unit)
            rows = assignments.for_unit(unit)
            if rows.count:
                targets.append(rows)
            else:
                empty.append(unit)
    return targets, empty


def _target_path(workspace: Workspace, period: Period, unit: str, out_dir, used: set[Path]) -> Path:
    path = workspace.form_path(period, unit)
    if out_dir:
        path = Path(out_dir) / path.name
    if path in used:  # two names that differ only in unsafe characters
        path = path.with_name(f"{path.stem}_{fs.form_id(period, unit)[-4:]}{path.suffix}")
    used.add(path)
    return path


def _context(settings: Settings, period: Period, now: datetime, has_previous: bool) -> FormContext:
    deadline = period_calendar(period, settings.deadline).deadline
    d = settings.district
    return FormContext(
        period=period,
        title=fs.title(d.name, period.year, d.document_title, period),
        deadline_text=f"{chinese_date(deadline.date())}（{weekday_cn(deadline.date())}）{deadline:%H:%M} 前",
        contact=settings.forms.contact or d.office,
        office=d.office,
        password=settings.forms.password or settings.secrets.form_password,
        max_text_chars=settings.forms.max_text_chars,
        generated_at=now,
        previous_label=period.previous().full_label if has_previous else "",
        templates=settings.paths.templates,
        status_rule=status_rule(period.expected_progress, settings.merge),
    )


def _previous_answers(workspace: Workspace, period: Period) -> tuple[dict[str, dict], list[str]]:
    """unit → {(role, task id): Answer} from last quarter (``reporting.core.previous``)."""
    result, note = previous_result(workspace, period, "本次表单不列上季度报送情况")
    out: dict[str, dict] = {}
    for (unit, role, task_id), answer in previous_answers(result).items():
        out.setdefault(unit, {})[(role, task_id)] = answer
    return out, [note] if note else []


# -- one workbook -------------------------------------------------------------------
def write_form(
    path: Path,
    ctx: FormContext,
    rows: UnitRows,
    previous: dict | None = None,
    partners: dict[str, str] | None = None,
) -> UnitForm:
    """Write one unit's workbook atomically to ``path``. ``partners``: lead task id → the
    partners' feedback to show in the locked 配合单位反馈（供参考） column (the copy sent
    with the 配合反馈); the column stays hidden without it."""
    previous = previous or {}
    partners = partners or {}
    unit = rows.unit
    ident = fs.FormIdentity.build(
        ctx.period,
        unit,
        rows.lead,
        rows.coop,
        generated_at=ctx.generated_at.isoformat(timespec="seconds"),
    )
    wb = xd.Book(st.BODY)  # 宋体 the default font (xlsx_style.use_chinese_default_font)
    guide = wb.create_sheet(fs.SHEET_GUIDE)  # first, filled last (styles in openpyxl's order)
    references = 0
    shown = {tid: text for tid, text in partners.items() if text} if rows.lead else {}
    id_rows: list[tuple[str, int, str, str]] = []
    for role, task_rows in (("lead", rows.lead), ("coop", rows.coop)):
        if task_rows:
            mine = shown if role == Role.LEAD else {}
            references += _task_sheet(wb, role, task_rows, ident, ctx, previous, mine)
            sheet = fs.TASK_SHEETS[role]
            id_rows += [
                (sheet, fs.FIRST_DATA_ROW + i, r.id, r.task.fingerprint())
                for i, r in enumerate(task_rows)
            ]
    partner_rows = sum(1 for r in rows.lead if r.id in shown)
    _guide_sheet(guide, ident, ctx, rows, references, partner_rows)
    _id_sheet(wb, ident, id_rows, ctx)
    _lookup_sheet(wb, ctx)
    props, custom = _identify_workbook(wb, ident, ctx)
    try:
        xd.save(wb, path, ctx.generated_at, props, custom, ctx.password)
    except OSError as exc:
        raise FormError(
            f"无法写入 {path}（{exc.strerror or exc}），请检查目录权限和磁盘空间"
        ) from None
    return UnitForm(
        unit=unit,
        path=path,
        form_id=ident.form_id,
        fingerprint=ident.fingerprint,
        lead_rows=len(rows.lead),
        coop_rows=len(rows.coop),
        reference_rows=references,
        partner_rows=partner_rows,
    )


def _protect(ws: xd.Sheet, ctx: FormContext) -> None:
    # locked cells; units may still make a row taller or a column wider for long text
    ws.protected = True
    ws.password = ctx.password


def _put(
    ws: xd.Sheet, coord: str, value, font=st.BODY, align=None, fill=None, border=None, locked=True
):
    value = safe_cell_text(value) if isinstance(value, str) else value
    ws.put(coord, value, font, align, fill, border, locked)


def _task_sheet(
    wb,
    role: str,
    rows: list[ResolvedTask],
    ident,
    ctx: FormContext,
    previous: dict,
    partners: dict[str, str],
) -> int:
    """One task sheet; returns how many rows show last quarter's answer."""
    ws = wb.create_sheet(fs.TASK_SHEETS[role])
    n_ind = max(len(r.task.indicators) for r in rows)
    cols = fs.columns(n_ind)
    hidden = set()
    if not ctx.previous_label:
        hidden.add("previous")
    if not any(r.id in partners for r in rows):
        hidden.add("partners")
    letters = [get_column_letter(i) for i in range(1, len(cols) + 1)]
    index = {c.key: i for i, c in enumerate(cols, 1)}
    last_row = fs.FIRST_DATA_ROW + len(rows) - 1
    for letter, col in zip(letters, cols, strict=True):
        ws.column(letter, col.width, col.key in hidden)

    pages = print_pages(cols, hidden)
    hidden_at = {i for i, c in enumerate(cols, 1) if c.key in hidden}
    page_col = letters[pages[0][-1] - 1]  # title and legend span the first printed page
    role_cn = "牵头任务" if role == Role.LEAD else "配合任务"
    ws.merge_cells(f"A{fs.TITLE_ROW}:{page_col}{fs.TITLE_ROW}")
    _put(ws, fs.TITLE_CELL, f"{ctx.title}（{role_cn}）", st.TITLE, st.CENTER)
    ws.height(fs.TITLE_ROW, 36)
    header_values = {
        "unit": ident.unit,
        "period": ctx.period.full_label,
        "deadline": ctx.deadline_text,
        "form_id": ident.form_id,
    }
    for h in fs.HEADER_CELLS:
        if h.label_end:
            ws.merge_cells(f"{h.label_cell}:{h.label_end}")
        if h.value_end:
            ws.merge_cells(f"{h.value_cell}:{h.value_end}")
        label_align = st.WRAP_LEFT if h.label_cell.startswith("A") else st.WRAP_RIGHT
        _put(ws, h.label_cell, f"{h.label}：", st.LABEL, label_align)
        _put(
            ws, h.value_cell, header_values.get(h.key), st.BODY, st.WRAP_LEFT, locked=not h.editable
        )
        if h.editable:  # a box to fill in; a merged range shows each covered cell's border
            ws.border(f"{h.value_cell}:{h.value_end or h.value_cell}", st.GRID)
    for row in range(fs.TITLE_ROW + 1, fs.HEADER_ROW):
        ws.height(row, 30)

    for letter, col in zip(letters, cols, strict=True):
        _put(
            ws,
            f"{letter}{fs.HEADER_ROW}",
            fs.printed_header(col),
            st.HEADER,
            st.WRAP_CENTER,
            st.HEADER_FILL,
            st.GRID,
        )
    ws.height(fs.HEADER_ROW, st.row_height([(fs.printed_header(c), c.width) for c in cols], 30))

    dv = _validations(ctx)
    references = 0
    for i, r in enumerate(rows):
        row = fs.FIRST_DATA_ROW + i
        answer = previous.get((role, r.id)) or previous.get(
            ("coop" if role == Role.LEAD else "lead", r.id)
        )
        references += _data_row(
            ws, row, i + 1, r, cols, letters, answer, dv, ctx, partners.get(r.id, "")
        )
    for key in ("progress", "problems", "next_steps"):
        dv["text"].add(_col_range(index[key], last_row))
    dv["percent"].add(_col_range(index["percent"], last_row))
    dv["status"].add(_col_range(index["status"], last_row))
    for v in dv.values():
        if v.sqref:
            ws.validations.append(v)

    legend_row = last_row + 2
    ws.merge_cells(f"A{legend_row}:{page_col}{legend_row}")
    legend = "注：白色单元格由本单位填写；灰色单元格为任务信息，已锁定。"
    if n_ind:
        legend += "深灰色表示该行没有这一项指标，不用填写。"
    if ctx.previous_label:
        legend += (
            f"浅黄色的“上季度报送情况”是本单位{ctx.previous_label}已采纳的内容，仅供参考，"
            "请按本季度实际情况重新填写，不要照抄。"
        )
    if "partners" not in hidden:
        legend += (
            f"浅绿色的“配合单位反馈（供参考）”列（在责任分工前）是各配合单位{ctx.partners_as_of}"
            "报送的进度、状态和进展摘要（全文见《配合单位反馈》），仅供参考，请吸收后填写本单位的报送内容。"
        )
    _put(ws, f"A{legend_row}", legend, st.BODY_GREY, st.WRAP_LEFT)
    ws.height(
        legend_row,
        st.row_height(
            [(legend, sum(cols[i - 1].width for i in pages[0] if i not in hidden_at))], 30
        ),
    )

    # 序号, 任务编号, 任务内容 stay in view when scrolling right or down
    ws.freeze = f"{get_column_letter(fs.FROZEN_COLUMNS + 1)}{fs.FIRST_DATA_ROW}"
    _print_pages(ws, cols, pages, hidden_at, last_row)
    if len(pages) > 1:  # the later pages carry no title row: each page says whose form it is
        # (on every page alike: LibreOffice ignores Excel's "different first page")
        ws.odd_header = (
            f"{ident.unit}　{ctx.period.full_label}进展情况表（{role_cn}）",
            f"表单编号：{ident.form_id}",
            st.SONG,
            9,
        )
    ws.zoom = 90
    _protect(ws, ctx)
    return references


def print_pages(cols, hidden: Set[str] = frozenset()) -> list[list[int]]:
    """The 1-based columns of each printed page, left to right: the first page up to
    ``fs.PRINT_BREAK_AFTER``, then the rest as many per page as fit at the first page's
    scale, each page starting with the repeated ``fs.FROZEN_COLUMNS`` (indicator pairs
    stay together). ``hidden`` column keys take no room."""
    split = next(i for i, c in enumerate(cols, 1) if c.key == fs.PRINT_BREAK_AFTER)

    def width(indices) -> float:
        return sum(
            st.column_points(cols[i - 1].width) for i in indices if cols[i - 1].key not in hidden
        )

    first = list(range(1, split + 1))
    scale = st.print_scale_for(width(first))
    room = st.printable_width() * 100 / scale
    titles = first[: fs.FROZEN_COLUMNS]
    groups: list[list[int]] = []  # a target with its value column, or a single column
    for i in range(split + 1, len(cols) + 1):
        if cols[i - 1].kind == "indicator_value" and groups:
            groups[-1].append(i)
        else:
            groups.append([i])
    pages = [first]
    page: list[int] = []
    for group in groups:
        if page and width([*titles, *page, *group]) > room:
            pages.append([*titles, *page])
            page = []
        page.extend(group)
    if page:
        pages.append([*titles, *page])
    return pages


def _print_pages(ws, cols, pages: list[list[int]], hidden_at: set[int], last_row: int) -> None:
    """Fixed print scale (legible text, not shrunk to fit) and column breaks between the
    printed pages; 序号/任务编号/任务内容 repeat on each.

    The later pages (责任分工, indicators) are a second print range that starts at the header
    row: in one range the title and the header fields, merged across the first page, would
    print cut to their first three columns on every later page. The colour note under the
    table is for the screen (the 填报说明 says the same): printed, it was often pushed alone
    onto a last page under a repeated header row."""
    widths = [
        sum(st.column_points(cols[i - 1].width) for i in p if i not in hidden_at) for p in pages
    ]
    scale = st.print_scale_for(max(widths))
    ws.page_setup(f"{fs.HEADER_ROW}:{fs.HEADER_ROW}", scale=scale)
    first_end = get_column_letter(pages[0][-1])
    if len(pages) == 1:
        ws.print_area = f"A1:{get_column_letter(len(cols))}{last_row}"
        return
    later = get_column_letter(pages[0][-1] + 1)
    ws.print_area = [
        f"A1:{first_end}{last_row}",
        f"{later}{fs.HEADER_ROW}:{get_column_letter(len(cols))}{last_row}",
    ]
    ws.print_title_cols = f"A:{get_column_letter(fs.FROZEN_COLUMNS)}"
    for page in pages[:-1]:
        ws.col_breaks.append(page[-1])  # break to the right of its last column


def _col_range(col: int, last_row: int) -> str:
    letter = get_column_letter(col)
    return f"{letter}{fs.FIRST_DATA_ROW}:{letter}{last_row}"


def reference_text(answer: Answer | None, period_label: str) -> str:
    """What the locked 上季度报送情况 cell shows: numbers, status, then the progress text."""
    if answer is None:
        return f"{period_label}未报送该项" if period_label else ""
    head = []
    if answer.percent is not None:
        head.append(f"累计完成进度 {num(answer.percent)}%")
    if answer.status:
        head.append(f"推进状态“{answer.status}”")
    values = [f"{k} {num(v)}" for k, v in answer.indicators.items() if v is not None]
    if values:
        head.append("指标完成值：" + "、".join(values))
    text = "；".join(head)
    if answer.progress:
        text = f"{text}。\n{answer.progress}" if text else answer.progress
    return text


def _data_row(
    ws,
    row: int,
    seq: int,
    r: ResolvedTask,
    cols,
    letters,
    answer: Answer | None,
    dv,
    ctx,
    partners: str = "",
) -> int:
    """One task row; returns 1 when it shows last quarter's answer. Editable cells are
    always left empty: nothing a unit could send back unread."""
    t = r.task
    duty = [f"牵头单位：{'、'.join(r.lead_units)}"]
    if r.lead_leaders:
        duty.insert(0, f"责任领导：{'、'.join(r.lead_leaders)}")
    coop = [*r.coop_units, *r.coop_collective]
    if coop:
        duty.append(f"配合单位：{'、'.join(coop)}")
    given = {
        "seq": seq,
        "task_id": t.label,
        "content": t.content,
        "duty": "\n".join(duty),
    }
    reference = 0
    wrapped: list[tuple[str, float]] = []
    for letter, col in zip(letters, cols, strict=True):
        coord = f"{letter}{row}"
        if col.key in given:
            value = given[col.key]
            align = st.WRAP_TOP if col.kind == "text" else st.WRAP_CENTER
            _put(ws, coord, value, st.BODY, align, st.LOCKED_FILL, st.GRID)
            if col.kind == "text":
                wrapped.append((str(value), col.width))
            continue
        if col.kind == "reference":
            text = reference_text(answer, ctx.previous_label)
            wrapped.append((text, col.width))
            reference += answer is not None
            _put(ws, coord, text, st.BODY, st.WRAP_TOP, st.REFERENCE_FILL, st.GRID)
            continue
        if col.kind == "partners":
            if partners:
                wrapped.append((partners, col.width))
            fill = st.PARTNER_FILL if partners else st.LOCKED_FILL
            _put(ws, coord, partners or None, st.BODY, st.WRAP_TOP, fill, st.GRID)
            continue
        if col.kind == "indicator_target":
            ind = t.indicators[col.indicator - 1] if col.indicator <= len(t.indicators) else None
            text = fs.indicator_label(ind) if ind else ""
            _put(
                ws,
                coord,
                text,
                st.BODY,
                st.WRAP_CENTER,
                st.LOCKED_FILL if ind else st.UNUSED_FILL,
                st.GRID,
            )
            continue
        if col.kind == "indicator_value":
            if col.indicator > len(t.indicators):
                _put(ws, coord, None, st.BODY, st.CENTER, st.UNUSED_FILL, st.GRID)
                continue
            dv["indicator"].add(coord)
        align = st.WRAP_TOP if col.kind == "text" else st.WRAP_CENTER
        _put(ws, coord, None, st.BODY, align, None, st.GRID, locked=False)
    # a starting height for the given text, not fixed: Excel and WPS grow the row as the
    # unit types, so a long answer prints in full
    ws.height(row, st.row_height(wrapped, MIN_DATA_ROW_PT), custom=False)
    return min(reference, 1)


def _dv(kind: str, title: str, prompt: str, error: str, **kw) -> DataValidation:
    """A validation with Chinese prompt and error (titles ≤ 32 characters in Excel)."""
    return DataValidation(
        type=kind,
        allow_blank=True,
        showErrorMessage=True,
        showInputMessage=bool(prompt),
        errorStyle="stop",
        promptTitle=title if prompt else None,
        prompt=prompt or None,
        errorTitle=kw.pop("errorTitle", f"{title}填写有误"),
        error=error,
        **kw,
    )


def _validations(ctx: FormContext) -> dict[str, DataValidation]:
    choices = "、".join(fs.STATUS_CHOICES)
    expected = f"{ctx.period.expected_progress:g}"
    return {
        "status": _dv(
            "list",
            "推进状态",
            f"请点击右侧箭头，从下拉列表中选择：{choices}。",
            f"只能从下拉列表中选择：{choices}。",
            formula1=fs.STATUS_NAME,
        ),
        "percent": _dv(
            "decimal",
            "累计完成进度（%）",
            f"填写截至本季度末全年任务的累计完成比例，0–100 之间的数字，如 80，不加 % 号。本季度序时进度为 {expected}。",
            "请填写 0 到 100 之间的数字（可带小数），不要加 % 号或文字。",
            operator="between",
            formula1="0",
            formula2="100",
        ),
        "indicator": _dv(
            "decimal",
            "指标完成值",
            "填写截至本季度末的累计完成数，单位同左侧目标，只填数字；标有“填增速”的指标填增长百分比，如增长7.5%填 7.5，下降填负数。",
            "请只填数字（可带小数或负号），不要填单位或文字；情况说明请写在“本季度工作进展”中。",
            operator="between",
            formula1="-999999999999",
            formula2="999999999999",
        ),
        "text": _dv(
            "textLength",
            "文字",
            "",
            f"每格最多 {ctx.max_text_chars} 字，请精简后再填写。",
            errorTitle="内容过长",
            operator="lessThanOrEqual",
            formula1=str(ctx.max_text_chars),
        ),
    }


def _guide_sheet(
    ws, ident, ctx: FormContext, rows: UnitRows, references: int, partners: int = 0
) -> None:
    ws.column("A", 22)
    ws.column("B", 88)
    ws.merge_cells("A1:B1")
    _put(ws, fs.GUIDE_CELLS["title"], f"{ctx.title}\n填报说明", st.GUIDE_TITLE, st.WRAP_CENTER)
    ws.height(1, 54)
    counts = []
    if rows.lead:
        counts.append(f"牵头任务 {len(rows.lead)} 项（见“{fs.SHEET_LEAD}”表）")
    if rows.coop:
        counts.append(f"配合任务 {len(rows.coop)} 项（见“{fs.SHEET_COOP}”表）")
    facts = [
        ("unit", "填报单位", ident.unit),
        ("period", "报告期", ctx.period.full_label),
        ("deadline", "截止时间", ctx.deadline_text),
        ("form_id", "表单编号", ident.form_id),
        ("counts", "任务数", "，".join(counts)),
        ("contact", "联系方式", f"如有疑问，请联系{ctx.contact}"),
        ("ident", "识别码（请勿改动）", ident.encode()),
    ]
    for key, label, value in facts:
        coord = fs.GUIDE_CELLS[key]
        row = int(coord[1:])
        _put(ws, f"A{row}", label, st.GUIDE_LABEL, st.WRAP_LEFT, border=st.GRID)
        font = st.BODY_GREY if key == "ident" else st.GUIDE_TEXT
        _put(ws, coord, value, font, st.WRAP_LEFT, border=st.GRID)
        ws.height(row, 22)
    notes = _guide_notes(ctx, rows, references, partners)
    row = fs.GUIDE_FIRST_NOTE_ROW
    ws.merge_cells(f"A{row}:B{row}")
    _put(ws, f"A{row}", "填报要求", st.GUIDE_LABEL, st.WRAP_LEFT)
    ws.height(row, 24)
    for i, (text, highlight) in enumerate(notes, 1):
        row += 1
        ws.merge_cells(f"A{row}:B{row}")
        _put(
            ws,
            f"A{row}",
            f"{i}. {text}",
            st.GUIDE_NOTE if highlight else st.GUIDE_TEXT,
            st.WRAP_LEFT,
        )
        ws.height(row, st.row_height([(text, 110)], 22, line_pt=18, size=12))
    ws.print_area = f"A1:B{row}"
    ws.page_setup(None, landscape=False)
    _protect(ws, ctx)


def _guide_notes(
    ctx: FormContext, rows: UnitRows, references: int, partners: int = 0
) -> list[tuple[str, bool]]:
    """The 填报说明 notes from ``templates/form_guide.txt.j2`` (wording the office edits).

    Notes are separated by blank lines; a note starting with "! " is highlighted.
    """
    from reporting.core.messages import render_text

    sheets = "、".join(
        f"“{fs.TASK_SHEETS[r]}”" for r, v in (("lead", rows.lead), ("coop", rows.coop)) if v
    )
    text = render_text(
        ctx.templates,
        GUIDE_TEMPLATE,
        {
            "sheets": sheets,
            "expected": f"{ctx.period.expected_progress:g}",
            "statuses": "、".join(fs.STATUS_CHOICES),
            "deadline": ctx.deadline_text,
            "office": ctx.office,
            "references": references,
            "previous": ctx.previous_label,
            "status_rule": ctx.status_rule,
            "has_coop": bool(rows.coop),
            "partners": partners,
            "partners_as_of": ctx.partners_as_of,
            "contact": ctx.contact,
        },
    )
    notes = []
    for block in re.split(r"\n\s*\n", text.strip()):
        note = " ".join(line.strip() for line in block.splitlines() if line.strip())
        if note:
            notes.append((note[2:], True) if note.startswith("! ") else (note, False))
    return notes


def _id_sheet(wb, ident, id_rows, ctx: FormContext) -> None:
    ws = wb.create_sheet(fs.SHEET_ID)
    ws.state = "hidden"
    for col, text in zip("ABC", ("键", "值", "说明"), strict=True):
        _put(ws, f"{col}1", text, st.HEADER)
    for i, (key, value) in enumerate(ident.pairs()):
        row = fs.ID_FIRST_ROW + i
        _put(ws, f"A{row}", key)
        ws.set_text(f"B{row}", clean_text(value))  # never a formula
        _put(ws, f"C{row}", fs.ID_KEY_NOTES[key])
    head = fs.ID_ROWS_HEADER_ROW
    for col, text in zip("ABCD", fs.ID_ROWS_HEADER, strict=True):
        _put(ws, f"{col}{head}", text, st.HEADER)
    for i, (sheet, row, task_id, fingerprint) in enumerate(id_rows, 1):
        for col, value in zip("ABCD", (sheet, row, task_id, fingerprint), strict=True):
            _put(ws, f"{col}{head + i}", value)
    ws.column("B", 40)
    _protect(ws, ctx)


def _lookup_sheet(wb, ctx: FormContext) -> None:
    ws = wb.create_sheet(fs.SHEET_LOOKUP)
    ws.state = "hidden"
    for i, choice in enumerate(fs.STATUS_CHOICES, 1):
        _put(ws, f"A{i}", choice)
    wb.names.append((fs.STATUS_NAME, fs.LOOKUP_RANGE))
    _protect(ws, ctx)


def _identify_workbook(
    wb: xd.Book, ident, ctx: FormContext
) -> tuple[DocumentProperties, CustomPropertyList]:
    """The form's identity as a defined name and document properties; the workbook's
    structure is protected when saved (sheets cannot be unhidden, renamed or deleted)."""
    text = clean_text(ident.encode()).replace('"', '""')
    wb.names.append((fs.IDENT_NAME, f'"{text}"'))
    custom = CustomPropertyList()
    for key, prop in fs.CUSTOM_PROPS.items():
        custom.append(StringProperty(name=prop, value=clean_text(str(getattr(ident, key)))))
    props = DocumentProperties()
    props.title = f"{ctx.title}（{clean_text(ident.unit)}）"
    props.subject = ident.form_id
    props.creator = ctx.office
    props.lastModifiedBy = ctx.office
    props.keywords = f"duban {ident.period} {ident.form_id}"
    return props, custom
