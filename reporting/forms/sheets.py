"""What a form says: the 填报说明 (facts, identification, the office's notes), the 牵头任务 and
配合任务 sheets (title, header fields, column headers, one row per task with its given cells
locked and its answer cells empty, last quarter's answer and the partners' feedback for
reference, the colour note) and the two hidden sheets (identification, the status list).
How it prints is ``print_layout``; what may be typed where is ``validations``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Set
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from openpyxl.utils import get_column_letter

from reporting.core.fileutil import clean_text, safe_cell_text
from reporting.core.model import Answer
from reporting.core.numbers import num
from reporting.core.pace import row_pace
from reporting.core.periods import Period
from reporting.core.states import PaceBasis, Role, TaskKind
from reporting.core.text import condense, one_line
from reporting.documents import xlsx_direct as xd
from reporting.documents import xlsx_style as st
from reporting.forms import formspec as fs
from reporting.forms import print_layout as pl
from reporting.forms.request_sheet import TASKS_NAME, lookup_labels
from reporting.forms.validations import attach, form_validations, protect
from reporting.taskbook.assignments import ResolvedTask, UnitRows
from reporting.taskbook.tasks import values_text

GUIDE_TEMPLATE = "form_guide.txt.j2"  # 填报说明 wording, edited by the office
MIN_DATA_ROW_PT = 45.0  # room to write by hand on a printout


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


def put(
    ws: xd.Sheet, coord: str, value, font=st.BODY, align=None, fill=None, border=None, locked=True
):
    value = safe_cell_text(value) if isinstance(value, str) else value
    ws.put(coord, value, font, align, fill, border, locked)


def task_sheet(
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
    hidden = set()  # empty columns: last quarter's answers in Q1; the partners' feedback
    # on every form but the copy mailed with the 配合反馈
    if not ctx.previous_label:
        hidden.add("previous")
    if not any(r.id in partners for r in rows):
        hidden.add("partners")
    cols = pl.fit_first_page(fs.columns(n_ind), hidden)
    # the copy's 配合任务 prints without last quarter's digest (whole on 上季度全文), 任务内容
    # taking its width: rows a third shorter, so the copy adds the partners' pages to the
    # unit's form and not more (a 乡镇 with 37 cooperating rows printed 10 pages)
    lean = bool(ctx.partners_as_of) and "previous" not in hidden
    if lean:
        hidden.add("previous")
        cols = pl.content_over_reference(cols)
    letters = [get_column_letter(i) for i in range(1, len(cols) + 1)]
    index = {c.key: i for i, c in enumerate(cols, 1)}
    last_row = fs.FIRST_DATA_ROW + len(rows) - 1
    pl.column_widths(ws, cols, hidden)

    pages = pl.print_pages(cols, hidden)
    hidden_at = {i for i, c in enumerate(cols, 1) if c.key in hidden}
    page_col = letters[pages[0][-1] - 1]  # title and legend span the first printed page
    role_cn = "牵头任务" if role == Role.LEAD else "配合任务"
    ws.merge_cells(f"A{fs.TITLE_ROW}:{page_col}{fs.TITLE_ROW}")
    put(ws, fs.TITLE_CELL, f"{ctx.title}（{role_cn}）", st.TITLE, st.CENTER)
    ws.height(fs.TITLE_ROW, 36)
    header_values = {
        "unit": ident.unit,
        "period": ctx.period.full_label,
        "deadline": ctx.deadline_text,
        "form_id": ident.form_id,
    }
    width = {letter: col.width for letter, col in zip(letters, cols, strict=True)}
    for h in fs.HEADER_CELLS:
        if h.label_end:
            ws.merge_cells(f"{h.label_cell}:{h.label_end}")
        # the boxes at the first page's right edge reach it (over the 指标完成值 columns)
        value_end = h.value_end or (
            f"{page_col}{h.value_cell[1:]}"
            if h.value_cell[0] == fs.LAST_HEADER_COLUMN and page_col > fs.LAST_HEADER_COLUMN
            else ""
        )
        if value_end:
            ws.merge_cells(f"{h.value_cell}:{value_end}")
        label_align = st.WRAP_LEFT if h.label_cell.startswith("A") else st.WRAP_RIGHT
        put(ws, h.label_cell, header_label(h, width[h.label_cell[0]]), st.LABEL, label_align)
        put(
            ws, h.value_cell, header_values.get(h.key), st.BODY, st.WRAP_LEFT, locked=not h.editable
        )
        if h.editable:  # a box to fill in; a merged range shows each covered cell's border
            ws.border(f"{h.value_cell}:{value_end or h.value_cell}", st.GRID)
    for row in range(fs.TITLE_ROW + 1, fs.HEADER_ROW):
        ws.height(row, 30)

    for letter, col in zip(letters, cols, strict=True):
        put(
            ws,
            f"{letter}{fs.HEADER_ROW}",
            fs.printed_header(col),
            st.HEADER,
            st.WRAP_CENTER,
            st.HEADER_FILL,
            st.GRID,
        )
    ws.height(fs.HEADER_ROW, header_height(cols))

    dv = form_validations(ctx.period.expected_progress, ctx.max_text_chars)
    # in the copy only the columns on paper set a row's height: its unprinted 责任分工 (four
    # lines) made every row of its 配合任务 four lines tall. A unit's own form keeps the
    # height that shows the whole 责任分工 on screen
    printed = ({i for page in pages for i in page} - hidden_at) if ctx.partners_as_of else None
    references = 0
    for i, r in enumerate(rows):
        row = fs.FIRST_DATA_ROW + i
        answer = previous.get((role, r.id)) or previous.get(
            ("coop" if role == Role.LEAD else "lead", r.id)
        )
        references += _data_row(
            ws,
            row,
            i + 1,
            r,
            cols,
            letters,
            answer,
            dv,
            ctx,
            partners.get(r.id, ""),
            role,
            ident.unit,
            printed,
        )
    attach(ws, dv, index, last_row)

    legend_row = last_row + 2
    ws.merge_cells(f"A{legend_row}:{page_col}{legend_row}")
    legend = "注：白色单元格由本单位填写；灰色单元格为任务信息，已锁定。"
    if n_ind:
        legend += "深灰色表示该行没有这一项指标，不用填写。"
    if lean:
        legend += (
            f"本单位{ctx.previous_label}已采纳的内容见“上季度全文”表，仅供参考，"
            "请按本季度实际情况重新填写，不要照抄。"
        )
    elif ctx.previous_label:
        legend += (
            f"浅黄色的“上季度报送情况”是本单位{ctx.previous_label}已采纳内容的摘要（全文见“上季度全文”表），"
            "仅供参考，请按本季度实际情况重新填写，不要照抄。"
        )
    if "partners" not in hidden:
        legend += (
            f"浅绿色的“配合单位反馈（供参考）”列（在责任分工前）是各配合单位{ctx.partners_as_of}"
            "报送的进度、状态和进展摘要（全文见《配合单位反馈》），仅供参考，请吸收后填写本单位的报送内容。"
        )
    put(ws, f"A{legend_row}", legend, st.BODY_GREY, st.WRAP_LEFT)
    ws.height(
        legend_row,
        st.row_height(
            [(legend, sum(cols[i - 1].width for i in pages[0] if i not in hidden_at))], 30
        ),
    )

    # 序号, 任务编号, 任务内容 stay in view when scrolling right or down
    ws.freeze = f"{get_column_letter(fs.FROZEN_COLUMNS + 1)}{fs.FIRST_DATA_ROW}"
    scale = pl.print_ranges(ws, cols, pages, hidden_at, last_row)
    if len(pages) == 1:  # a second range (the partners' page) has room for more rows a page
        pl.balance_rows(ws, scale)
    pl.running_header(
        ws, pages, f"{ident.unit}　{ctx.period.full_label}进展情况表（{role_cn}）", ident.form_id
    )
    ws.zoom = 90
    protect(ws, ctx.password)
    return references


def header_label(h: fs.HeaderCell, width: float) -> str:
    """A header box's label, "主要领导审核：" broken after its first four characters where
    its column is too narrow (left alone, it broke as "主要领导审/核：")."""
    text = f"{h.label}："
    if len(h.label) > 4 and st.text_lines(text, width) > 1:
        return f"{h.label[:4]}\n{text[4:]}"
    return text


def header_height(cols) -> float:
    """The column header row: as many lines as the most broken header. Each header line
    is set to fit its column (``fs.HEADER_LINES``), so no slack for early breaks: with it
    "累计完成" counted two lines, and the row repeated on every printed page a line too tall."""

    def lines(text: str, width: float) -> int:
        per_line = max(1, math.floor(st.line_em(width)))
        return sum(max(1, math.ceil(st.text_width(p) / 2 / per_line)) for p in text.split("\n"))

    return st.lines_height(max(lines(fs.printed_header(c), c.width) for c in cols), 30)


DIGEST_CHARS = 32  # of last quarter's progress in the reference cell (a 乡镇's rows are as tall as it); the rest is a sheet away


def reference_text(answer: Answer | None, period_label: str) -> str:
    """What the locked 上季度报送情况 cell shows, a digest a printed page can hold: percent
    and status, then about ``DIGEST_CHARS`` characters of the progress (ending at a clause);
    the whole answer is on the 上季度全文 sheet (``previous_sheet``)."""
    if answer is None:
        return f"{period_label}未报送该项" if period_label else ""
    head = "，".join(
        x
        for x in (
            f"{num(answer.percent)}%" if answer.percent is not None else "",
            answer.status or "",
        )
        if x
    )
    text = digest(answer.progress or "")
    return f"{head}：{text}" if head and text else head or text


def digest(text: str, limit: int = DIGEST_CHARS) -> str:
    """About ``limit`` characters of a progress text, ending at a sentence or clause end
    (``core.text.condense``); a first clause far longer is cut at its last 、 or ， within
    the limit and marked 等."""
    short = condense(one_line(text), limit)
    if len(short) <= limit * 1.25:
        return short
    cut = max(short.rfind(ch, 0, limit) for ch in "，、；")
    return (short[:cut] if cut >= limit // 2 else short[:limit]) + "等。"


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
    role: str = Role.LEAD,
    ctx_unit: str = "",
    printed: Set[int] | None = None,
) -> int:
    """One task row; returns 1 when it shows last quarter's answer. Editable cells are
    always left empty: nothing a unit could send back unread. Only the ``printed`` columns
    (1-based; None: all) set the row's height."""
    t = r.task
    given = {
        "seq": seq,
        "task_id": t.label,
        "content": fs.content_text(t),
        "duty": duty_text(r, own=ctx_unit if role == Role.COOP else ""),
    }
    reference = 0
    wrapped: list[tuple[str, float]] = []
    for n, (letter, col) in enumerate(zip(letters, cols, strict=True), 1):
        coord = f"{letter}{row}"
        on_paper = printed is None or n in printed
        if col.key in given:
            value = given[col.key]
            align = st.WRAP_TOP if col.kind == "text" else st.WRAP_CENTER
            put(ws, coord, value, st.BODY, align, st.LOCKED_FILL, st.GRID)
            if col.kind == "text" and on_paper:
                wrapped.append((str(value), col.width))
            continue
        if col.kind == "reference":
            text = reference_text(answer, ctx.previous_label)
            if not ws.cols[n][1]:  # a hidden one sets no height
                if on_paper:
                    wrapped.append((text, col.width))
                reference += answer is not None
            put(ws, coord, text, st.BODY, st.WRAP_TOP, st.REFERENCE_FILL, st.GRID)
            continue
        if col.kind == "partners":
            partners = pack_lines(partners, col.width)
            if partners and on_paper:
                wrapped.append((partners, col.width))
            fill = st.PARTNER_FILL if partners else st.LOCKED_FILL
            put(ws, coord, partners or None, st.BODY, st.WRAP_TOP, fill, st.GRID)
            continue
        if col.kind == "indicator_target":
            ind = t.indicators[col.indicator - 1] if col.indicator <= len(t.indicators) else None
            text = fs.indicator_label(ind) if ind else ""
            put(
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
                put(ws, coord, None, st.BODY, st.CENTER, st.UNUSED_FILL, st.GRID)
                continue
            dv["whole" if t.indicators[col.indicator - 1].whole else "indicator"].add(coord)
        align = st.WRAP_TOP if col.kind == "text" else st.WRAP_CENTER
        put(ws, coord, None, st.BODY, align, None, st.GRID, locked=False)
    # a starting height for the given text, not fixed: Excel and WPS grow the row as the
    # unit types, so a long answer prints in full
    ws.height(row, st.row_height(wrapped, MIN_DATA_ROW_PT), custom=False)
    return min(reference, 1)


PACK_GAP = "　　"  # between partners sharing a line of the 配合单位反馈 cell


def pack_lines(text: str, width: float) -> str:
    """The partners' lines ("区科技经信局（36%，滞后）") side by side, ``PACK_GAP`` apart, as
    many as a line of the ``width`` column holds; a line with a summary stays alone when
    it fills one, and "未报送：…" stays last on its own. A lead unit with eight partners
    had eight short lines in every row, and its copy twice the pages."""
    per_line = st.line_em(width)
    out: list[str] = []
    for line in text.split("\n") if text else []:
        joined = f"{out[-1]}{PACK_GAP}{line}" if out else line
        if out and not line.startswith("未报送：") and st.text_width(joined) / 2 * 1.05 <= per_line:
            out[-1] = joined
        else:
            out.append(line)
    return "\n".join(out)


COMPACT_PARTNERS = 3  # a cooperating unit's row names at most this many partners


def duty_text(r: ResolvedTask, own: str = "") -> str:
    """The 责任分工 cell. On ``own``'s 配合任务 sheet a long partner list is cut short:
    "配合单位：长青乡等8个单位" — a partner works with the lead unit, and the whole list
    made every row of a 乡镇's form a third of a page tall (the cell is not printed there,
    but its lines set the row's height)."""
    duty = [f"牵头单位：{'、'.join(r.lead_units)}"]
    if r.lead_leaders:
        duty.insert(0, f"责任领导：{'、'.join(r.lead_leaders)}")
    coop = [*r.coop_units, *r.coop_collective]
    if own and len(coop) > COMPACT_PARTNERS:
        duty.append(f"配合单位：{own if own in coop else coop[0]}等{len(coop)}个单位")
    elif coop:
        duty.append(f"配合单位：{'、'.join(coop)}")
    if r.task.owner:
        duty.append(f"责任人：{r.task.owner}")
    return "\n".join(duty)


def guide_sheet(
    ws, ident, ctx: FormContext, rows: UnitRows, references: int, partners: int = 0
) -> None:
    ws.column("A", 22)
    ws.column("B", 88)
    ws.merge_cells("A1:B1")
    put(ws, fs.GUIDE_CELLS["title"], f"{ctx.title}\n填报说明", st.GUIDE_TITLE, st.WRAP_CENTER)
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
    guide_facts(ws, facts)
    notes = guide_notes(ctx, rows, references, partners)
    row = fs.GUIDE_FIRST_NOTE_ROW
    ws.merge_cells(f"A{row}:B{row}")
    put(ws, f"A{row}", "填报要求", st.GUIDE_LABEL, st.WRAP_LEFT)
    ws.height(row, 24)
    for i, (text, highlight) in enumerate(notes, 1):
        row += 1
        ws.merge_cells(f"A{row}:B{row}")
        put(
            ws,
            f"A{row}",
            f"{i}. {text}",
            st.GUIDE_NOTE if highlight else st.GUIDE_TEXT,
            st.WRAP_LEFT,
        )
        ws.height(row, st.row_height([(text, 110)], 22, line_pt=18, size=12))
    pl.guide_pages(ws)
    protect(ws, ctx.password)


def guide_facts(ws, facts: list[tuple[str, str, str]]) -> None:
    """The 填报说明's fact rows (key of ``formspec.GUIDE_CELLS``, label, value); the
    identification in small grey type, kept off screen and paper."""
    for key, label, value in facts:
        coord = fs.GUIDE_CELLS[key]
        row = int(coord[1:])
        put(ws, f"A{row}", label, st.GUIDE_LABEL, st.WRAP_LEFT, border=st.GRID)
        font = st.BODY_GREY if key == "ident" else st.GUIDE_TEXT
        put(ws, coord, value, font, st.WRAP_LEFT, border=st.GRID)
        ws.height(row, 22)
        if key == "ident":  # for intake, not for the reader
            ws.hidden_rows.add(row)


def guide_notes(
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
            "milestones": "；".join(milestone_lines(rows.lead, ctx.period)),
            "has_plan": any(
                row_pace(r.task, ctx.period).basis == PaceBasis.PLAN for r in rows.lead
            ),
        },
    )
    notes = []
    for block in re.split(r"\n\s*\n", text.strip()):
        note = " ".join(line.strip() for line in block.splitlines() if line.strip())
        if note:
            notes.append((note[2:], True) if note.startswith("! ") else (note, False))
    return notes


