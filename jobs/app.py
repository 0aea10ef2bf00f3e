"""The application object: settings loaded once, and the pieces built from them on demand.

Tests call ``create_app`` with their own config path and data dir (like a Flask factory).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path

from reporting.core.config import Settings, load_settings
from reporting.core.workspace import Workspace


@dataclass
class App:
    settings: Settings

    @cached_property
    def clock(self):
        """The one clock of every command (``DUBAN_FAKE_NOW`` moves it for tests and demos)."""
        from jobs.clock import clock_from_env

        return clock_from_env(self.settings)

    def now(self):
        return self.clock.now()

    @cached_property
    def workspace(self) -> Workspace:
        return Workspace(self.settings.data_dir)

    @cached_property
    def table_tasks(self):
        """tasks.csv as the office wrote it (the 落实方案 round builds and checks from it)."""
        from reporting.taskbook.tasks import load_tasks

        return load_tasks(self.settings.paths.tasks)

    @cached_property
    def tasks(self):
        """The year's task table: tasks.csv with the accepted 落实方案 applied (their 节点 and
        责任人 where tasks.csv gives none: ``reporting.taskbook.plans``)."""
        from reporting.core.ledger import Ledger
        from reporting.forms.plan_spec import plan_key
        from reporting.taskbook.plans import accepted_plans, planned_tasks

        year = self.settings.district.year
        if not (self.workspace.plan_dir(year).is_dir() and self.workspace.ledger_path.exists()):
            return self.table_tasks  # no 落实方案 round: the ledger is not even opened
        with Ledger(self.workspace.ledger_path) as ledger:
            plans = accepted_plans(ledger, plan_key(year))
        if not plans:
            return self.table_tasks
        leads = {r.id: r.lead_units for r in self.table_assignments.rows}
        return planned_tasks(self.table_tasks, plans, leads)

    @cached_property
    def table_assignments(self):
        from reporting.taskbook.assignments import Assignments

        return Assignments(self.table_tasks, self.registry)

    def reload_tasks(self) -> None:
        """Forget the task table read so far (after a 落实方案 was accepted)."""
        for name in ("table_tasks", "tasks", "table_assignments", "assignments"):
            self.__dict__.pop(name, None)

    @cached_property
    def registry(self):
        from reporting.taskbook.registry import Registry

        return Registry.load(self.settings.paths.units, self.settings.registry)

    @cached_property
    def assignments(self):
        from reporting.taskbook.assignments import Assignments

        return Assignments(self.tasks, self.registry)

    def approved_changes(self) -> list:
        """Every approved 销号/延期/调整 in the ledger (none before the ledger exists)."""
        if not self.workspace.ledger_path.exists():
            return []
        with self.ledger() as ledger:
            return ledger.approved_changes()

    def book(self, period):
        """The task book of ``period``: tasks.csv with every change approved before it
        (``reporting.taskbook.period_book``); what every per-period step works on."""
        from reporting.core.periods import Period
        from reporting.taskbook.period_book import task_book

        period = Period.parse(period)
        changes = self.approved_changes()
        # a step asks for it several times (the city's takes ~0.07 s to build): kept while
        # the task table, the registry and the approved changes are the same objects/values
        kept = self.__dict__.setdefault("_books", {})
        try:
            key = (period, tuple(changes))
            hit = kept.get(key)
        except TypeError:  # a change that cannot be hashed: built anew
            return task_book(self.tasks, self.registry, changes, period)
        if hit is not None and hit[0] is self.tasks and hit[1] is self.registry:
            return hit[2]
        book = task_book(self.tasks, self.registry, changes, period)
        if len(kept) >= 8:
            kept.clear()
        kept[key] = (self.tasks, self.registry, book)
        return book

    def year_book(self, year: int):
        """The version the year is judged by: every change decided in it, closed tasks kept."""
        from reporting.taskbook.period_book import year_book

        return year_book(self.tasks, self.registry, self.approved_changes(), year)

    def change_notes(self, period) -> dict:
        """What the report and the 通报 say of 销号/延期/调整 in ``period``."""
        from reporting.core.periods import Period
        from reporting.report.changes_text import changes_context
        from reporting.taskbook.changes import listing

        period = Period.parse(period)
        listed = []
        if self.workspace.ledger_path.exists():
            with self.ledger() as ledger:
                listed = listing(ledger, period)
        return changes_context(self.book(period), listed, period)

    def year_changes(self, year: int) -> list:
        """Every 销号/延期/调整 request of ``year`` with its decisions (the annual annex)."""
        from reporting.taskbook.changes import listing

        if not self.workspace.ledger_path.exists():
            return []
        with self.ledger() as ledger:
            return [i for i in listing(ledger) if i.request.period.startswith(str(year))]

    def hold(self, command: str, *, started: datetime | None = None, timeout: float | None = None):
        """The data dir's one-writer lock for a block (``reporting.core.lock``): waits up to
        ``timeout`` (default ``[schedule] lock_wait_seconds``), then ``LockedError`` naming
        the holder. Re-entrant; the outermost hold first backs up the ledger."""
        from functools import partial

        from reporting.core.ledger import backup_before_write
        from reporting.core.lock import data_dir_lock

        return data_dir_lock(
            self.workspace.root,
            command=command,
            started=self.now() if started is None else started,
            timeout=self.settings.schedule.lock_wait_seconds if timeout is None else timeout,
            backup=partial(backup_before_write, self.workspace),
        )

    def ledger(self):
        """A new ledger connection (use as a context manager)."""
        from reporting.core.ledger import Ledger

        return Ledger(self.workspace.ledger_path)


def create_app(
    config: Path | str | None = None, data_dir: Path | str | None = None, env=None
) -> App:
    settings = load_settings(config, env=os.environ if env is None else env)
    if data_dir is not None:
        settings.paths.data_dir = Path(data_dir).resolve()
    return App(settings)
