"""The annual edition's 共性问题 and 下步工作建议, from the year that was.

The reasons units gave for the tasks not fully done are grouped by the same keyword rules
as the quarterly report (``report.themes``, ``[report] theme_keywords``), and the 下步
answers the year: the unfinished tasks to carry into next year's 督办, the themes with the
office's measures (``[report] theme_measures``), the year's results to build next year's
task breakdown on, and the late and missing returns of its four quarters.
"""

from __future__ import annotations

from collections import Counter

from reporting.annual.year import Final, TaskYear, YearData
from reporting.core.config import Settings
from reporting.core.model import MISSING
from reporting.core.periods import Period
from reporting.core.submissions import Submitted
from reporting.core.text import one_line
from reporting.report.issues import theme_sentence
from reporting.report.next_steps import Step, measure_for
from reporting.report.themes import OTHER, group, themes_from
from reporting.report.wording import share, task_list

NAMED = 6
THEMES_MEASURED = 2


def year_common(data: YearData, settings: Settings) -> dict | None:
    """What the lead units gave as the reasons of the unfinished tasks, by theme (None when
    none gave any)."""
    themes = themes_from(settings.report.theme_keywords)
    unfinished = data.unfinished()
    items = [(t.id, [one_line(t.problems)]) for t in unfinished if one_line(t.problems)]
    groups = group(items, themes)
    if not groups:
        return None
    labels = {t.id: t.label for t in unfinished}
    undone = {t.id for t in unfinished if t.final == Final.UNDONE}
    return {
        "intro": f"从牵头单位说明的原因看，{len(items)}项任务反映的问题主要有以下几个方面：",
        "themes": [theme_sentence(k, g, labels, undone, "未完成") for k, g in enumerate(groups)],
        "groups": [{"name": g.name, "themes": list(g.themes), "n": len(g.tasks)} for g in groups],
    }


def _carry_over(data: YearData) -> Step:
    undone = [t for t in data.tasks if t.final == Final.UNDONE]
    mostly = [t for t in data.tasks if t.final == Final.MOSTLY]
    nxt = data.year + 1
    if not undone and not mostly:
        return Step(
            "巩固全年成果",
            f"{data.year}年各项任务均已完成，建议各牵头单位巩固成果、建立长效机制，"
            f"{nxt}年不再列为跟踪督办事项。",
        )
    parts = []
    if undone:
        parts.append(f"未完成的{task_list([t.label for t in undone], NAMED)}")
    if mostly:
        parts.append(f"基本完成的{len(mostly)}项任务")
    text = (
        "对"
        + "和".join(parts)
        + (f"，建议由分管区领导督促牵头单位明确完成时限，列入{nxt}年跟踪督办，确保事事有着落")
    )
    silent = [t for t in undone if t.quarters[t.judged_at].status == MISSING]
    if silent:
        # each in the words the task's own paragraph and annex 3 use (退回, 待核实, 未报送)
        said = Counter(
            t.shortfall.removeprefix("牵头单位")
            if t.shortfall.startswith("牵头单位")
            else f"{Period.parse(t.judged_at).label}未报送"
            for t in silent
        )
        text += "；其中" + "、".join(f"{n}项牵头单位{how}" for how, n in said.items())
        text += "，需先核实全年完成情况"
    return Step("抓好未完成任务的收尾", text + "。")


def _themes(common: dict | None, measures: dict[str, str], year: int) -> Step | None:
    if not common:
        return None
    groups = [g for g in common["groups"] if OTHER not in g["themes"]] or common["groups"]
    parts = []
    for g in groups[:THEMES_MEASURED]:
        measure = "；".join(dict.fromkeys(measure_for(t, measures) for t in g["themes"]))
        parts.append(f"针对{g['name']}问题（{g['n']}项任务），{measure}")
    text = "；".join(parts) + f"。以上问题建议在{year + 1}年任务分解时统筹考虑。"
    return Step("破解共性问题，强化要素保障", text)


def _next_year(data: YearData) -> Step:
    counts = data.final_counts()
    finished = counts[Final.DONE] + counts[Final.MOSTLY]
    return Step(
        f"总结经验，谋划{data.year + 1}年任务",
        f"{data.year}年{len(data.tasks)}项任务完成和基本完成{finished}项，占"
        f"{share(finished, len(data.tasks))}。建议各牵头单位总结全年工作，查找差距和不足，"
        f"结合{data.year + 1}年《政府工作报告》提出的目标，科学制定任务分解和推进计划。",
    )


def _assess(data: YearData, office: str) -> Step:
    late = sum(1 for u in data.units for s in u.quarters.values() if s == Submitted.LATE)
    missing = sum(
        1
        for u in data.units
        for s in u.quarters.values()
        if s in (Submitted.MISSING, Submitted.REJECTED)
    )
    said = []
    if late:
        said.append(f"逾期报送{late}家次")
    if missing:
        said.append(f"未报送或退回后未重报{missing}家次")
    text = f"全年四个季度{'、'.join(said)}（逐季度见附件3）。" if said else "全年各单位均按时报送。"
    text += (
        f"全年完成情况纳入各单位年度目标管理考核；对连续滞后、未完成年度目标的单位，"
        f"{office}将予以通报并依规问责。"
    )
    return Step("严格考核，兑现奖惩", text)


def year_next_steps(
    data: YearData, settings: Settings, common: dict | None, *, rungs: str = ""
) -> list[dict]:
    """The paragraphs of the annual 下步工作建议: lead (（一）…。), title and text of each.
    ``rungs``: the fourth quarter's escalation ladder in one sentence (``next_steps.rung_sentence``)."""
    carry = _carry_over(data)
    if rungs:
        carry = Step(carry.title, carry.text.rstrip("。") + f"。{rungs}。")
    steps = [
        carry,
        _themes(common, settings.report.theme_measures, data.year),
        _next_year(data),
        _assess(data, settings.district.office),
    ]
    return [s.as_dict(k) for k, s in enumerate(x for x in steps if x is not None)]


def unfinished_label(t: TaskYear) -> str:
    """How the annual list names a task: '9（3）' / '2.' (the body's numbering)."""
    return t.label if t.label.endswith("）") else f"{t.label}."
