"""Days of a schedule in seconds (tests and benchmarks): ``FakeClock`` and ``simulate``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from .scheduler import session


class FakeClock:
    """A clock that only moves when told to (``simulate`` jumps it from fire to fire)."""

    fake = True

    def __init__(self, start: datetime):
        self.t = start

    def now(self) -> datetime:
        return self.t


def simulate(
    app_factory: Callable, clock: FakeClock, until: datetime, *, years=None, listeners=()
) -> None:
    """Run the real scheduler (SQLite job store, real triggers, ``fire``) on ``clock`` until
    ``until``, jumping from one fire time to the next; jobs run inline, so days of a
    schedule pass in seconds. ``listeners`` are ``(callback, event_mask)`` pairs.
    """
    from apscheduler.executors.debug import DebugExecutor
    from apscheduler.schedulers.base import BaseScheduler

    class ManualScheduler(BaseScheduler):
        def shutdown(self, wait=True):
            super().shutdown(wait)

        def wakeup(self):  # nothing to wake: the loop below drives it
            pass

    with session(
        app_factory,
        years=years,
        clock=clock,
        scheduler_cls=ManualScheduler,
        executor=DebugExecutor(),
    ) as s:
        for callback, mask in listeners:
            s.sched.add_listener(callback, mask)
        s.sched.resume()
        while True:
            wait = s.sched._process_jobs()  # runs what is due at clock.t
            if wait is None or clock.t + timedelta(seconds=wait) > until:
                break
            clock.t += timedelta(seconds=wait)
