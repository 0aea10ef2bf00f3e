"""Benchmarks (``make bench``): speed and memory figures, never run by ``make test``."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
BENCH_NOW = datetime(2024, 4, 2, 10, 0, tzinfo=TZ)  # inside 2024Q1's collection window
REPORT_NOW = datetime(2024, 4, 9, 9, 0, tzinfo=TZ)  # 2024Q1's report day


def at(day: date) -> datetime:
    return datetime.combine(day, time(9), TZ)
