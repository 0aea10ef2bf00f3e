"""Reporting periods: ``2024Q1`` … ``2024Q4`` (also written ``2024年第一季度``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from reporting.core.exceptions import PeriodError

QUARTER_CN = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}
_CN_NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


@dataclass(frozen=True, order=True)
class Period:
    year: int
    quarter: int

    @classmethod
    def parse(cls, text: str | Period) -> Period:
        if isinstance(text, Period):
            return text
        s = str(text).strip().upper().replace(" ", "")
        m = re.fullmatch(r"(\d{4})[-_]?Q([1-4])", s)
        if m:
            return cls(int(m.group(1)), int(m.group(2)))
        # 2024年第二季度, 2024年二季度, 2024年第二季 (季 required: "2024年2" is no quarter)
        m = re.fullmatch(r"(\d{4})年?第?([一二三四1-4])季度?", str(text).strip().replace(" ", ""))
        if m:
            return cls(int(m.group(1)), _CN_NUM[m.group(2)])
        raise PeriodError(f"无法识别的报告期“{text}”，请写成 2024Q1 或 2024年第一季度")

    @classmethod
    def containing(cls, day: date) -> Period:
        return cls(day.year, (day.month - 1) // 3 + 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.quarter}"

    @property
    def code(self) -> str:
        return str(self)

    @property
    def label(self) -> str:
        """e.g. 第一季度"""
        return QUARTER_CN[self.quarter]

    @property
    def full_label(self) -> str:
        """e.g. 2024年第一季度"""
        return f"{self.year}年{self.label}"

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.quarter - 2, 1)

    @property
    def end(self) -> date:
        nxt = self.next()
        return nxt.start - timedelta(days=1)

    @property
    def expected_progress(self) -> float:
        """序时进度 at the quarter's end, in percent: 25/50/75/100."""
        return 25.0 * self.quarter

    def previous(self) -> Period:
        return (
            Period(self.year - 1, 4) if self.quarter == 1 else Period(self.year, self.quarter - 1)
        )

    def next(self) -> Period:
        return (
            Period(self.year + 1, 1) if self.quarter == 4 else Period(self.year, self.quarter + 1)
        )


def periods_of_year(year: int) -> list[Period]:
    return [Period(year, q) for q in range(1, 5)]


def scope_problem(period: Period, years: list[int]) -> str:
    """Why ``period`` is outside the configured years ``[schedule] years`` ('' when inside):
    a mistyped year (1900Q1, 2099Q1) must not send 通知 to every unit."""
    if period.year in years:
        return ""
    listed = ", ".join(str(y) for y in years)
    return (
        f"{period.full_label}（{period}）不在配置的报送年度内（config.toml [schedule] years = [{listed}]），"
        f"请检查 --period 是否写错；确需处理该季度，请把 {period.year} 加到 [schedule] years，"
        "或在命令后加 --force"
    )


def chinese_date(day: date) -> str:
    """2024年4月8日 — Arabic numerals, no zero padding (GB/T 9704)."""
    return f"{day.year}年{day.month}月{day.day}日"


def cn_time(iso: str, today: date | None = None) -> str:
    """'2024-04-09T10:30:00+08:00' → '4月9日10时30分' (year added when it is not the report's)."""
    try:
        dt = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return str(iso or "")
    year = "" if today is None or dt.year == today.year else f"{dt.year}年"
    minute = f"{dt.minute}分" if dt.minute else ""
    return f"{year}{dt.month}月{dt.day}日{dt.hour}时{minute}"
