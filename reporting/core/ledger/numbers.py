"""What reporting.assess keeps: the 发文字号 each document was given (``doc_numbers``: a rerun
keeps it; a new one is the year's next) and the office's 加分/减分 rows as read from each
version of the adjustments sheet (``adjustments``: the 明细 cites their id).

Each 发文字号 given is also written beside the ledger (``<data>/numbers/<period>/通报.json``)
before its row is committed: ``duban recover`` puts it back (``restore_numbers``), and no new
one takes a number a trace holds."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from reporting.core.exceptions import LedgerError
from reporting.core.fileutil import atomic_write_text
from reporting.core.ledger.connection import LedgerConnection, PeriodKey
from reporting.core.workspace import NUMBERS_DIR

NUMBER_FIELDS = ("kind", "period", "year", "number", "text", "at")


def number_trace(root: Path, kind: str, period: str) -> Path:
    return root / NUMBERS_DIR / period / f"{kind}.json"


def scan_numbers(root: Path, pattern: str = "*") -> tuple[list[dict], list[str]]:
    """The 发文字号 traced under ``<root>/numbers/<pattern>`` (a period or a glob of them) and
    the files that could not be read."""
    found: list[dict] = []
    bad: list[str] = []
    for path in sorted((root / NUMBERS_DIR).glob(f"{pattern}/*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            found.append({k: data[k] for k in NUMBER_FIELDS})
        except (OSError, ValueError, TypeError, KeyError):
            bad.append(str(path))
    return found, bad


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
        """The 发文字号 of ``kind`` for ``period``: kept once given (in the ledger or, when a
        kill or a lost ledger dropped its row, in its trace); a new one is the year's next
        number (at least ``first``), none a trace holds; ``number`` sets it explicitly.
        ``make(n)`` → text. Traced on disk before its row."""
        root = self.path.parent
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT * FROM doc_numbers WHERE kind = ? AND period = ?", (kind, str(period))
            ).fetchone()
            if row is not None and (number is None or number == row["number"]):
                return row
            found, _ = scan_numbers(root, f"{year}Q[1-4]")
            traced = {t["period"]: t["number"] for t in found if t["kind"] == kind}
            if number is None and row is None:
                number = traced.get(str(period))
            if number is None:
                top = conn.execute(
                    "SELECT MAX(number) FROM doc_numbers WHERE kind = ? AND year = ?", (kind, year)
                ).fetchone()[0]
                number = max([first, (top or 0) + 1] + [n + 1 for n in traced.values()])
            taken = conn.execute(
                "SELECT period FROM doc_numbers WHERE kind = ? AND year = ? AND number = ?"
                " AND period != ?",
                (kind, year, number, str(period)),
            ).fetchone()
            held = [p for p, n in traced.items() if n == number and p != str(period)]
            if taken is not None or held:
                where = taken["period"] if taken is not None else held[0]
                raise LedgerError(f"{make(number)} 已用于 {where} 的{kind}，请换一个序号")
            values = (kind, str(period), year, number, make(number), at)
            atomic_write_text(
                number_trace(root, kind, str(period)),
                json.dumps(dict(zip(NUMBER_FIELDS, values, strict=True)), ensure_ascii=False),
            )
            conn.execute(
                "INSERT OR REPLACE INTO doc_numbers (kind, period, year, number, text, at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                values,
            )
            return conn.execute(
                "SELECT * FROM doc_numbers WHERE kind = ? AND period = ?", (kind, str(period))
            ).fetchone()

    def restore_numbers(self) -> tuple[int, list[str]]:
        """``duban recover``: every 发文字号 traced beside the ledger put back (rows already
        there untouched): (restored, files not readable)."""
        found, bad = scan_numbers(self.path.parent)
        added = 0
        with self.transaction() as conn:
            for t in found:
                added += conn.execute(
                    "INSERT OR IGNORE INTO doc_numbers (kind, period, year, number, text, at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    tuple(t[k] for k in NUMBER_FIELDS),
                ).rowcount
        return added, bad

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
