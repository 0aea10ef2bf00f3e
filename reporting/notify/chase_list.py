"""The printable 催报清单: units still missing, whom to call and what to say.

One .xlsx and one .docx (A4 landscape, 五号 at 100 %, header row repeated on every page)
under ``workspace.reminders_dir(period)``, named by date so earlier lists are kept; a rerun
the same day replaces that day's files. The last column is left blank for notes taken
during the phone calls.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from reporting.core.calendar import PeriodCalendar
from reporting.core.config import Settings
from reporting.core.fileutil import atomic_write_bytes, safe_cell_text
from reporting.core.periods import Period, chinese_date
from reporting.core.workspace import Workspace
from reporting.documents.xlsx_save import save_workbook
from reporting.notify.recipients import Recipient


# The columns, in the order printed. Widths are in em (one CJK character at 五号) and come
# from the longest value that must not break (a phone number, a date, a contact line), so
# the list takes as few pages as its rows need; 情况 takes what is left and its rows split
# across pages. The last column is blank for notes taken on the phone (at least 4 cm).
@dataclass(frozen=True)
class Column:
    header: str
    center: bool = False
    cap: float | None = None  # longer values wrap (a long unit name)
    fixed: float | None = None  # the width whatever the values


COLUMNS = (
    Column("序号", center=True),
    Column("单位", cap=7),
    Column("联系人及电话", center=True),
    Column("承担任务", center=True),
    Column("情况"),  # the rest of the width
    Column("已发提醒", cap=12.5),
    Column("电话催报记录", fixed=10.2),  # 4 cm with the cell margins
)
FLEXIBLE = 4  # 情况
MIN_FLEXIBLE = 10.0
SIZE_PT = 10.5  # 五号, both formats
PAD_EM = 0.4  # measuring slack per column
# a working list, not a 公文: 15 mm margins leave 267 × 180 mm (A4 landscape) for the rows
DOCX_MARGIN_MM = 15.0
DOCX_AREA_MM = 297.0 - 2 * DOCX_MARGIN_MM
DOCX_CELL_MARGINS_MM = 3.0  # 85 twips left and right (docx_format.table_layout)
EM_MM = SIZE_PT * 25.4 / 72
# Excel and LibreOffice measure columns wider than Word, and a row cannot split across
# pages in a spreadsheet: the .xlsx prints at 90 % (五号 comes out at 9.45 pt, ≥ 9)
XLSX_SCALE = 90
LINE_TWIPS = 280  # exact 14 pt lines: CJK faces' own line gap would make rows half again as tall


def em_width(text: str) -> float:
    """Printed width in em: CJK and full-width characters 1, others (digits, dashes) 0.55,
    plus the quarter em office programs put between CJK and Latin text (4月2日)."""
    wide = [unicodedata.east_asian_width(ch) in "WF" for ch in text]
    switches = sum(a != b for a, b in zip(wide, wide[1:], strict=False))
    return sum(1.0 if w else 0.55 for w in wide) + 0.25 * switches


def _longest(values: list[str]) -> float:
    return max((em_width(line) for v in values for line in str(v).split("\n")), default=0.0)


DOCX_AVAILABLE_EM = (DOCX_AREA_MM - DOCX_CELL_MARGINS_MM * len(COLUMNS)) / EM_MM


def column_widths(rows: list[list[str]], available: float = DOCX_AVAILABLE_EM) -> list[float]:
    """Each column's width in em: fitted to the values, 情况 gets what is left of
    ``available`` em."""
    widths = []
    for i, col in enumerate(COLUMNS):
        if col.fixed is not None:
            widths.append(col.fixed)
            continue
        # a long header may wrap onto two lines, values not
        header = em_width(col.header)
        want = max(_longest([r[i] for r in rows]), header if header <= 4 else header / 2)
        want += PAD_EM
        widths.append(min(want, col.cap) if col.cap else want)
    widths[FLEXIBLE] = max(MIN_FLEXIBLE, available - sum(widths) + widths[FLEXIBLE])
    return widths


def task_count(lead: int, coop: int) -> str:
    """ "牵头3项、配合5项" on two lines (the break after 、, never inside a count)."""
    parts = [f"牵头{lead}项" if lead else "", f"配合{coop}项" if coop else ""]
    return "、\n".join(p for p in parts if p) or "—"


def title_of(settings: Settings, period: Period) -> str:
    return f"{period.full_label}{settings.district.document_title}推进情况催报清单"


def rejected_text(reasons: list[str]) -> str:
    """The 情况 of a unit sent back: each reason on a line of its own, numbered when there
    are several (run together, they read as one sentence)."""
    head = "已退回，待修改后重报："
    if len(reasons) <= 1:
        return head + "".join(reasons)
    return "\n".join([head, *(f"{n}. {x.rstrip('。；')}" for n, x in enumerate(reasons, 1))])


def table_rows(recipients: list[Recipient]) -> list[list[str]]:
    rows = []
    for i, r in enumerate(recipients, 1):
        state = rejected_text(r.reasons) if r.rejected else "未报送"
        rows.append(
            [
                str(i),
                r.unit,
                "\n".join(x for x in (r.contact, r.phone, r.mobile) if x) or "—",
                task_count(r.lead_count, r.coop_count),
                state,
                "\n".join(r.history) or "—",
                "",
            ]
        )
    return rows


def subtitle_of(cal: PeriodCalendar, today: date, recipients: list[Recipient]) -> str:
    rejected = sum(r.rejected for r in recipients)
    count = f"未报送合格表格的单位共 {len(recipients)} 个" + (
        f"（其中被退回 {rejected} 个）" if rejected else ""
    )
    if not recipients:
        count = "全部单位均已报送合格表格"
    return f"报送截止：{cal.deadline_label}　　制表日期：{chinese_date(today)}　　{count}"


def write_chase_list(
    settings: Settings,
    workspace: Workspace,
    period: Period,
    recipients: list[Recipient],
    cal: PeriodCalendar,
    today: date,
) -> list[Path]:
    """Write the .xlsx and the .docx; return their paths."""
    folder = workspace.reminders_dir(period)
    stem = f"{period}_催报清单_{today:%Y%m%d}"
    title = title_of(settings, period)
    subtitle = subtitle_of(cal, today, recipients)
    rows = table_rows(recipients)
    xlsx, docx = folder / f"{stem}.xlsx", folder / f"{stem}.docx"
    write_xlsx(xlsx, title, subtitle, rows, today=today)
    write_docx(docx, title, subtitle, rows, author=settings.district.office, today=today)
    return [xlsx, docx]


def xlsx_width(em: float) -> float:
    """Excel column width (characters of '0', 7 pixels in Excel) holding ``em`` at 五号."""
    return round(em * SIZE_PT * 4 / 3 / 7 + 1, 1)


def xlsx_available_em() -> float:
    """The em the columns may take so the sheet fits the paper's width at ``XLSX_SCALE``
    (``column_points``: the wider of Excel's and LibreOffice's column widths)."""
    from reporting.documents import xlsx_style as st

    per_em = (st.column_points(xlsx_width(10)) - st.column_points(xlsx_width(0))) / 10
    room = st.printable_width() * 100 / XLSX_SCALE - len(COLUMNS) * st.column_points(xlsx_width(0))
    return room / per_em - 0.5


def write_xlsx(
    path: Path, title: str, subtitle: str, rows: list[list[str]], *, today: date
) -> None:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.pagebreak import Break

    from reporting.documents import xlsx_style as st

    wb = Workbook()
    st.use_chinese_default_font(wb)
    ws = wb.active
    ws.title = "催报清单"
    widths = [xlsx_width(em) for em in column_widths(rows, xlsx_available_em())]
    last = get_column_letter(len(COLUMNS))
    ws.merge_cells(f"A1:{last}1")
    ws.merge_cells(f"A2:{last}2")
    ws["A1"] = title
    ws["A1"].font, ws["A1"].alignment = st.TITLE, st.CENTER
    ws["A2"] = subtitle
    ws["A2"].font, ws["A2"].alignment = st.BODY, st.WRAP_LEFT
    ws.row_dimensions[1].height = 32
    ws.row_dimensions[2].height = st.row_height([(subtitle, sum(widths))], minimum=22)
    for col, (column, width) in enumerate(zip(COLUMNS, widths, strict=True), 1):
        ws.column_dimensions[get_column_letter(col)].width = width
        cell = ws.cell(row=3, column=col, value=column.header)
        cell.font, cell.fill, cell.border, cell.alignment = (
            st.HEADER,
            st.HEADER_FILL,
            st.GRID,
            st.WRAP_CENTER,
        )
    ws.row_dimensions[3].height = st.row_height(
        [(c.header, w) for c, w in zip(COLUMNS, widths, strict=True)], minimum=24
    )
    for r, values in enumerate(rows, 4):
        lines = [st.text_lines(v, w) for v, w in zip(values, widths, strict=True)]
        state, width = values[FLEXIBLE], widths[FLEXIBLE]
        broken = st.break_lines(state, width) if lines[FLEXIBLE] > 1 else state
        if broken != state:  # our own breaks in 情况: no line starts with "，" or "”"
            values = [*values[:FLEXIBLE], broken, *values[FLEXIBLE + 1 :]]
            lines[FLEXIBLE] = broken.count("\n") + 1  # each fits its line
        for col, value in enumerate(values, 1):
            cell = ws.cell(row=r, column=col)
            cell.value = safe_cell_text(value)
            cell.data_type = "s"  # phone numbers stay text
            cell.font, cell.border = st.BODY, st.GRID
            cell.alignment = st.WRAP_CENTER if COLUMNS[col - 1].center else st.WRAP_LEFT
        ws.row_dimensions[r].height = st.lines_height(max(lines), 30, line_pt=14)
    ws.freeze_panes = "C4"
    st.page_setup(ws, "3:3", landscape=True, scale=XLSX_SCALE)
    # a row never splits in a spreadsheet: pages shared out evenly, no lone row on the last
    room = st.printable_height() * 100 / XLSX_SCALE * 0.95 - ws.row_dimensions[3].height
    first = room - ws.row_dimensions[1].height - ws.row_dimensions[2].height
    heights = [ws.row_dimensions[r].height for r in range(4, 4 + len(rows))]
    for start in st.balanced_breaks(heights, first, room):
        ws.row_breaks.append(Break(id=start + 3))  # after the row before it (sheet row start+3)
    save_workbook(wb, path, datetime.combine(today, time()))


def write_docx(
    path: Path, title: str, subtitle: str, rows: list[list[str]], *, author: str, today: date
) -> None:
    from docx.shared import Mm, Pt

    from reporting.documents import docx_format as df
    from reporting.documents.docx_render import package_bytes

    doc = df.new_document()
    df.set_east_asian_language(doc)
    df.strip_theme_fonts(doc.styles.element)
    df.set_font(doc.styles["Normal"].element, df.FANGSONG, df.SIZE_XIAOSI)
    section = doc.sections[0]
    df.page_setup(section, landscape=True, grid=False)
    for side in ("top_margin", "bottom_margin", "left_margin", "right_margin"):
        setattr(section, side, Mm(DOCX_MARGIN_MM))
    df.set_core_properties(
        doc, title=title, author=author, when=datetime(today.year, today.month, today.day)
    )

    def para(text: str, font: str, size: float, jc: str, after: int = 0):
        p = doc.add_paragraph()
        df.set_para(p._p, jc=jc)
        df.set_spacing(p._p, line=None, before=0, after=after)
        run = p.add_run(text)
        df.set_font(run._r, font, size)
        return p

    para(title, df.XIAOBIAOSONG, 18, "center", after=120)
    para(subtitle, df.FANGSONG, df.SIZE_XIAOSI, "left", after=120)

    table = doc.add_table(rows=1 + len(rows), cols=len(COLUMNS))
    widths_mm = [em * EM_MM + DOCX_CELL_MARGINS_MM for em in column_widths(rows)]
    df.table_layout(table, widths_mm)
    for i, row in enumerate(table.rows):
        values = [c.header for c in COLUMNS] if i == 0 else rows[i - 1]
        df.cant_split(row)  # a row cut in two loses its unit name on the next page
        if i == 0:
            df.repeat_header(row)
        for col, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
            lines = str(value).split("\n")
            p = cell.paragraphs[0]
            for n, line in enumerate(lines):
                if n:
                    p = cell.add_paragraph()
                df.set_spacing(p._p, line=LINE_TWIPS)
                df.set_para(p._p, jc="center" if i == 0 or COLUMNS[col].center else "left")
                run = p.add_run(line)
                df.set_font(run._r, df.HEITI if i == 0 else df.FANGSONG, SIZE_PT)
        if i:
            row.height = Pt(34)  # at least: room to write beside a short row
    # the 经办人 line keeps the last row with it: never a page of its own
    df.set_para(para("", df.FANGSONG, df.SIZE_XIAOSI, "left")._p, keep_next=True)
    para(
        "经办人：　　　　　　　　联系电话：　　　　　　　　（电话催报后请在最后一栏记下通话时间、接听人和答复）",
        df.FANGSONG,
        df.SIZE_XIAOSI,
        "left",
    )
    df.keep_tables_with_closing(doc, rows=3)
    df.finish(doc)
    atomic_write_bytes(path, package_bytes(doc))  # fixed entry times: the same list, the same bytes
