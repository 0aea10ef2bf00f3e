"""Last quarter's merged result: one loader, one rule, for forms, intake and the report.

The rule: a period looks back only within its own year. Q2–Q4 load the previous quarter's
``merged.json``; Q1 loads nothing, because last year's Q4 belongs to another task table
(other tasks, other ids). Forms pre-fill from it, intake spots pre-filled text sent back
unchanged, and the report compares with it.
"""

from __future__ import annotations

from reporting.core.model import Answer, QuarterResult
from reporting.core.periods import Period
from reporting.core.workspace import Workspace


def previous_result(
    workspace: Workspace, period: Period, consequence: str = "本次不使用上季度数据"
) -> tuple[QuarterResult | None, str]:
    """(result, note): last quarter's merged result of the same year, if there is one.

    A previous merged.json that cannot be read, or that belongs to another period, is left
    out with a note saying what the caller does without it (``consequence``) and how to
    repair it; the caller goes on.
    """
    if period.quarter == 1:
        return None, ""
    prev = period.previous()
    path = workspace.merged_json(prev)
    if not path.exists():
        return None, ""
    try:
        result = QuarterResult.load(path)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        return None, (
            f"上季度汇总结果 {path} 无法读取（{type(exc).__name__}），{consequence}；"
            f"请运行 duban collect --period {prev} 重建"
        )
    if result.period != str(prev):
        return None, (
            f"上季度汇总结果 {path} 属于 {result.period or '未知报告期'}，不是 {prev}，"
            f"{consequence}；请运行 duban collect --period {prev} 重建"
        )
    return result, ""


def previous_answers(result: QuarterResult | None) -> dict[tuple[str, str, str], Answer]:
    """(unit, role, task id) → that unit's answer in ``result`` (role ``lead`` or ``coop``)."""
    out: dict[tuple[str, str, str], Answer] = {}
    for row in result.rows if result is not None else ():
        for role, answers in (("lead", row.lead_reports), ("coop", row.coop_feedback)):
            for a in answers:
                out[(a.unit, role, row.id)] = a
    return out


def year_so_far(workspace: Workspace, result: QuarterResult) -> list[QuarterResult]:
    """``result`` and the earlier quarters of its year that have a readable merged result,
    in order (the ladder's runs; a quarter that cannot be read breaks a run)."""
    period = Period.parse(result.period)
    out = []
    for q in range(1, period.quarter):
        path = workspace.merged_json(Period(period.year, q))
        try:
            earlier = QuarterResult.load(path) if path.exists() else None
        except (OSError, ValueError, TypeError, KeyError):
            earlier = None
        if earlier is not None and earlier.period == str(Period(period.year, q)):
            out.append(earlier)
    return [*out, result]
