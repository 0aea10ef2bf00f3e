"""The form's sheet 「销号延期调整申请」: where a lead unit asks for a task to be closed
(销号), given a later 时限 (延期) or changed (调整). Its layout is shared with intake, which
reads it back (``REQUEST_COLUMNS``, ``REQUEST_FIRST_ROW``).

Only a unit that leads tasks gets it; the 任务编号 column offers exactly its lead rows (a
drop-down over the hidden 下拉选项 sheet's column B), the 申请类别 column 销号/延期/调整.
It is filled in on screen and not printed with the form (``print_layout.off_paper``).
"""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.worksheet.datavalidation import DataValidation

from reporting.core.changes import ChangeKind
from reporting.documents import xlsx_direct as xd
from reporting.documents import xlsx_style as st
from reporting.forms import formspec as fs
from reporting.forms.print_layout import off_paper
from reporting.taskbook.assignments import ResolvedTask

SHEET_REQUESTS = fs.SHEET_REQUESTS
REQUEST_ROWS = 6  # empty rows offered; more may be inserted
REQUEST_HEADER_ROW = 4
REQUEST_FIRST_ROW = 5
TASKS_NAME = "DUBAN_LEAD_TASKS"  # → '下拉选项'!$B$1:$B$n


@dataclass(frozen=True)
class RequestColumn:
    key: str
    header: str
    width: float


REQUEST_COLUMNS = (
    RequestColumn("no", "序号", 6),
    RequestColumn("task", "任务编号", 11),
    RequestColumn("kind", "申请类别", 11),
    RequestColumn(
        "content", "申请内容\n（延期写新的完成时限；调整写调整后的目标、指标或表述）", 38
    ),
    RequestColumn("reason", "理由", 38),
    RequestColumn("evidence", "佐证材料\n（随表发送的文件名称）", 26),
)
GUIDE = (
    "本表供本单位牵头的任务申请销号、延期或调整，没有申请的不用填写。"
    "销号：任务已全部完成，本季度“牵头任务”表中该任务填报“已完成”、累计完成进度100%；"
    "延期：在“申请内容”中写明新的完成时限，如“2025年6月底前”；"
    "调整：写明调整后的目标、指标或表述，指标写成“名称=目标值单位”，如“新增就业人员=3800人”。"
    "佐证材料（批复、验收、会议纪要等）请作为邮件附件与本表一同发送，或与本表放在同一文件夹交回，"
    "并在“佐证材料”栏写明文件名称。申请经审批后自下一季度起生效，审批结果在季度报告中通报。"
    "本表在电脑上填写，随 Excel 文件报送，不随表单打印。"
)


def column_index(key: str) -> int:
    for i, c in enumerate(REQUEST_COLUMNS, 1):
        if c.key == key:
            return i
    raise KeyError(key)


def column_for_header(text: str) -> str | None:
    """The key of a header cell as a unit's program may have kept it (first line)."""
    first = (text or "").split("\n")[0].strip()
    for c in REQUEST_COLUMNS:
        if c.header.split("\n")[0] == first:
            return c.key
    return None


def lookup_labels(ws: xd.Sheet, lead: list[ResolvedTask], put) -> str:
    """The unit's lead task labels into column B of the hidden lookup sheet; its range."""
    for i, r in enumerate(lead, 1):
        put(ws, f"B{i}", r.task.label)
    return f"'{ws.title}'!$B$1:$B${max(1, len(lead))}"


def request_sheet(
    wb: xd.Book, unit: str, period_label: str, password: str, put, form_id: str = ""
) -> None:
    """The sheet itself (after the task sheets); ``put`` is ``sheets.put``; the running
    header names the unit and the form like the task sheets'."""
    ws = wb.create_sheet(SHEET_REQUESTS)
    last = get_letter(len(REQUEST_COLUMNS))
    for i, c in enumerate(REQUEST_COLUMNS, 1):
        ws.column(get_letter(i), c.width)
    ws.merge_cells(f"A1:{last}1")
    put(ws, "A1", f"{unit}{period_label}任务销号、延期、调整申请", st.TITLE, st.CENTER)
    ws.height(1, 36)
    ws.merge_cells(f"A2:{last}2")
    put(ws, "A2", GUIDE, st.BODY_GREY, st.WRAP_LEFT)
    width = sum(c.width for c in REQUEST_COLUMNS)
    ws.height(2, st.row_height([(GUIDE, width)], 30))
    for i, c in enumerate(REQUEST_COLUMNS, 1):
        put(
            ws,
            f"{get_letter(i)}{REQUEST_HEADER_ROW}",
            c.header,
            st.HEADER,
            st.WRAP_CENTER,
            st.HEADER_FILL,
            st.GRID,
        )
    ws.height(REQUEST_HEADER_ROW, st.row_height([(c.header, c.width) for c in REQUEST_COLUMNS], 30))
    last_row = REQUEST_FIRST_ROW + REQUEST_ROWS - 1
    for n in range(REQUEST_ROWS):
        row = REQUEST_FIRST_ROW + n
        put(ws, f"A{row}", n + 1, st.BODY, st.CENTER, st.LOCKED_FILL, st.GRID)
        for i in range(2, len(REQUEST_COLUMNS) + 1):
            put(ws, f"{get_letter(i)}{row}", None, st.BODY, st.WRAP_LEFT, None, st.GRID, False)
        ws.height(row, 45)  # six rows, the guide and the header on one landscape page
    kinds = "、".join(ChangeKind.choices())
    task = DataValidation(
        type="list",
        allow_blank=True,
        showErrorMessage=True,
        showInputMessage=True,
        promptTitle="任务编号",
        prompt="请从下拉列表中选择本单位牵头的任务编号。",
        errorTitle="任务编号填写有误",
        error="只能选择本单位牵头的任务编号。",
        formula1=TASKS_NAME,
    )
    task.add(f"B{REQUEST_FIRST_ROW}:B{last_row}")
    kind = DataValidation(
        type="list",
        allow_blank=True,
        showErrorMessage=True,
        showInputMessage=True,
        promptTitle="申请类别",
        prompt=f"请选择：{kinds}。",
        errorTitle="申请类别填写有误",
        error=f"只能选择：{kinds}。",
        formula1='"' + ",".join(ChangeKind.choices()) + '"',
    )
    kind.add(f"C{REQUEST_FIRST_ROW}:C{last_row}")
    ws.validations += [task, kind]
    ws.freeze = f"A{REQUEST_FIRST_ROW}"
    # an empty sheet printed with every form was a page of blank rows: read from the file
    off_paper(ws, len(REQUEST_COLUMNS))
    ws.page_setup(f"{REQUEST_HEADER_ROW}:{REQUEST_HEADER_ROW}")
    ws.odd_header = (
        f"{unit}　{period_label}销号延期调整申请",
        f"表单编号：{form_id}" if form_id else "",
        st.SONG,
        9,
    )
    ws.protected = True
    ws.password = password


def get_letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i)
