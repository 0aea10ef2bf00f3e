"""Working days (with 调休) and each period's deadline and reminder stages.

Working days follow the official schedule from ``chinesecalendar``. For a year it does
not know yet, weekdays are used and ``unknown_years`` reports it so callers warn loudly.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from reporting.core.config import DeadlineSettings, PlanSettings
from reporting.core.exceptions import CalendarError
from reporting.core.periods import Period, chinese_date, periods_of_year

STAGES = ("通知", "提醒", "催报", "逾期")
TZ = ZoneInfo("Asia/Shanghai")
_WEEKDAYS = "一二三四五六日"
UPGRADE_HINT = (
    "请升级 chinesecalendar（pip install -U chinesecalendar，新一年的安排通常在 11 月发布）后核对"
)


class UnknownYearWarning(UserWarning):
    """A year the holiday data does not cover: weekdays are used instead."""


@lru_cache(maxsize=64)
def year_known(year: int) -> bool:
    import chinese_calendar

    try:
        chinese_calendar.is_workday(date(year, 6, 1))
        return True
    except NotImplementedError:
        return False


@lru_cache(maxsize=4096)  # a day's schedule is fixed; each form's deadline asks ~30 days
def is_workday(day: date) -> bool:
    if year_known(day.year):
        import chinese_calendar

        return chinese_calendar.is_workday(day)
    return day.weekday() < 5


def unknown_years(days) -> list[int]:
    return sorted({d.year for d in days if not year_known(d.year)})


def is_adjusted_workday(day: date) -> bool:
    """A Saturday or Sunday made a working day (调休上班)."""
    return day.weekday() >= 5 and is_workday(day)


def weekday_cn(day: date) -> str:
    return "星期" + _WEEKDAYS[day.weekday()]


def day_label(day: date) -> str:
    """2024年4月7日 星期日（调休上班）"""
    text = f"{chinese_date(day)} {weekday_cn(day)}"
    return text + "（调休上班）" if is_adjusted_workday(day) else text


def workdays_after(start: date, end: date) -> int:
    """Working days in (start, end]: 0 when end <= start."""
    count, current = 0, start
    while current < end:
        current += timedelta(days=1)
        count += is_workday(current)
    return count


def unknown_years_warning(years: list[int]) -> str:
    joined = "、".join(str(y) for y in years)
    return (
        f"chinesecalendar 没有 {joined} 年的节假日安排，这些年份的截止日和催报日暂按周一至周五计算，"
        f"可能落在法定节假日上或漏掉调休上班日；{UPGRADE_HINT}"
    )


def shift_workdays(day: date, n: int) -> date:
    """The n-th working day after ``day`` (n > 0) or before it (n < 0); n = 0 is ``day``."""
    step = 1 if n > 0 else -1
    remaining = abs(n)
    current = day
    while remaining:
        current += timedelta(days=step)
        if is_workday(current):
            remaining -= 1
    return current


def last_workday_on_or_before(day: date) -> date:
    while not is_workday(day):
        day -= timedelta(days=1)
    return day


def next_workday(day: date) -> date:
    return shift_workdays(day, 1)


@dataclass(frozen=True)
class PeriodCalendar:
    """The dates of one period's cycle."""

    period: Period
    deadline: datetime  # returns due (Asia/Shanghai)
    stages: dict[str, date]  # 通知 / 提醒 / 催报 / 逾期 → day
    report_day: date  # [deadline] report_days after the deadline, after the 逾期 day
    approximate: bool  # holiday data missing for a year involved: weekdays used
    coop_deadline: datetime | None = None  # cooperating units' sheet due; None: same as deadline

    @property
    def coop_due(self) -> datetime:
        """When cooperating units' feedback is due (the deadline itself without coop_days)."""
        return self.coop_deadline or self.deadline

    @property
    def separate_coop(self) -> bool:
        return self.coop_deadline is not None and self.coop_deadline < self.deadline

    @property
    def coop_deadline_label(self) -> str:
        return moment_label(self.coop_due)

    @property
    def deadline_day(self) -> date:
        return self.deadline.date()

    def stage_due(self, today: date) -> str | None:
        """The latest stage whose day has come (None before 通知)."""
        return latest_stage(self.stages, today)

    @property
    def deadline_label(self) -> str:
        """2024年4月8日 星期一 17:30 (调休 marked like ``day_label``)"""
        return moment_label(self.deadline)


def deadline_passed(due: datetime, moment: datetime) -> bool:
    """The one rule of what a deadline means: "截止 17:30" runs up to 17:30 itself, so a
    return received at 17:30:00 is on time and one a second later is late; a mail sent at
    the deadline says neither 已过 nor "…前" (``deadline_now``). Intake's 逾期 mark, the
    status, receipts, the 配合反馈's 配合截止后报送 and every mail's wording use it."""
    return moment > due


def deadline_now(due: datetime, moment: datetime) -> bool:
    """The deadline's own minute, not yet passed: a mail then says it closes now."""
    return not deadline_passed(due, moment) and moment > due - timedelta(minutes=1)