PREVIOUS_COLUMNS = (  # header, width: the 上季度全文 sheet
    ("任务编号", 8),
    ("累计完成进度（%）", 9),
    ("推进状态", 8),
    ("指标完成值", 16),
    ("本季度工作进展", 52),
    ("存在问题", 24),
    ("下步打算", 24),
)


def previous_sheet(wb, ident, rows: UnitRows, previous: dict, ctx: FormContext) -> int:
    """The 上季度全文 sheet: every answer of last quarter the reference cells digest, in
    full, locked; nothing when there is none. Returns its rows."""
    answers = []
    for role, task_rows in (("lead", rows.lead), ("coop", rows.coop)):
        other = "coop" if role == Role.LEAD else "lead"
        for r in task_rows:
            answer = previous.get((role, r.id)) or previous.get((other, r.id))
            if answer is not None:
                answers.append((r, answer))
    if not ctx.previous_label or not answers:
        return 0
    ws = wb.create_sheet(fs.SHEET_PREVIOUS)
    last = get_column_letter(len(PREVIOUS_COLUMNS))
    ws.merge_cells(f"A1:{last}1")
    put(ws, "A1", f"本单位{ctx.previous_label}已采纳的报送内容（仅供参考）", st.TITLE, st.CENTER)
    ws.height(1, 30)
    for i, (header, width) in enumerate(PREVIOUS_COLUMNS, 1):
        letter = get_column_letter(i)
        ws.column(letter, width)
        put(ws, f"{letter}2", header, st.HEADER, st.WRAP_CENTER, st.HEADER_FILL, st.GRID)
    ws.height(2, 30)
    for n, (r, a) in enumerate(answers, 3):
        values = (
            r.task.label,
            num(a.percent) if a.percent is not None else "—",
            a.status or "—",
            values_text(a.indicators, r.task.indicators, "\n") or "—",  # each with its unit
            a.progress or "—",
            a.problems or "—",
            a.next_steps or "—",
        )
        for i, value in enumerate(values, 1):
            align = st.WRAP_TOP if i > 4 else st.WRAP_CENTER
            put(ws, f"{get_column_letter(i)}{n}", value, st.BODY, align, st.REFERENCE_FILL, st.GRID)
        widths = [w for _, w in PREVIOUS_COLUMNS]
        ws.height(n, st.row_height(list(zip(map(str, values), widths, strict=True)), 30))
    ws.page_setup("2:2")  # one page wide, should someone print it on purpose
    pl.off_paper(ws, len(PREVIOUS_COLUMNS))  # on screen: printed, it was most of the form
    left = f"{ident.unit}　{ctx.period.full_label}进展情况表（{fs.SHEET_PREVIOUS}）"
    ws.odd_header = (left, f"表单编号：{ident.form_id}", st.SONG, 9)
    protect(ws, ctx.password)
    return len(answers)


