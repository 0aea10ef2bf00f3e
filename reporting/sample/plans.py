"""Simulated 落实方案 returns (示例数据) for the demo: generated 落实方案表 filled in as a lead
unit would, deterministic for a seed; ``spoil`` plants the typical mistake (a 节点 lower
than the quarter before) so the demo shows a 退回 and a corrected resend."""

from __future__ import annotations

import os
import random
from datetime import datetime
from pathlib import Path

from reporting.forms import plan_spec as ps
from reporting.taskbook.assignments import ResolvedTask
from reporting.taskbook.plans import paced

# cumulative 节点 a unit plans: even, back-loaded (a project that starts in autumn), front-loaded
SHAPES = ((25, 50, 75, 100), (10, 30, 60, 100), (5, 20, 50, 100), (30, 60, 85, 100))
NOTES = (
    "一季度完成方案制定和任务分解，二季度全面实施，三季度查漏补缺，四季度总结验收",
    "上半年完成前期手续和招标，三季度开工建设，年底前完成",
    "按月调度，逐季推进，年底前全面完成",
)


# a fictitious 责任人 per unit: a surname and the deputy's title of such a unit, as a
# 落实方案表 names one ("王副局长"); the same for all the unit's rows
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
DEPUTIES = (  # the name's ending → the deputy's title
    ("集团", "副总经理"),
    ("党校", "副校长"),
    ("残联", "副理事长"),
    ("部", "副部长"),
    ("局", "副局长"),
    ("乡", "副乡长"),
    ("镇", "副镇长"),
    ("纪委监委", "副书记"),
    ("政法委", "副书记"),
)


def sample_owner(unit: str, unit_no: int) -> str:
    """A 责任人 that reads like one and is plainly nobody: "王副局长"."""
    title = next((t for end, t in DEPUTIES if unit.endswith(end)), "副主任")
    return f"{SURNAMES[(unit_no * 7) % len(SURNAMES)]}{title}"


def plan_answers(
    rows: list[ResolvedTask], unit_no: int, rng: random.Random, unit: str = ""
) -> dict[str, dict]:
    """task id → {"owner", "q1".."q4", "note"} for the rows the unit must fill."""
    out = {}
    for r in rows:
        if r.task.has_plan and not r.task.plan_by:  # the office's 节点: locked on the form
            continue
        shape = rng.choice(SHAPES)
        out[r.id] = {
            "owner": sample_owner(unit, unit_no),
            **(dict(zip(ps.MILESTONES, shape, strict=True)) if paced(r.task) else {}),
            "note": f"{rng.choice(NOTES)}（示例数据）",
        }
    return out


def spoil(answers: dict[str, dict]) -> None:
    """The second quarter's 节点 above the third's in the first row: sent back."""
    first = answers[next(iter(answers))]
    first["q2"], first["q3"] = first["q3"] + 10, first["q3"]


def fill_plan_form(src: Path, dest: Path, answers: dict[str, dict], when: datetime) -> Path:
    """Type ``answers`` into a generated 落实方案表 and save it as ``dest`` dated ``when``."""
    import openpyxl

    wb = openpyxl.load_workbook(src)
    ws = wb[ps.SHEET_PLAN]
    for h in ps.HEADER_CELLS:
        if h.key == "filler":
            ws[h.value_cell] = "示例数据"
        elif h.key == "approver":
            ws[h.value_cell] = "（示例数据）"
    r = ps.FIRST_DATA_ROW
    while (tid := _task_id(ws.cell(r, ps.column_index("task_id")).value)) is not None:
        for key, value in answers.get(tid, {}).items():
            ws.cell(r, ps.column_index(key), value=value)
        r += 1
    dest.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dest)
    os.utime(dest, (when.timestamp(), when.timestamp()))
    return dest


def _task_id(label) -> str | None:
    from reporting.forms.formspec import parse_task_label

    return parse_task_label(label)


def simulate_plans(
    assignments, workspace, year: int, units: list[str], when: datetime, *, spoiled=(), seed=2024
) -> list[Path]:
    """Fill the 落实方案表 of ``units`` into the round's inbox, received at ``when``;
    ``spoiled`` units send one with decreasing 节点."""
    order = list(assignments.registry.units)
    out = []
    for unit in units:
        rows = assignments.by_unit[unit].lead
        rng = random.Random(f"{seed}-plan-{unit}")
        answers = plan_answers(rows, order.index(unit) + 1, rng, unit)
        if unit in spoiled and answers:
            spoil(answers)
        form = workspace.plan_form_path(year, unit)
        name = f"{form.stem}（已填{'，有误' if unit in spoiled else ''}）.xlsx"
        out.append(fill_plan_form(form, workspace.plan_inbox(year) / name, answers, when))
    return out
