"""四、下步工作建议, built from what the quarter showed: the sections and tasks behind their
节点 (and those behind two quarters running), the 共性问题 themes each with the office's
measure (``[report] theme_measures``), the checks under way (说法不一, status conflicts,
late and missing returns), and the coming deadline and next report. Two quarters that
differ never print the same paragraph: each names its own tasks, counts and dates.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from reporting.core.config import Settings
from reporting.core.model import QuarterResult, RowResult, Status
from reporting.core.periods import Period, chinese_date
from reporting.core.states import Rung
from reporting.core.theme_rules import DEFAULT_THEME_MEASURES
from reporting.merge.compare import BEHIND, QuarterChange
from reporting.merge.disagree import row_disagreements
from reporting.merge.judge import num
from reporting.report.issues import behind
from reporting.report.themes import OTHER
from reporting.report.wording import id_key, task_list

NAMED = 6  # task labels named in a paragraph, then "等"
THEMES_MEASURED = 3
NUMERALS = "一二三四五六七八九十"


@dataclass
class Step:
    title: str  # the 楷体 lead, without its number and final 。
    text: str

    def as_dict(self, k: int) -> dict:
        return {"lead": f"（{NUMERALS[k]}）{self.title}。", "title": self.title, "text": self.text}


def _tasks(rows) -> str:
    return task_list([r.label for r in rows], NAMED)


def _next_pace(period: Period) -> str:
    nxt = period.next()
    if nxt.year != period.year:
        return f"{period.year}年底完成全年目标"
    return f"{nxt.label}末{num(nxt.expected_progress)}%的序时进度"


RUNG_WORDS = {
    Rung.LISTED: "列入挂牌督办",
    Rung.TALK: "约谈牵头单位",
    Rung.WRITTEN: "由牵头单位书面说明",
}


def rung_sentence(rows, rungs: dict | None) -> str:
    """'按督办升级规则，第16（2）项列入挂牌督办，第3项、第15（1）项共2项任务由牵头单位书面说明，
    督办单随督查通报印发牵头单位' for the rows on the ladder (``merge.ladder``'s steps; '' when none)."""
    if not rungs:
        return ""
    parts = []
    for rung in reversed(Rung):
        on = [r for r in rows if r.id in rungs and rungs[r.id].rung == rung]
        if on:
            parts.append(f"{_tasks(on)}{RUNG_WORDS[rung]}")
    if not parts:
        return ""
    return f"按督办升级规则，{'，'.join(parts)}，督办单随督查通报印发牵头单位"


def behind_step(rows, sections: list[dict], period: Period, change, rungs=None) -> Step:
    late = [r for r in rows if behind(r)]
    if not late:
        ahead = [r for r in rows if r.status == Status.AHEAD]
        text = (
            f"本季度已报送的任务均达到序时进度，建议各牵头单位对照{_next_pace(period)}，"
            "提前谋划下一阶段工作"
        )
        if ahead:
            text += f"，超序时的{_tasks(ahead)}力争提前完成"
        return Step("保持推进节奏，确保节点目标", text + "。")
    worst = sorted((s for s in sections if s["behind"]), key=lambda s: -s["behind"])[:3]
    where = "、".join(f"第{s['numeral']}板块（{s['behind']}项）" for s in worst)
    text = (
        f"本季度{len(late)}项任务未达到序时进度或亮红灯，主要集中在{where}。"
        f"建议由分管区领导逐项调度，牵头单位对照{_next_pace(period)}制定赶超措施、明确完成时限"
    )
    before = {c.id: c.status_before for c in change.rows} if change else {}
    twice = [r for r in late if before.get(r.id) in BEHIND]
    if twice:
        text += f"；其中{_tasks(twice)}连续两个季度未达到序时进度，建议列为重点督办事项"
    ladder = rung_sentence(rows, rungs)
    if ladder:
        text += f"。{ladder}"
    return Step("紧盯滞后任务，压实推进责任", text + "。")


def measure_for(theme: str, measures: dict[str, str]) -> str:
    """The office's measure for ``theme`` (else its 其他 one, else the built-in one)."""
    text = measures.get(theme) or measures.get(OTHER) or DEFAULT_THEME_MEASURES[OTHER]
    return text.rstrip("。")


