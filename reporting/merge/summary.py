"""汇总表.xlsx: the period's merged workbook, print-ready like the forms.

Sheets:
- ``汇总表``   one row per task row: lead reports, progress, status (reported and judged),
  light, indicators, problems, next steps, cooperating units' feedback, units missing;
- ``报送情况`` one row per unit due: state, received, late, versions, how identified;
- ``退回清单`` one row per problem of every return still waiting for a corrected version
  (and of files no unit could be found for), with where it is and how to fix it.

Everything units typed goes through ``safe_cell_text`` (formula injection, illegal XML
characters) and is stored as text, never as a formula.
"""

from __future__ import annotations

from pathlib import Path

from reporting.core.config import Settings
from reporting.core.fileutil import safe_cell_text
from reporting.core.labels import task_label
from reporting.core.ledger import Ledger
from reporting.core.model import Light, QuarterResult, RowResult
from reporting.documents.xlsx_save import save_workbook
from reporting.merge.judge import num

SHEET_ROWS = "汇总表"
SHEET_UNITS = "报送情况"
SHEET_REJECTS = "退回清单"

ROW_COLUMNS = (
    ("序号", 5),
    ("任务编号", 7),
    ("任务内容", 30),
    ("牵头责任领导", 8),
    ("牵头单位", 10),
    ("本季度工作进展（牵头单位）", 40),
    ("累计完成进度（%）", 8),
    ("推进状态", 8),
    ("按数据研判", 8),
    ("预警", 5),
    ("指标完成情况", 26),
    ("存在问题", 22),
    ("下步打算", 22),
    ("配合单位反馈", 34),
    ("未报送单位", 14),
    ("需核实", 20),
)
UNIT_COLUMNS = (
    ("序号", 5),
    ("单位", 18),
    ("类型", 8),
    ("状态", 10),
    ("报送时间", 17),
    ("是否逾期", 8),
    ("版本数", 7),
    ("识别方式", 12),
    ("退回原因", 70),
)
REJECT_COLUMNS = (
    ("序号", 5),
    ("单位", 16),
    ("文件", 28),
    ("收到时间", 17),
    ("位置", 14),
    ("任务编号", 8),
    ("问题及修改要求", 70),
)
STATE_CN = {
    "accepted": "已接收",
    "rejected": "退回待重报",
    "missing": "未报送",
    "unidentified": "无法识别",
}
KIND_CN = {
    "department": "区直部门",
    "township": "乡镇",
    "street": "街道",
    "enterprise": "企业",
    "other": "其他",
}
LIGHT_FILLS = {
    Light.GREEN: "FFC6EFCE",
    Light.YELLOW: "FFFFEB9C",
    Light.RED: "FFFFC7CE",
}


def _when(iso: str | None) -> str:
    return (iso or "")[:16].replace("T", " ")


def _joined(parts: list[tuple[str, str]], several: bool) -> str:
    """'单位：text' lines; the unit prefix only when several units answered."""
    lines = [f"{unit}：{text}" if several else text for unit, text in parts if text]
    return "\n".join(lines)


def row_values(row: RowResult) -> list:
    several = len(row.lead_reports) > 1
    reports = row.lead_reports
    indicators = "\n".join(i.text for i in row.indicators if i.text)
    coop = "\n".join(f"{a.unit}：{a.progress}" for a in row.coop_feedback if a.progress)
    return [
        row.label,
        row.content,
        "、".join(row.lead_leaders),
        "、".join(row.lead_units),
        _joined([(a.unit, a.progress) for a in reports], several),
        num(row.percent) if row.percent is not None else "",
        row.status or "未报送",
        row.judged_status or "",
        row.light or "",
        indicators,
        _joined([(a.unit, a.problems) for a in reports], several),
        _joined([(a.unit, a.next_steps) for a in reports], several),
        coop,
        "、".join(row.missing_units),
        row.status_conflict,
    ]


