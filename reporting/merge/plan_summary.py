"""落实方案汇总表.xlsx: every task with the 节点 and 责任人 that hold for the year.

Sheets: ``落实方案汇总表`` (one row per task row: lead units, kind, 完成时限, 责任人, the four
quarterly 节点, 节点说明 and whose they are: the task table, a unit's accepted 落实方案, or
none yet — judged by the 序时进度), ``报送情况`` (one row per lead unit: state, when, versions,
the reasons of a version sent back). Print-ready like the 汇总表 (``summary.write_table``).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from reporting.core.config import Settings
from reporting.core.periods import cn_time
from reporting.forms.plan_spec import plan_label
from reporting.intake.plan_intake import PlanStatus
from reporting.merge.summary import write_table
from reporting.taskbook.assignments import Assignments
from reporting.taskbook.plans import plan_source

PLAN_COLUMNS = (
    ("序号", 5),
    ("任务编号", 9),
    ("任务内容", 34),
    ("牵头单位", 12),
    ("类别", 6),
    ("完成时限", 10),
    ("责任人", 14),
    ("一季度末节点（%）", 8),
    ("二季度末节点（%）", 8),
    ("三季度末节点（%）", 8),
    ("四季度末节点（%）", 8),
    ("节点说明", 28),
    ("节点来源", 18),
)
UNIT_COLUMNS = (
    ("序号", 5),
    ("牵头单位", 26),
    ("牵头任务数", 10),
    ("报送情况", 12),
    ("收到时间", 16),
    ("版本数", 7),
    ("退回原因（最近一次）", 62),
)
FIRST_MILESTONE = 8  # 1-based column of 一季度末节点


def _short_date(iso: str, year: int) -> str:
    """2024-12-31 → 12月31日 (the year added when it is not the table's)."""
    try:
        day = date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{'' if day.year == year else f'{day.year}年'}{day.month}月{day.day}日"


def write_plan_summary(
    assignments: Assignments, status: PlanStatus, path: Path, settings: Settings, *, now: datetime
) -> None:
    """Write the year's 落实方案汇总表 atomically (``assignments``: the task table with the
    accepted plans applied, ``status``: ``intake.plan_intake.plan_status``)."""
    from reporting.documents import xlsx_direct as xd
    from reporting.documents import xlsx_style as st

    d = settings.district
    c = status.counts()
    rows = []
    planned = 0
    for n, r in enumerate(assignments.rows, 1):
        t = r.task
        planned += t.has_plan
        rows.append(
            [
                n,
                t.label,
                t.content,
                "、".join(r.lead_units),
                t.kind or "进度",
                _short_date(t.deadline, status.year),
                t.owner,
                *t.plan,
                t.plan_note,
                plan_source(t),
            ]
        )
    wb = xd.Book(st.BODY, lock_structure=False)
    ws = wb.create_sheet("落实方案汇总表")
    sub = (
        f"截至 {cn_time(now.isoformat(), now.date())}：{len(rows)} 项任务中，{planned} 项有季度节点，"
        f"其余按序时进度研判。应报落实方案的牵头单位 {c['due']} 个，已采用 {c['on_time'] + c['late']} 个"
        f"（逾期 {c['late']}），退回待重报 {c['rejected']} 个，"
        + (f"待核实 {c['held']} 个，" if c["held"] else "")
        + f"未报送 {c['missing']} 个。任务表中已写明的节点优先于单位报送的节点。"
    )
    numbers = {FIRST_MILESTONE + k: "0.##" for k in range(4)}
    title = f"{d.name}{status.year}年{d.document_title}落实方案汇总表"
    write_table(ws, st, title, sub, PLAN_COLUMNS, rows, numbers=numbers)
    ws = wb.create_sheet("报送情况")
    units = [
        [
            n,
            u.unit,
            u.tasks,
            u.state.value,
            cn_time(u.received_at, now.date()) if u.received_at else "",
            u.versions or "",
            "\n".join(u.reasons),
        ]
        for n, u in enumerate(status.units, 1)
    ]
    write_table(ws, st, f"{plan_label(status.year)}报送情况", sub, UNIT_COLUMNS, units)
    path.parent.mkdir(parents=True, exist_ok=True)
    xd.save(wb, path, now.isoformat(timespec="seconds"))