def milestone_lines(rows: list[ResolvedTask], period: Period) -> list[str]:
    """What each lead row is judged against this quarter, where it is not the period's
    序时进度 (``reporting.core.pace.row_pace``): "8（1）落实方案节点 35%（6月底前完成土地征收）"."""
    out = []
    for r in rows:
        t, pace = r.task, row_pace(r.task, period)
        due = f"{pace.due.month}月{pace.due.day}日" if pace.due else ""
        if pace.kind == TaskKind.OTHER:
            text = "其它类任务，不按进度研判，按实际情况选择推进状态"
        elif pace.kind == TaskKind.ONE_OFF:
            text = (
                f"一次性任务，完成时限 {due}，到期前不按进度研判"
                if pace.expected is None
                else f"一次性任务，完成时限 {due}，本季度应全部完成"
            )
        elif pace.basis == PaceBasis.PLAN:
            note = f"（{t.plan_note}）" if t.plan_note else ""
            text = f"落实方案节点 {num(pace.expected)}%{note}"
        elif pace.expected != period.expected_progress:
            text = f"完成时限 {due}，本季度应达到 {num(pace.expected)}%"
        else:
            continue
        out.append(f"{t.label} {text}")
    return out


def id_sheet(wb, ident, id_rows, ctx: FormContext) -> None:
    ws = wb.create_sheet(fs.SHEET_ID)
    ws.state = "hidden"
    for col, text in zip("ABC", ("键", "值", "说明"), strict=True):
        put(ws, f"{col}1", text, st.HEADER)
    for i, (key, value) in enumerate(ident.pairs()):
        row = fs.ID_FIRST_ROW + i
        put(ws, f"A{row}", key)
        ws.set_text(f"B{row}", clean_text(value))  # never a formula
        put(ws, f"C{row}", fs.ID_KEY_NOTES[key])
    head = fs.ID_ROWS_HEADER_ROW
    for col, text in zip("ABCD", fs.ID_ROWS_HEADER, strict=True):
        put(ws, f"{col}{head}", text, st.HEADER)
    for i, (sheet, row, task_id, fingerprint) in enumerate(id_rows, 1):
        for col, value in zip("ABCD", (sheet, row, task_id, fingerprint), strict=True):
            put(ws, f"{col}{head + i}", value)
    ws.column("B", 40)
    protect(ws, ctx.password)


def lookup_sheet(wb, ctx: FormContext, lead: list[ResolvedTask] | None = None) -> None:
    ws = wb.create_sheet(fs.SHEET_LOOKUP)
    ws.state = "hidden"
    for i, choice in enumerate(fs.STATUS_CHOICES, 1):
        put(ws, f"A{i}", choice)
    wb.names.append((fs.STATUS_NAME, fs.LOOKUP_RANGE))
    if lead:  # the 申请 sheet's 任务编号 drop-down
        wb.names.append((TASKS_NAME, lookup_labels(ws, lead, put)))
    protect(ws, ctx.password)
