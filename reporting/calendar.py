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

from .config import DeadlineSettings
from .exceptions import CalendarError
from .periods import Period

STAGES = ("通知", "提醒", "催报", "逾期")
TZ = ZoneInfo("Asia/Shanghai")


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


def is_workday(day: date) -> bool:
    if year_known(day.year):
        import chinese_calendar

        return chinese_calendar.is_workday(day)
    return day.weekday() < 5


def unknown_years(days) -> list[int]:
    return sorted({d.year for d in days if not year_known(d.year)})


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
    report_day: date  # the working day after the deadline
    approximate: bool  # holiday data missing for a year involved: weekdays used

    @property
    def deadline_day(self) -> date:
        return self.deadline.date()

    def stage_due(self, today: date) -> str | None:
        """The latest stage whose day has come (None before 通知)."""
        due = None
        for stage in STAGES:
            if self.stages[stage] <= today:
                due = stage
        return due

    @property
    def open_from(self) -> date:
        return self.stages["通知"]

    @property
    def open_until(self) -> date:
        return self.report_day


def deadline_day(period: Period, rule: DeadlineSettings) -> date:
    if rule.rule == "workdays_after_quarter_end":
        if rule.days < 1:
            raise CalendarError("[deadline] days 应为不小于 1 的整数")
        return shift_workdays(period.end, rule.days)
    if rule.rule == "last_workday_of_quarter":
        return last_workday_on_or_before(period.end)
    raise CalendarError(f"未知的截止规则 {rule.rule!r}")


def period_calendar(period: Period, rule: DeadlineSettings) -> PeriodCalendar:
    due = deadline_day(period, rule)
    hh, mm = (int(x) for x in rule.time.split(":"))
    stages = {
        "通知": shift_workdays(due, -rule.notice_days),
        "提醒": shift_workdays(due, -rule.remind_days),
        "催报": shift_workdays(due, -rule.urge_days),
        "逾期": shift_workdays(due, rule.overdue_days),
    }
    report_day = next_workday(due)
    involved = [period.end, due, *stages.values(), report_day]
    approximate = bool(unknown_years(involved))
    if approximate:
        years = "、".join(str(y) for y in unknown_years(involved))
        warnings.warn(
            f"节假日数据不含 {years} 年，{period} 的日期暂按周一至周五计算，请升级 chinesecalendar 后核对",
            UnknownYearWarning,
            stacklevel=2,
        )
    return PeriodCalendar(
        period=period,
        deadline=datetime.combine(due, time(hh, mm), tzinfo=TZ),
        stages=stages,
        report_day=report_day,
        approximate=approximate,
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
