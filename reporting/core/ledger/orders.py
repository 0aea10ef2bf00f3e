"""What the ladder decided and must keep (``orders``): each 督办单 issued — its number, rung,
addressees and 整改时限 — and the return that answered it (办结 or 续办). A rerun of the same
quarter's 通报 keeps every number; a new 督办单 takes the year's next one."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from reporting.core.ledger.connection import LedgerConnection, PeriodKey


@dataclass(frozen=True)
class OrderRecord:
    """One ``orders`` row."""

    period: str
    task_id: str
    year: int
    number: int
    text: str
    rung: str
    reason: str
    units: list[str]
    due: str
    issued_at: str
    answered_in: str | None = None
    outcome: str | None = None
    returns: list[dict] | None = None
    answered_at: str | None = None

    @property
    def open(self) -> bool:
        return self.outcome is None

    @classmethod
    def of(cls, row: sqlite3.Row) -> OrderRecord:
        data = dict(row)
        data["units"] = json.loads(data["units"])
        data["returns"] = json.loads(data["returns"]) if data["returns"] else None
        return cls(**data)


class OrderStore(LedgerConnection):
    """督办单 issued and answered."""

    def issue_order(
        self,
        period: PeriodKey,
        task_id: str,
        year: int,
        *,
        make,
        rung: str,
        reason: str,
        units: list[str],
        due: str,
        at: str,
    ) -> OrderRecord:
        """The 督办单 of ``task_id`` in ``period``: kept once issued (its number, rung and
        时限 do not change on a rerun); a new one takes the year's next number. ``make(n)``
        → the printed number."""
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT * FROM orders WHERE period = ? AND task_id = ?", (str(period), task_id)
            ).fetchone()
            if row is None:
                top = conn.execute(
                    "SELECT MAX(number) FROM orders WHERE year = ?", (year,)
                ).fetchone()[0]
                n = (top or 0) + 1
                conn.execute(
                    "INSERT INTO orders (period, task_id, year, number, text, rung, reason,"
                    " units, due, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        str(period),
                        task_id,
                        year,
                        n,
                        make(n),
                        rung,
                        reason,
                        json.dumps(units, ensure_ascii=False),
                        due,
                        at,
                    ),
                )
                row = conn.execute(
                    "SELECT * FROM orders WHERE period = ? AND task_id = ?",
                    (str(period), task_id),
                ).fetchone()
            return OrderRecord.of(row)

    def answer_order(
        self,
        period: PeriodKey,
        task_id: str,
        *,
        answered_in: PeriodKey,
        outcome: str,
        returns: list[dict],
        at: str,
    ) -> None:
        """Record the return of ``answered_in`` as the answer to an open 督办单 (once)."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE orders SET answered_in = ?, outcome = ?, returns = ?, answered_at = ?"
                " WHERE period = ? AND task_id = ? AND outcome IS NULL",
                (
                    str(answered_in),
                    outcome,
                    json.dumps(returns, ensure_ascii=False),
                    at,
                    str(period),
                    task_id,
                ),
            )

    def orders(self, period: PeriodKey | None = None) -> list[OrderRecord]:
        """督办单 of ``period`` (all when None), by number within each year."""
        if period is None:
            rows = self.conn.execute("SELECT * FROM orders ORDER BY year, number").fetchall()
        else:
            rows = self.conn.execute(
                "SELECT * FROM orders WHERE period = ? ORDER BY number", (str(period),)
            ).fetchall()
        return [OrderRecord.of(r) for r in rows]

    def open_orders(self) -> list[OrderRecord]:
        rows = self.conn.execute(
            "SELECT * FROM orders WHERE outcome IS NULL ORDER BY year, number"
        ).fetchall()
        return [OrderRecord.of(r) for r in rows]