def latest_stage(stages: dict[str, date], today: date) -> str | None:
    due = None
    for stage in STAGES:
        if stages[stage] <= today:
            due = stage
    return due


def moment_label(moment: datetime) -> str:
    """2024年4月8日 星期一 17:30; a 调休 day marked after its weekday as ``day_label`` does
    (2024年10月12日 星期六（调休上班） 17:30), so a mail's "… 17:30 前" and the calendar's
    "（牵头任务表）" never follow a bracket of their own."""
    return f"{day_label(moment.date())} {moment:%H:%M}"


def deadline_day(period: Period, rule: DeadlineSettings) -> date:
    if rule.rule == "workdays_after_quarter_end":
        if rule.days < 1:
            raise CalendarError("[deadline] days 应为不小于 1 的整数")
        return shift_workdays(period.end, rule.days)
    if rule.rule == "last_workday_of_quarter":
        return last_workday_on_or_before(period.end)
    raise CalendarError(f"未知的截止规则 {rule.rule!r}")


def stage_days(due: date, rule: DeadlineSettings | PlanSettings) -> dict[str, date]:
    """通知 / 提醒 / 催报 before ``due`` and 逾期 after it, in working days by ``rule``."""
    return {
        "通知": shift_workdays(due, -rule.notice_days),
        "提醒": shift_workdays(due, -rule.remind_days),
        "催报": shift_workdays(due, -rule.urge_days),
        "逾期": shift_workdays(due, rule.overdue_days),
    }


def period_calendar(period: Period, rule: DeadlineSettings) -> PeriodCalendar:
    due = deadline_day(period, rule)
    hh, mm = (int(x) for x in rule.time.split(":"))
    stages = stage_days(due, rule)
    report_day = shift_workdays(due, rule.report_days)
    coop_day = shift_workdays(due, -rule.coop_days) if rule.coop_days > 0 else None
    involved = [period.end, due, *stages.values(), report_day, *([coop_day] if coop_day else [])]
    approximate = bool(unknown_years(involved))
    if approximate:
        years = "、".join(str(y) for y in unknown_years(involved))
        warnings.warn(
            f"节假日数据不含 {years} 年，{period} 的日期暂按周一至周五计算，{UPGRADE_HINT}",
            UnknownYearWarning,
            stacklevel=2,
        )
    return PeriodCalendar(
        period=period,
        deadline=datetime.combine(due, time(hh, mm), tzinfo=rule.zone),
        stages=stages,
        report_day=report_day,
        approximate=approximate,
        coop_deadline=(
            datetime.combine(coop_day, time(hh, mm), tzinfo=rule.zone) if coop_day else None
        ),
    )


@dataclass(frozen=True)
class PlanCalendar:
    """The dates of the year's 落实方案 round (``[plan]``)."""

    year: int
    deadline: datetime
    stages: dict[str, date]  # 通知 / 提醒 / 催报 / 逾期 → day
    approximate: bool

    @property
    def deadline_day(self) -> date:
        return self.deadline.date()

    @property
    def deadline_label(self) -> str:
        return moment_label(self.deadline)

    def stage_due(self, today: date) -> str | None:
        """The latest stage whose day has come (None before 通知)."""
        return latest_stage(self.stages, today)

    def lines(self) -> list[str]:
        s = self.stages
        return [
            f"通知  {day_label(s['通知'])}（下发落实方案表）",
            f"提醒  {day_label(s['提醒'])}",
            f"催报  {day_label(s['催报'])}",
            f"截止  {self.deadline_label}",
            f"逾期  {day_label(s['逾期'])}",
        ]


def plan_calendar(year: int, rule: PlanSettings, zone=TZ) -> PlanCalendar:
    """The 落实方案 round of ``year``: due on its ``workday``-th working day."""
    due = shift_workdays(date(year - 1, 12, 31), rule.workday)
    hh, mm = (int(x) for x in rule.time.split(":"))
    stages = stage_days(due, rule)
    return PlanCalendar(
        year=year,
        deadline=datetime.combine(due, time(hh, mm), tzinfo=zone),
        stages=stages,
        approximate=bool(unknown_years([due, *stages.values()])),
    )


def current_period(today: date, rule: DeadlineSettings) -> Period:
    """The period whose cycle is open today: the previous quarter until its report day."""
    this = Period.containing(today)
    prev = this.previous()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownYearWarning)
        if today <= period_calendar(prev, rule).report_day:
            return prev
    return this


def years_to_check(settings) -> list[int]:
    """Years whose holiday data the configured cycle needs: each configured year and the
    next one (the Q4 deadline and its stages fall in January)."""
    years = set(settings.schedule.years) | {settings.district.year}
    return sorted(years | {y + 1 for y in years})


