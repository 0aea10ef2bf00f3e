"""The rule that ties a reported 推进状态 to the reported 累计完成进度 and the 序时进度.

One place for forms (the rule written in the 填报说明), intake (a status that breaks it is
a 校验提醒) and merge (按数据研判). With E = 序时进度, P = 累计完成进度, N =
``[merge] ahead_points`` and Y = ``[merge] yellow_gap``:
P ≥ 100 已完成; P ≤ 0 未启动; P ≥ E + N 超序时; E − Y ≤ P < E + N 序时推进; else 滞后.
"""

from __future__ import annotations

from datetime import date

from reporting.core.config import MergeSettings
from reporting.core.model import Status
from reporting.core.numbers import num
from reporting.core.periods import Period


def row_expected(task_deadline: str, period: Period) -> float:
    """序时进度 of a row: the period's, or 100 once the task's own deadline has passed; a
    deadline in a later year (an approved 延期 beyond the year) puts the line there: the
    quarters elapsed in the year over the quarters from the year's start to the due quarter
    (due 2025-06-30: 50 % at 2024Q3)."""
    try:
        due = date.fromisoformat(task_deadline) if task_deadline else None
    except ValueError:
        due = None
    if due is not None and due <= period.end:
        return 100.0
    if due is not None and due.year > period.year:
        quarters = (due.year - period.year) * 4 + Period.containing(due).quarter
        return round(100 * period.quarter / quarters, 2)
    return period.expected_progress


def judge_status(percent: float, expected: float, settings: MergeSettings) -> str:
    """What the numbers say, by the rule above."""
    if percent >= 100:
        return Status.DONE
    if percent <= 0:
        return Status.NOT_STARTED
    if percent >= expected + settings.ahead_points:
        return Status.AHEAD
    if expected - percent <= settings.yellow_gap:
        return Status.ON_TRACK
    return Status.LAGGING


# (reported, judged) pairs that are not worth a remark: 100 % reported as 超序时, 0 % as 滞后
_TOLERATED = {
    (Status.AHEAD, Status.DONE),
    (Status.LAGGING, Status.NOT_STARTED),
}


def contradiction(
    status: str | None, percent: float | None, expected: float, settings: MergeSettings
) -> str:
    """Why a reported status disagrees with the reported progress ('' when it does not)."""
    if status is None or percent is None:
        return ""
    judged = judge_status(percent, expected, settings)
    if judged == status or (status, judged) in _TOLERATED:
        return ""
    p, e = num(percent), num(expected)
    ahead = num(expected + settings.ahead_points)
    if status == Status.DONE:
        return f"报“已完成”，但累计完成进度为{p}%"
    if status == Status.NOT_STARTED:
        return f"报“未启动”，但累计完成进度为{p}%"
    if status == Status.AHEAD:
        return f"报“超序时”，但累计完成进度{p}%未达到{ahead}%（序时进度{e}%再高{num(settings.ahead_points)}个百分点）"
    if judged == Status.AHEAD:
        return f"报“{status}”，但累计完成进度{p}%已达到{ahead}%，按规则应为“超序时”"
    if status == Status.ON_TRACK:
        if judged == Status.DONE:
            return f"报“序时推进”，但累计完成进度为{p}%，应为“已完成”"
        return f"报“序时推进”，但累计完成进度{p}%低于序时进度{e}%"
    if status == Status.LAGGING:
        return f"报“滞后”，但累计完成进度{p}%已达到序时进度{e}%"
    return ""


def status_rule(expected: float, settings: MergeSettings) -> str:
    """The rule in words, as the 填报说明 states it for one period."""
    e, n = num(expected), num(settings.ahead_points)
    ahead = num(expected + settings.ahead_points)
    low = num(expected - settings.yellow_gap)
    return (
        f"本季度序时进度为 {e}%：累计完成进度达到 100% 选“已完成”；"
        f"达到 {ahead}% 及以上（高出序时进度 {n} 个百分点及以上）选“超序时”；"
        f"{low}% 至 {ahead}% 之间（不含 {ahead}%）选“序时推进”；低于 {low}% 选“滞后”；"
        "尚未开展、进度为 0 的选“未启动”"
    )
