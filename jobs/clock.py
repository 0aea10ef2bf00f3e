"""What time it is for ``run``, ``schedule`` and ``status``: real time in the schedule's zone.

Tests and demos only: ``DUBAN_FAKE_NOW=2024-03-29T08:59:55+08:00`` starts the clock of
``clock_from_env`` at that moment; it then advances in real time. Only this module reads it.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from reporting.core.exceptions import SchedulerError

from . import steps as cycle

FAKE_NOW_ENV = "DUBAN_FAKE_NOW"


class Clock:
    """Real time in the schedule's zone; with ``fake_start`` it starts there and advances."""

    def __init__(self, tz, fake_start: datetime | None = None):
        self.tz = tz
        self.offset = fake_start - datetime.now(tz) if fake_start else timedelta(0)

    @property
    def fake(self) -> bool:
        return bool(self.offset)

    def now(self) -> datetime:
        return datetime.now(self.tz) + self.offset


def clock_from_env(settings, env=None) -> Clock:
    env = os.environ if env is None else env
    tz = cycle.schedule_zone(settings)
    text = env.get(FAKE_NOW_ENV, "").strip()
    if not text:
        return Clock(tz)
    try:
        start = datetime.fromisoformat(text)
    except ValueError:
        raise SchedulerError(
            f"环境变量 {FAKE_NOW_ENV}={text!r} 不是 ISO 时间（如 2024-03-29T08:59:55+08:00）"
        ) from None
    return Clock(tz, start if start.tzinfo else start.replace(tzinfo=tz))
