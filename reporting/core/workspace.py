"""Where duban keeps its files under the data dir; the one place that knows the layout.

<data>/ledger.sqlite                       the ledger (returns, sends, steps)
<data>/archive/ab/<sha256>.<ext>           every received file, unchanged
<data>/2024Q1/forms/2024Q1_<单位>_进展情况表.xlsx
<data>/2024Q1/inbox/                       returned files (any names, subfolders)
<data>/2024Q1/merged.json                  the merged result (report, pre-fill)
<data>/2024Q1/汇总表.xlsx
<data>/2024Q1/report/                      .docx / .pdf
<data>/2024Q1/reminders/                   催报清单 .xlsx / .docx
<data>/2024Q1/看板.html                     the period's 看板 (one self-contained page)
<data>/2024/2024年度推进情况汇总表.xlsx   the year workbook (duban year); 考核评分表.xlsx
<data>/2024/看板.html                       the year's 看板
<data>/changes/2024Q1/                     销号/延期/调整 requests and decisions (JSON, one each)
<data>/orders/2024Q3/                      督办单 issued and their answers (JSON, one each)
<data>/numbers/2024Q3/通报.json             the 发文字号 the period's 通报 was given
<data>/outbox/                             messages written instead of sent (demo)
<data>/backups/ledger-<time>.sqlite        copies of the ledger (the last 5 states)
<data>/.duban.lock                         who writes now (one writer at a time)
<data>/scheduler.sqlite, scheduler.lock, logs/
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from reporting.core.fileutil import safe_filename
from reporting.core.periods import Period

LEDGER_NAME = "ledger.sqlite"
ORDERS_DIR = "orders"  # beside the ledger: the trace of every 督办单 and its answer
NUMBERS_DIR = "numbers"  # beside the ledger: the trace of every 发文字号 given
LOCK_NAME = ".duban.lock"
PERIOD_DIR = re.compile(r"^\d{4}Q[1-4]$")


@dataclass(frozen=True)
class Workspace:
    root: Path

    def __post_init__(self):
        object.__setattr__(self, "root", Path(self.root))

    @property
    def ledger_path(self) -> Path:
        return self.root / LEDGER_NAME

    @property
    def backups_dir(self) -> Path:
        """Consistent copies of the ledger taken before a command writes (``backup_ledger``)."""
        return self.root / "backups"

    @property
    def archive_dir(self) -> Path:
        return self.root / "archive"

    @property
    def changes_dir(self) -> Path:
        """销号/延期/调整: one JSON per request and per decision (``reporting.core.changes``)."""
        return self.root / "changes"

    @property
    def orders_dir(self) -> Path:
        """督办单: one JSON per 督办单 issued and per answer (``reporting.core.ledger.orders``)."""
        return self.root / ORDERS_DIR

    @property
    def numbers_dir(self) -> Path:
        """发文字号: one JSON per document numbered (``reporting.core.ledger.numbers``)."""
        return self.root / NUMBERS_DIR

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
        return self.root / LOCK_NAME

    def period_dir(self, period: Period) -> Path:
        return self.root / str(period)

    def forms_dir(self, period: Period) -> Path:
        return self.period_dir(period) / "forms"

    def form_path(self, period: Period, unit: str) -> Path:
        return self.forms_dir(period) / f"{period}_{safe_filename(unit)}_进展情况表.xlsx"

    def feedback_dir(self, period: Period) -> Path:
        """The 配合反馈 workbooks and the lead units' form copies of ``period``."""
        return self.period_dir(period) / "feedback"

    def form_copy_path(self, period: Period, unit: str) -> Path:
        """The unit's form with its partners' feedback, as mailed with the 配合反馈 (the
        latest version of its form once the cooperating units' deadline has passed)."""
        return (
            self.feedback_dir(period)
            / f"{period}_{safe_filename(unit)}_进展情况表（含配合单位反馈）.xlsx"
        )

    def inbox_dir(self, period: Period) -> Path:
        return self.period_dir(period) / "inbox"

    def set_aside(self, period: Period) -> Path:
        """What the last collect set aside (inbox files it could not take, with the reason)."""
        return self.period_dir(period) / "set-aside.json"

    def merged_json(self, period: Period) -> Path:
        return self.period_dir(period) / "merged.json"

    def merged_xlsx(self, period: Period) -> Path:
        return self.period_dir(period) / "汇总表.xlsx"

    def report_dir(self, period: Period) -> Path:
        return self.period_dir(period) / "report"

    def reminders_dir(self, period: Period) -> Path:
        return self.period_dir(period) / "reminders"

    def dashboard(self, period: Period) -> Path:
        """The period's 看板: one page that opens with no network (``reporting.dashboard``)."""
        return self.period_dir(period) / "看板.html"

    def period_dirs(self) -> list[Path]:
        """The period folders present (``2024Q1`` …), in order."""
        try:
            found = [p for p in self.root.iterdir() if PERIOD_DIR.match(p.name) and p.is_dir()]
        except OSError:
            return []
        return sorted(found, key=lambda p: p.name)

    def earlier_data(self, limit: int = 3) -> list[Path]:
        """Files that only a ledger-keeping run leaves behind (forms, merged results, reports,
        archived returns, sent mail, ledger copies): when they exist and the ledger does not,
        the ledger was lost, and a fresh empty one would show every unit as 未报送. Files
        dropped into an inbox do not count (the office may do that before the first run)."""
        found: list[Path] = []

        def first(folder: Path, pattern: str) -> None:
            if len(found) < limit:
                try:
                    found.extend(p for p in sorted(folder.glob(pattern))[:1] if p.is_file())
                except OSError:
                    pass

        for period_dir in self.period_dirs():
            for pattern in ("merged.json", "汇总表.xlsx", "forms/*.xlsx", "report/*.docx"):
                first(period_dir, pattern)
        first(self.archive_dir, "*/[0-9a-f]*")
        first(self.outbox_dir, "*.eml")
        first(self.changes_dir, "*/*.json")
        first(self.orders_dir, "*/*.json")
        first(self.numbers_dir, "*/*.json")
        first(self.backups_dir, "ledger-*.sqlite")
        return found[:limit]

    def year_dir(self, year: int) -> Path:
        """What belongs to a whole year: the year workbook, the 考核 sheets."""
        return self.root / str(year)

    def plan_dir(self, year: int) -> Path:
        """``<data>/<year>/落实方案/``: the 落实方案表 (forms), returns (inbox), 汇总表."""
        return self.year_dir(year) / "落实方案"

    def plan_form_path(self, year: int, unit: str) -> Path:
        return self.plan_dir(year) / "forms" / f"{year}年_{safe_filename(unit)}_落实方案表.xlsx"

    def plan_inbox(self, year: int) -> Path:
        return self.plan_dir(year) / "inbox"

    def plan_summary(self, year: int) -> Path:
        return self.plan_dir(year) / f"{year}年落实方案汇总表.xlsx"

    def year_workbook(self, year: int) -> Path:
        return self.year_dir(year) / f"{year}年度推进情况汇总表.xlsx"

    def year_dashboard(self, year: int) -> Path:
        """The year's 看板 (each task's four quarters, the 全年完成情况)."""
        return self.year_dir(year) / "看板.html"
