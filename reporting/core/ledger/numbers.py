"""What reporting.assess keeps: the 发文字号 each document was given (``doc_numbers``: a rerun
keeps it; a new one is the year's next) and the office's 加分/减分 rows as read from each
version of the adjustments sheet (``adjustments``: the 明细 cites their id)."""

from __future__ import annotations

import sqlite3

from reporting.core.exceptions import LedgerError
from reporting.core.ledger.connection import LedgerConnection, PeriodKey


class NumberStore(LedgerConnection):
    """通报 numbers and 考核 adjustments."""

    # -- 通报 numbers and 考核 adjustments (reporting.assess) ---------------------------
    def doc_number(
        self,
        kind: str,
        period: PeriodKey,
        year: int,
        *,
        make,
        first: int,
        number: int | None,
        at: str,
    ) -> sqlite3.Row:
        """The 发文字号 of ``kind`` for ``period``: kept once given; a new one is the year's
        next number (at least ``first``); ``number`` sets it explicitly. ``make(n)`` → text."""
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT * FROM doc_numbers WHERE kind = ? AND period = ?", (kind, str(period))
            ).fetchone()
            if row is not None and (number is None or number == row["number"]):
                return row
            if number is None:
                top = conn.execute(
                    "SELECT MAX(number) FROM doc_numbers WHERE kind = ? AND year = ?", (kind, year)
                ).fetchone()[0]
                number = max(first, (top or 0) + 1)
            taken = conn.execute(
                "SELECT period FROM doc_numbers WHERE kind = ? AND year = ? AND number = ?"
                " AND period != ?",
                (kind, year, number, str(period)),
            ).fetchone()
            if taken is not None:
                raise LedgerError(f"{make(number)} 已用于 {taken['period']} 的{kind}，请换一个序号")
            conn.execute(
                "INSERT OR REPLACE INTO doc_numbers (kind, period, year, number, text, at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (kind, str(period), year, number, make(number), at),
            )
            return conn.execute(
                "SELECT * FROM doc_numbers WHERE kind = ? AND period = ?", (kind, str(period))
            ).fetchone()

    def record_adjustments(self, year: int, sha256: str, rows: list[dict], *, at: str) -> None:
        """The rows of one version of the adjustments sheet, once (keys: row, unit, points,
        reason, doc_no, source)."""
        with self.transaction() as conn:
            for r in rows:
                conn.execute(
                    "INSERT OR IGNORE INTO adjustments (year, sha256, row, unit, points, reason,"
                    " doc_no, source, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        year,
                        sha256,
                        r["row"],
                        r["unit"],
                        r["points"],
                        r["reason"],
                        r["doc_no"],
                        r["source"],
                        at,
                    ),
                )

    def adjustments(self, year: int, sha256: str) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT * FROM adjustments WHERE year = ? AND sha256 = ? ORDER BY row",
            (year, sha256),
        ).fetchall()