@dataclass(frozen=True)
class YearCalendar:
    """Every period of one year with its dates, for ``duban calendar``."""

    year: int
    rule: DeadlineSettings
    periods: list[PeriodCalendar]
    unknown: list[int]  # years without holiday data among the dates shown
    plan: PlanCalendar | None = None  # the 落实方案 round at the start of the year

    def lines(self) -> list[str]:
        out = [f"{self.year} 年各季度报送日程", *(f"  {x}" for x in rule_lines(self.rule))]
        if self.unknown:
            out.append("警告：" + unknown_years_warning(self.unknown))
        if self.plan is not None:
            out.append("")
            out.append(
                f"{self.year}年落实方案（duban plan）"
                + ("  ※ 日期为估算" if self.plan.approximate else "")
            )
            out += _aligned(self.plan.lines())
        for pc in self.periods:
            out.append("")
            out.append(
                f"{pc.period.full_label}（{pc.period}）"
                + ("  ※ 日期为估算" if pc.approximate else "")
            )
            out += _aligned([text for _, text in sorted(period_lines(pc), key=lambda x: x[0])])
        return out

    def to_json(self) -> dict:
        return {
            "year": self.year,
            "unknown_years": self.unknown,
            "plan": None
            if self.plan is None
            else {
                "deadline": self.plan.deadline.isoformat(),
                "stages": {k: v.isoformat() for k, v in self.plan.stages.items()},
                "approximate": self.plan.approximate,
            },
            "periods": [
                {
                    "period": str(pc.period),
                    "deadline": pc.deadline.isoformat(),
                    "coop_deadline": pc.coop_due.isoformat(),
                    "stages": {k: v.isoformat() for k, v in pc.stages.items()},
                    "report_day": pc.report_day.isoformat(),
                    "approximate": pc.approximate,
                }
                for pc in self.periods
            ],
        }


def _aligned(lines: list[str]) -> list[str]:
    """A period's ``label  date`` lines with the dates in one column (配合截止 is wider)."""
    from reporting.core.columns import pad

    pairs = [line.split("  ", 1) for line in lines]
    width = max(len(label) for label, _ in pairs) * 2
    return [f"  {pad(label, width)}  {text}" for label, text in pairs]


def period_lines(pc: PeriodCalendar) -> list[tuple[datetime, str]]:
    """(moment, line) of each date of a period, for listing in time order."""

    def at(day: date, hhmm: time = time(0)) -> datetime:
        return datetime.combine(day, hhmm, tzinfo=pc.deadline.tzinfo)

    out = [
        (at(pc.stages["通知"]), f"通知  {day_label(pc.stages['通知'])}（下发表单）"),
        (at(pc.stages["提醒"]), f"提醒  {day_label(pc.stages['提醒'])}"),
        (at(pc.stages["催报"]), f"催报  {day_label(pc.stages['催报'])}"),
        (at(pc.stages["逾期"], time(23, 59)), f"逾期  {day_label(pc.stages['逾期'])}"),
        (at(pc.report_day, time(23, 59, 59)), f"报告  {day_label(pc.report_day)}（{_room(pc)}）"),
    ]
    if pc.separate_coop:
        out.append(
            (pc.coop_due, f"配合截止  {pc.coop_deadline_label}（配合任务表；随后汇编发牵头单位）")
        )
        out.append((pc.deadline, f"牵头截止  {pc.deadline_label}（牵头任务表）"))
    else:
        out.append((pc.deadline, f"截止  {pc.deadline_label}"))
    return out


def _room(pc: PeriodCalendar) -> str:
    """What the report day leaves the 逾期 stage: a day to bring returns, or none."""
    if pc.report_day > pc.stages["逾期"]:
        return "汇总成文；逾期提醒后补报的计入"
    return (
        "汇总成文；与逾期提醒同一天，收到逾期提醒的单位来不及补报，"
        "可在 config.toml [deadline] 设 report_days 比 overdue_days 大 1"
    )


def rule_lines(rule: DeadlineSettings) -> list[str]:
    """The deadline rule in short lines, under the calendar's heading."""
    if rule.rule == "last_workday_of_quarter":
        due = f"截止：季度最后一个工作日 {rule.time}"
    else:
        due = f"截止：季度末后第 {rule.days} 个工作日 {rule.time}"
    if rule.coop_days > 0:
        due += f"，配合任务提前 {rule.coop_days} 个工作日"
    return [
        due,
        f"通知、提醒、催报：截止前第 {rule.notice_days}、{rule.remind_days}、{rule.urge_days} 个工作日",
        f"逾期催报：截止后第 {rule.overdue_days} 个工作日起；汇总成文：截止后第 {rule.report_days} 个工作日",
    ]


def year_calendar(
    year: int, rule: DeadlineSettings, plan: PlanSettings | None = None
) -> YearCalendar:
    """The four periods of ``year`` (and its 落实方案 round with ``plan``); unknown holiday
    years are reported, not warned."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownYearWarning)
        periods = [period_calendar(p, rule) for p in periods_of_year(year)]
    days = [
        d
        for pc in periods
        for d in (pc.period.end, pc.deadline_day, *pc.stages.values(), pc.report_day)
    ]
    plans = plan_calendar(year, plan, rule.zone) if plan is not None else None
    if plans is not None:
        days += [plans.deadline_day, *plans.stages.values()]
    return YearCalendar(
        year=year, rule=rule, periods=periods, unknown=unknown_years(days), plan=plans
    )