def themes_step(common: dict | None, measures: dict[str, str], period: Period) -> Step:
    if not common:
        return Step(
            "强化协同配合，加强要素保障",
            "本季度各单位未集中反映共性问题，建议牵头单位与配合单位保持对接，"
            "推进中遇到资金、用地、审批等问题及时报告，提请区政府研究解决。",
        )
    groups = [g for g in common["groups"] if OTHER not in g["themes"]] or common["groups"]
    parts = []
    for g in groups[:THEMES_MEASURED]:
        measure = "；".join(dict.fromkeys(measure_for(t, measures) for t in g["themes"]))
        late = len(g["behind"])
        which = f"{g['n']}项任务" + (f"，其中{late}项滞后" if late else "")
        parts.append(f"针对{g['name']}问题（{which}），{measure}")
    when = f"在{period.next().label}内" if period.next().year == period.year else "在年底前"
    text = (
        "；".join(parts) + f"。以上措施建议{when}落实到位，{len(common['groups'])}类问题逐项销号。"
    )
    return Step("破解共性问题，强化要素保障", text)


def checks_step(result: QuarterResult, rows: list[RowResult], office: str, period: Period) -> Step:
    u = result.unit_counts()
    said = []
    if u["late"]:
        said.append(f"逾期报送{u['late']}个")
    if u["rejected"]:
        said.append(f"报送表格被退回待重报{u['rejected']}个")
    if u["missing"]:
        said.append(f"未报送{u['missing']}个")
    text = (
        f"本季度应报送单位{u['due']}个，" + "、".join(said) + "（名单见附件2），"
        if said
        else f"本季度{u['due']}个单位均按时报送，"
    )
    flagged = [r for r in rows if row_disagreements(r)]
    checks = []
    if flagged:
        checks.append(f"{_tasks(flagged)}的牵头单位与配合单位所报推进状态不一致")
    if checks:
        text += "；".join(checks) + f"，{office}正在逐项核实；"
    nxt = period.next()
    text += (
        f"对逾期、未报送和填报不实的单位予以通报并纳入年度目标管理考核，{nxt.label}报送时重点核查"
        if said or checks
        else f"{nxt.label}继续按时调度，重点核查填报内容与实际是否相符"
    )
    return Step("严格督查督办，提高报送质量", text + "。")


def _calendar(settings: Settings, period: Period):
    from reporting.core.calendar import UnknownYearWarning, period_calendar

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownYearWarning)
        return period_calendar(period, settings.deadline)


def _day(day, year: int) -> str:
    return f"{day.month}月{day.day}日" if day.year == year else chinese_date(day)


def _moment(dt, year: int) -> str:
    return f"{_day(dt.date(), year)}{dt.hour}时" + (f"{dt.minute}分" if dt.minute else "")


def schedule_step(settings: Settings, period: Period) -> Step:
    nxt = period.next()
    cal = _calendar(settings, nxt)
    office = settings.district.office
    which = (
        f"{nxt.label}推进情况" if nxt.year == period.year else f"{nxt.year}年{nxt.label}推进情况"
    )
    report = f"汇总形成{nxt.label}推进情况报告" if nxt.quarter != 4 else "汇总形成全年完成情况报告"
    if nxt.quarter == 4:
        which = "第四季度推进情况和全年完成情况"
    y = period.year
    text = (
        f"{which}报送截止时间为{_moment(cal.deadline, y)}"
        + (f"（配合单位{_moment(cal.coop_deadline, y)}前反馈）" if cal.coop_deadline else "")
        + f"，{office}将于{_day(cal.stages['通知'], y)}下发表单，"
        f"{_day(cal.report_day, y)}{report}。"
    )
    return Step(f"做好{nxt.label}调度", text)


def next_steps(
    result: QuarterResult,
    settings: Settings,
    period: Period,
    *,
    sections: list[dict],
    common: dict | None,
    change: QuarterChange | None = None,
    rungs: dict | None = None,
) -> list[dict]:
    """The paragraphs of 四、下步工作建议: lead (（一）…。), title and text of each. ``rungs``:
    the tasks on the escalation ladder (``merge.ladder``: task id → step), named by rung."""
    rows = sorted(result.rows, key=id_key)
    if not any(r.reported for r in rows):  # nothing to build on yet but the reporting itself
        u = result.unit_counts()
        office = settings.district.office
        first = Step(
            "督促报送，掌握进展",
            f"本季度{u['due']}个应报送单位中已按时或逾期报送{u['on_time'] + u['late']}个，"
            f"{office}将督促其余单位尽快报送，汇总后另行报告{period.label}推进情况。",
        )
        return [s.as_dict(k) for k, s in enumerate([first, schedule_step(settings, period)])]
    steps = [
        behind_step(rows, sections, period, change, rungs),
        themes_step(common, settings.report.theme_measures, period),
        checks_step(result, rows, settings.district.office, period),
        schedule_step(settings, period),
    ]
    return [s.as_dict(k) for k, s in enumerate(steps)]
