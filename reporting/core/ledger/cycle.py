"""What the cycle has made: steps done per period (``steps``), the forms built per unit
(``forms``) and what collect last merged (``merges``: collect rewrites only on change)."""

from __future__ import annotations

from reporting.core.ledger.connection import LedgerConnection, PeriodKey
from reporting.core.records import FormRecord, MergeRecord, StepRecord


class CycleStore(LedgerConnection):
    """Steps done, forms built, the last merge."""

    # -- steps -------------------------------------------------------------
    def step_done(self, period: PeriodKey, step: str) -> StepRecord | None:
        row = self.conn.execute(
            "SELECT * FROM steps WHERE period = ? AND step = ?", (str(period), step)
        ).fetchone()
        return StepRecord.from_row(row) if row else None

    def mark_step(self, period: PeriodKey, step: str, *, at: str, detail: str = "") -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO steps (period, step, done_at, detail) VALUES (?, ?, ?, ?)",
            (str(period), step, at, detail),
        )

    def record_form(
        self, period: PeriodKey, unit: str, form_id: str, path: str, fingerprint: str, *, at: str
    ) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO forms (period, unit, form_id, path, fingerprint, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (str(period), unit, form_id, str(path), fingerprint, at),
        )

    def forms(self, period: PeriodKey) -> dict[str, FormRecord]:
        rows = self.conn.execute("SELECT * FROM forms WHERE period = ?", (str(period),))
        return {r["unit"]: FormRecord.from_row(r) for r in rows}

    def merge_state(self, period: PeriodKey) -> MergeRecord | None:
        row = self.conn.execute("SELECT * FROM merges WHERE period = ?", (str(period),)).fetchone()
        return MergeRecord.from_row(row) if row else None

    def record_merge(self, period: PeriodKey, digest: str, generated_at: str) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO merges (period, digest, generated_at) VALUES (?, ?, ?)",
            (str(period), digest, generated_at),
        )
