"""Where duban keeps its files under the data dir; the one place that knows the layout.

<data>/ledger.sqlite                       the ledger (returns, sends, steps)
<data>/archive/ab/<sha256>.<ext>           every received file, unchanged
<data>/2024Q1/forms/2024Q1_<单位>_进展情况表.xlsx
<data>/2024Q1/inbox/                       returned files (any names, subfolders)
<data>/2024Q1/merged.json                  the merged result (report, pre-fill)
<data>/2024Q1/汇总表.xlsx
<data>/2024Q1/report/                      .docx / .pdf
<data>/2024Q1/reminders/                   催报清单 .xlsx / .docx
<data>/outbox/                             messages written instead of sent (demo)
<data>/.duban.lock                         who writes now (one writer at a time)
<data>/scheduler.sqlite, scheduler.lock, logs/
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reporting.core.fileutil import safe_filename
from reporting.core.lock import lock_path
from reporting.core.periods import Period


@dataclass(frozen=True)
class Workspace:
    root: Path

    def __post_init__(self):
        object.__setattr__(self, "root", Path(self.root))

    @property
    def ledger_path(self) -> Path:
        return self.root / "ledger.sqlite"

    @property
    def backups_dir(self) -> Path:
        """Consistent copies of the ledger taken before a command writes (``backup_ledger``)."""
        return self.root / "backups"

    @property
    def archive_dir(self) -> Path:
        return self.root / "archive"

    @property
    def outbox_dir(self) -> Path:
        return self.root / "outbox"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def scheduler_db(self) -> Path:
        return self.root / "scheduler.sqlite"

    @property
    def scheduler_lock(self) -> Path:
        return self.root / "scheduler.lock"

    @property
    def data_lock(self) -> Path:
        """The one-writer lock (``reporting.core.lock``): held by every command that writes or sends."""
        return lock_path(self.root)

    def period_dir(self, period: Period) -> Path:
        return self.root / str(period)

    def forms_dir(self, period: Period) -> Path:
        return self.period_dir(period) / "forms"

    def form_path(self, period: Period, unit: str) -> Path:
        return self.forms_dir(period) / f"{period}_{safe_filename(unit)}_进展情况表.xlsx"

    def inbox_dir(self, period: Period) -> Path:
        return self.period_dir(period) / "inbox"

    def merged_json(self, period: Period) -> Path:
        return self.period_dir(period) / "merged.json"

    def merged_xlsx(self, period: Period) -> Path:
        return self.period_dir(period) / "汇总表.xlsx"

    def report_dir(self, period: Period) -> Path:
        return self.period_dir(period) / "report"

    def reminders_dir(self, period: Period) -> Path:
        return self.period_dir(period) / "reminders"