def write_summary(
    result: QuarterResult, returns: list, path: Path | str, settings: Settings
) -> None:
    """Write 汇总表.xlsx atomically; ``returns`` are the period's ledger rows (received order)."""
    from openpyxl import Workbook

    from reporting.documents import xlsx_style as st

    wb = Workbook()
    st.use_chinese_default_font(wb)
    ws = wb.active
    ws.title = SHEET_ROWS
    d = settings.district
    title = f"{d.name}{result.period_label}{d.document_title}推进情况汇总表"
    c = result.unit_counts()
    sc = result.status_counts()
    lc = result.light_counts()
    sub = (
        f"序时进度 {num(result.expected_progress)}%；截至 {_when(result.generated_at)}，应报 {c['due']} 个单位，"
        f"已接收 {c['on_time'] + c['late']}（逾期 {c['late']}），退回待重报 {c['rejected']}，未报送 {c['missing']}。"
        f"任务 {len(result.rows)} 项："
        + "，".join(f"{k} {v}" for k, v in sc.items() if v)
        + "；预警："
        + "，".join(f"{k}灯 {v}" for k, v in lc.items())
        + "。"
    )
    write_table(
        ws,
        st,
        title,
        sub,
        ROW_COLUMNS,
        [[i, *row_values(r)] for i, r in enumerate(result.rows, 1)],
        light_col=10,
    )

    ws = wb.create_sheet(SHEET_UNITS)
    unit_rows = []
    for i, u in enumerate(result.units, 1):
        unit_rows.append(
            [
                i,
                u.unit,
                KIND_CN.get(u.kind, u.kind),
                STATE_CN.get(u.state, u.state),
                _when(u.received_at),
                "是" if u.late else ("" if u.state == "missing" else "否"),
                u.versions or "",
                _identified(u.identified_by),
                "\n".join(u.problems),
            ]
        )
    write_table(
        ws,
        st,
        f"{result.period_label}各单位报送情况",
        sub.split("任务")[0].rstrip("。") + "。",
        UNIT_COLUMNS,
        unit_rows,
    )

    ws = wb.create_sheet(SHEET_REJECTS)
    write_table(
        ws,
        st,
        f"{result.period_label}退回清单",
        "以下文件未被接收，请按“问题及修改要求”改正后重新报送（已有后续版本被接收的不再列出）。",
        REJECT_COLUMNS,
        reject_rows(returns),
    )
    wb.active = 0
    save_workbook(wb, path, result.generated_at or "2000-01-01T00:00:00")


def _identified(by: str) -> str:
    from reporting.intake.identify import IDENTIFIED_BY

    return IDENTIFIED_BY.get(by, by or "")


def reject_rows(returns: list) -> list[list]:
    """Problems of rejected returns not followed by an accepted one from the same unit."""
    accepted_after: dict[str, int] = {}
    for i, r in enumerate(returns):
        if r["state"] == "accepted" and r["unit"]:
            accepted_after[r["unit"]] = i
    out = []
    n = 0
    for i, r in enumerate(returns):
        if r["state"] == "accepted" or (r["unit"] and accepted_after.get(r["unit"], -1) > i):
            continue
        for p in Ledger.problems_of(r):
            if p.get("level", "error") != "error":
                continue
            n += 1
            where = (
                f"{p['sheet']}!{p['cell']}"
                if p.get("sheet") and p.get("cell")
                else p.get("sheet", "")
            )
            task = p.get("task", "")
            out.append(
                [
                    n,
                    r["unit"] or "无法识别",
                    r["source"],
                    _when(r["received_at"]),
                    where,
                    task_label(task),
                    p.get("text") or p.get("message", ""),
                ]
            )
    return out


def write_table(
    ws, st, title: str, subtitle: str, columns, rows: list[list], light_col: int | None = None
) -> None:
    """A print-ready sheet: title, subtitle, a header row (frozen, repeated, filtered), then
    ``rows`` (text cells as text, never formulas); ``columns`` are (header, width) pairs."""
    from openpyxl.styles import PatternFill
    from openpyxl.utils import get_column_letter

    last = get_column_letter(len(columns))
    ws.merge_cells(f"A1:{last}1")
    ws["A1"] = title
    ws["A1"].font = st.TITLE
    ws["A1"].alignment = st.CENTER
    ws.row_dimensions[1].height = 32
    ws.merge_cells(f"A2:{last}2")
    ws["A2"] = subtitle
    ws["A2"].font = st.BODY
    ws["A2"].alignment = st.WRAP_LEFT
    ws.row_dimensions[2].height = st.row_height([(subtitle, sum(w for _, w in columns))], 20)
    for c, (header, width) in enumerate(columns, 1):
        letter = get_column_letter(c)
        ws.column_dimensions[letter].width = width
        cell = ws.cell(row=3, column=c, value=header)
        cell.font = st.HEADER
        cell.alignment = st.WRAP_CENTER
        cell.fill = st.HEADER_FILL
        cell.border = st.GRID
    ws.row_dimensions[3].height = 30
    for r, values in enumerate(rows, 4):
        wrapped = []
        for c, value in enumerate(values, 1):
            cell = ws.cell(row=r, column=c)
            if isinstance(value, str):
                cell.value = safe_cell_text(value)
                cell.data_type = "s"
                wrapped.append((value, columns[c - 1][1]))
            else:
                cell.value = value
            cell.font = st.BODY
            cell.border = st.GRID
            cell.alignment = st.WRAP_TOP if columns[c - 1][1] >= 14 else st.WRAP_CENTER
            if light_col is not None and c == light_col and value in LIGHT_FILLS:
                cell.fill = PatternFill("solid", fgColor=LIGHT_FILLS[value])
        ws.row_dimensions[r].height = st.row_height(wrapped, 20)
    if not rows:
        ws.merge_cells(f"A4:{last}4")
        ws["A4"] = "（无）"
        ws["A4"].font = st.BODY_GREY
        ws["A4"].alignment = st.CENTER
    ws.freeze_panes = "A4"
    ws.print_area = f"A1:{last}{max(4, 3 + len(rows))}"
    st.page_setup(ws, "3:3")
    if sum(w for _, w in columns) > 200:
        ws.page_setup.paperSize = ws.PAPERSIZE_A3
    ws.auto_filter.ref = f"A3:{last}{max(4, 3 + len(rows))}"
