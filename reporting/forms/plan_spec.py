"""The layout of a 落实方案表: what ``plan_form`` writes and ``intake.plan_returns`` reads.

A lead unit's plan for the year's tasks it leads: for each task row the 责任人 (name and
post), the cumulative percent due by the end of each quarter (the four 节点) and the
节点说明 in words. Sheets, in order:

1. ``填报说明`` — the quarterly form's guide layout (``formspec.GUIDE_CELLS``): 填报单位,
   报送年度 (``plan_label``), 截止时间, 表单编号, 任务数, 联系方式, 识别码, then the notes;
2. ``落实方案`` — title (row 1), header cells (rows 2–3), column headers (``HEADER_ROW``),
   one row per lead task from ``FIRST_DATA_ROW``: given cells locked and grey, the unit's
   cells white and open (where ``tasks.csv`` already gives a 节点 or 责任人, the office's
   value, locked: it wins);
3. ``表单标识`` — hidden, the quarterly form's identification sheet.

The identification is the quarterly form's (``formspec.FormIdentity``) with the period
``plan_key(year)`` (``2024plan``), so a 落实方案表 is never taken for a quarter's form and the
other way round, and a plan of another year is told apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from reporting.forms.formspec import HeaderCell

PLAN_SUFFIX = "plan"
SHEET_PLAN = "落实方案"
TITLE_ROW = 1
HEADER_ROW = 4
FIRST_DATA_ROW = 5
QUARTER_NAMES = ("一季度末", "二季度末", "三季度末", "四季度末")


def plan_key(year: int) -> str:
    """The 落实方案 round of ``year`` as the ledger and the identification name it: 2024plan."""
    return f"{year}{PLAN_SUFFIX}"


def plan_year(key: str) -> int | None:
    """2024plan → 2024; anything else → None."""
    m = re.fullmatch(rf"(\d{{4}}){PLAN_SUFFIX}", (key or "").strip())
    return int(m.group(1)) if m else None


def plan_label(year: int) -> str:
    return f"{year}年落实方案"


def printed_form_id(form_id: str) -> str:
    """The number a clerk reads on the 落实方案表: 2024plan-A2E9C066FE → 2024年落实方案-A2E9C066FE
    (the identification keeps ``form_id``); any other id as it is."""
    key, dash, rest = form_id.partition("-")
    year = plan_year(key)
    return f"{plan_label(year)}-{rest}" if year is not None and dash else form_id


def form_id_of(text: str) -> str:
    """``printed_form_id`` read back (a header cell typed or kept as printed)."""
    m = re.fullmatch(r"(\d{4})年落实方案-(\w+)", (text or "").strip())
    return f"{plan_key(int(m.group(1)))}-{m.group(2)}" if m else text


def title(district: str, year: int, document_title: str) -> str:
    """禹会区2024年《政府工作报告》重点任务落实方案表"""
    return f"{district}{year}年{document_title}落实方案表"


@dataclass(frozen=True)
class PlanColumn:
    key: str
    header: str
    width: float
    editable: bool


COLUMNS = (
    PlanColumn("seq", "序号", 4.5, False),
    PlanColumn("task_id", "任务编号", 7, False),
    PlanColumn("content", "任务内容", 31, False),
    PlanColumn("indicators", "量化指标", 16, False),
    PlanColumn("deadline", "完成时限", 15, False),
    PlanColumn("owner", "责任人（姓名、职务）", 14, True),
    PlanColumn("q1", "一季度末节点（%）", 8, True),
    PlanColumn("q2", "二季度末节点（%）", 8, True),
    PlanColumn("q3", "三季度末节点（%）", 8, True),
    PlanColumn("q4", "四季度末节点（%）", 8, True),
    PlanColumn("note", "节点说明", 30, True),
)
MILESTONES = ("q1", "q2", "q3", "q4")
TEXT_COLUMNS = ("content", "indicators", "owner", "note")  # top-left; the rest centred
HEADER_LINES = {  # narrow headers break where a reader expects
    "task_id": "任务\n编号",
    "owner": "责任人\n（姓名、职务）",
    "q1": "一季度末\n节点（%）",
    "q2": "二季度末\n节点（%）",
    "q3": "三季度末\n节点（%）",
    "q4": "四季度末\n节点（%）",
}
HEADER_CELLS = (
    HeaderCell("unit", "填报单位", "A2", "C2", False, label_end="B2"),
    HeaderCell("period", "报送年度", "D2", "E2", False, value_end="F2"),
    HeaderCell("deadline", "截止时间", "G2", "I2", False, label_end="H2", value_end="K2"),
    HeaderCell("filler", "填报人", "A3", "C3", True, label_end="B3"),
    HeaderCell("phone", "联系电话", "D3", "E3", True, value_end="F3"),
    HeaderCell("approver", "分管领导审核", "G3", "I3", True, label_end="H3", value_end="J3"),
)
FORM_ID_CELL = "K3"  # "表单编号：…" in one locked cell


def column_index(key: str) -> int:
    """1-based column of ``key``."""
    return next(i for i, c in enumerate(COLUMNS, 1) if c.key == key)


@lru_cache(maxsize=256)  # every returned plan repeats the same few headers
def column_for_header(text: str) -> str | None:
    """The key of a header as found in a return (line breaks and spaces ignored)."""
    squashed = re.sub(r"\s+", "", text or "")
    return next((c.key for c in COLUMNS if re.sub(r"\s+", "", c.header) == squashed), None)


def printed_header(col: PlanColumn) -> str:
    return HEADER_LINES.get(col.key, col.header)
