"""The printable 催报清单: units still missing, whom to call and what to say.

One .xlsx and one .docx (A4 landscape, header row repeated on every page) under
``workspace.reminders_dir(period)``, named by date so earlier lists are kept; a rerun
the same day replaces that day's files. The last column is left blank for notes
taken during the phone calls.
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

from reporting.core.calendar import PeriodCalendar
from reporting.core.config import Settings
from reporting.core.fileutil import atomic_save, safe_cell_text
from reporting.core.periods import Period, chinese_date
from reporting.core.workspace import Workspace
from reporting.documents.xlsx_save import save_workbook

if TYPE_CHECKING:
    from reporting.notify.remind import Recipient

# (header, xlsx width in characters, docx width in mm); the docx widths fill the 225 mm
# landscape type area
COLUMNS = [
    ("序号", 6, 11),
    ("单位", 22, 33),
    ("联系人", 10, 20),
    ("办公电话", 14, 28),
    ("手机", 14, 28),
    ("牵头/配合任务", 10, 16),
    ("情况", 40, 45),
    ("已发提醒", 22, 22),
    ("电话催报记录", 24, 22),
]


def title_of(settings: Settings, period: Period) -> str:
    return f"{period.full_label}{settings.district.document_title}推进情况催报清单"


def table_rows(recipients: list[Recipient]) -> list[list[str]]:
    rows = []
    for i, r in enumerate(recipients, 1):
        if r.rejected:
            state = "已退回，待修改后重报：" + "；".join(
                f"{n}. {x}" for n, x in enumerate(r.reasons, 1)
            )
        else:
            state = "未报送"
        rows.append(
            [
                str(i),
                r.unit,
                r.contact,
                r.phone,
                r.mobile,
                f"{r.lead_count}/{r.coop_count}",
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


def write_xlsx(
    path: Path, title: str, subtitle: str, rows: list[list[str]], *, today: date
) -> None:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    from reporting.documents import xlsx_style as st

    wb = Workbook()
    st.use_chinese_default_font(wb)
    ws = wb.active
    ws.title = "催报清单"
    last = get_column_letter(len(COLUMNS))
    ws.merge_cells(f"A1:{last}1")
    ws.merge_cells(f"A2:{last}2")
    ws["A1"] = title
    ws["A1"].font, ws["A1"].alignment = st.TITLE, st.CENTER
    ws["A2"] = subtitle
    ws["A2"].font, ws["A2"].alignment = st.BODY, st.WRAP_LEFT
    ws.row_dimensions[1].height = 32
    ws.row_dimensions[2].height = 22
    for col, (header, width, _) in enumerate(COLUMNS, 1):
        ws.column_dimensions[get_column_letter(col)].width = width
        cell = ws.cell(row=3, column=col, value=header)
        cell.font, cell.fill, cell.border, cell.alignment = (
            st.HEADER,
            st.HEADER_FILL,
            st.GRID,
            st.WRAP_CENTER,
        )
    ws.row_dimensions[3].height = 24
    for r, values in enumerate(rows, 4):
        for col, value in enumerate(values, 1):
            cell = ws.cell(row=r, column=col)
            cell.value = safe_cell_text(value)
            cell.data_type = "s"  # phone numbers stay text
            cell.font, cell.border = st.BODY, st.GRID
            cell.alignment = st.WRAP_CENTER if col in (1, 3, 4, 5, 6) else st.WRAP_LEFT
        ws.row_dimensions[r].height = st.row_height(
            [(v, COLUMNS[i][1]) for i, v in enumerate(values)], minimum=36
        )
    ws.freeze_panes = "C4"
    st.page_setup(ws, "3:3", landscape=True)
    save_workbook(wb, path, datetime.combine(today, time()))


def write_docx(
    path: Path, title: str, subtitle: str, rows: list[list[str]], *, author: str, today: date
) -> None:
    from docx.shared import Pt

    from reporting.documents import docx_format as df

    doc = df.new_document()
    df.set_east_asian_language(doc)
    df.strip_theme_fonts(doc.styles.element)
    df.set_font(doc.styles["Normal"].element, df.FANGSONG, df.SIZE_XIAOSI)
    df.page_setup(doc.sections[0], landscape=True, grid=False)
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
    df.table_layout(table, [w for _, _, w in COLUMNS])
    for i, row in enumerate(table.rows):
        values = [h for h, _, _ in COLUMNS] if i == 0 else rows[i - 1]
        df.cant_split(row)
        if i == 0:
            df.repeat_header(row)
        for col, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
            lines = str(value).split("\n")
            p = cell.paragraphs[0]
            for n, line in enumerate(lines):
                if n:
                    p = cell.add_paragraph()
                df.set_spacing(p._p, line=None)
                df.set_para(p._p, jc="center" if i == 0 or col in (0, 2, 3, 4, 5) else "left")
                run = p.add_run(line)
                df.set_font(run._r, df.HEITI if i == 0 else df.FANGSONG, df.SIZE_WU)
        if i:
            row.height = Pt(30)
    para("", df.FANGSONG, df.SIZE_XIAOSI, "left")
    para(
        "经办人：　　　　　　　　联系电话：　　　　　　　　（电话催报后请在最后一栏记下通话时间、接听人和答复）",
        df.FANGSONG,
        df.SIZE_XIAOSI,
        "left",
    )
    df.finish(doc)
    atomic_save(path, doc.save)
