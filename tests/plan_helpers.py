"""A hand-built year for the 落实方案 round: its task table, a good plan, a unit filling its form."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import openpyxl

from reporting.forms import plan_spec as ps

YEAR = 2024
SENT = datetime(2024, 1, 15, 10, tzinfo=ZoneInfo("Asia/Shanghai"))  # when a unit saves its form
SECTION = {"section": "2", "section_title": "以项目攻坚为抓手"}
TABLE = [
    {
        **SECTION,
        "id": "1",
        "content": "推进项目甲开工建设。",
        "lead_units": "区发改委",
        "deadline": "2024-12-31",
    },
    {
        **SECTION,
        "id": "2",
        "content": "推进项目乙竣工投产。",
        "lead_units": "区发改委",
        "deadline": "2024-12-31",
        "kind": "节点",
        "plan_q1": "5",
        "plan_q2": "15",
        "plan_q3": "60",
        "plan_q4": "100",
        "plan_note": "三季度主体完工",
        "owner": "王五（主任）",
    },
    {
        **SECTION,
        "id": "3",
        "content": "上半年完成农贸市场改造。",
        "lead_units": "区商务外事局、区发改委",
        "deadline": "2024-06-30",
    },
    {
        **SECTION,
        "id": "4",
        "content": "全年新增规上企业20户。",
        "lead_units": "区商务外事局",
        "indicators": "新增规上企业=20户",
    },
    {
        **SECTION,
        "id": "5",
        "content": "举办招商推介会。",
        "lead_units": "区商务外事局",
        "deadline": "2024-05-20",
        "kind": "一次性",
    },
]


GOOD = {
    "1": {"owner": "张三（副主任）", "q1": 10, "q2": 30, "q3": 60, "q4": 100, "note": "下半年开工"},
    "3": {"owner": "李四（科长）", "q1": 40, "q2": 100},
}


def form_of(app, unit: str):
    return app.workspace.plan_form_path(YEAR, unit)


def rows_of(ws) -> dict[str, int]:
    """task id (as the form labels it) → its row."""
    col = ps.column_index("task_id")
    out = {}
    for r in range(ps.FIRST_DATA_ROW, ws.max_row + 1):
        label = ws.cell(r, col).value
        if label:
            out[str(label).replace("（", ".").replace("）", "")] = r
    return out


def fill(app, unit: str, values: dict[str, dict], name: str = "", when: datetime = SENT):
    """What a unit does: open its 落实方案表, type, save into the round's inbox."""
    import os

    wb = openpyxl.load_workbook(form_of(app, unit))
    ws = wb[ps.SHEET_PLAN]
    at = rows_of(ws)
    for tid, typed in values.items():
        for key, value in typed.items():
            ws.cell(at[tid], ps.column_index(key), value=value)
    dest = app.workspace.plan_inbox(YEAR) / (name or f"{unit}落实方案.xlsx")
    dest.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dest)
    os.utime(dest, (when.timestamp(), when.timestamp()))
    return dest
