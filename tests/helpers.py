"""Small helpers shared by the test files (fixtures live in conftest.py)."""

from __future__ import annotations

from datetime import date, datetime, time

from reporting.core.calendar import TZ

# a moment in 2024Q1's collection window, for calls that need "now" and do not care which
NOW = datetime(2024, 4, 2, 10, 0, tzinfo=TZ)


def at(day: date, hour: int = 9) -> datetime:
    """``day`` at ``hour`` o'clock, Beijing time: the "now" of a step run on that day."""
    return datetime.combine(day, time(hour), TZ)


def with_now(kw: dict) -> dict:
    """Turn a ``today=`` keyword (a date) into the ``now=`` the core functions take."""
    if "today" in kw:
        kw["now"] = at(kw.pop("today"))
    kw.setdefault("now", NOW)
    return kw


# the 2024Q1 report day, at nine
REPORT_NOW = datetime(2024, 4, 9, 9, 0, tzinfo=TZ)
