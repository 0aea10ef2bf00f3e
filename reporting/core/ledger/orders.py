"""What the ladder decided and must keep (``orders``): each 督办单 issued — its number, rung,
addressees and 整改时限 — and the return that answered it (办结 or 续办). A rerun of the same
quarter's 通报 keeps every number; a new 督办单 takes the year's next one.

Each 督办单 and each answer is also written beside the ledger as one small JSON file
(``<data>/orders/<period>/0003.order.json``, ``0003.answer.json``) BEFORE its row is
committed, so ``duban recover`` puts every number, answer and closing back
(``restore_orders``). A trace whose row a kill (or a ledger restored from an older copy)
lost is taken as issued: ``duban bulletin`` puts the traced ones back before it numbers,
so the next run keeps its number and no new 督办单 takes a number a trace holds.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from reporting.core.fileutil import atomic_write_text
from reporting.core.ledger.connection import LedgerConnection, PeriodKey
from reporting.core.workspace import ORDERS_DIR

ISSUED = ".order.json"
ANSWER = ".answer.json"


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

    @classmethod
    def from_dict(cls, data: dict) -> OrderRecord:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["units"] = list(known["units"])
        return cls(**known)


# -- the trace on disk ------------------------------------------------------------------
def trace_path(root: Path, period: str, number: int, suffix: str) -> Path:
    return root / ORDERS_DIR / period / f"{number:04d}{suffix}"


def write_trace(root: Path, record: OrderRecord, suffix: str) -> None:
    atomic_write_text(
        trace_path(root, record.period, record.number, suffix),
        json.dumps(asdict(record), ensure_ascii=False, indent=1),
    )


def scan_orders(root: Path) -> tuple[list[OrderRecord], list[OrderRecord], list[str]]:
    """The 督办单 (issued, answered) traced under ``<root>/orders``, by period and number, and
    the files that could not be read."""
    issued: list[OrderRecord] = []
    answers: list[OrderRecord] = []
    bad: list[str] = []
    for path in sorted((root / ORDERS_DIR).glob("*/*.json")):
        try:
            record = OrderRecord.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, KeyError):
            bad.append(str(path))
            continue
        if path.name.endswith(ISSUED):
            issued.append(record)
        elif path.name.endswith(ANSWER) and record.outcome:
            answers.append(record)
    return issued, answers, bad


class OrderStore(LedgerConnection):
    """督办单 issued and answered."""

    @property
    def trace_root(self) -> Path:
        return self.path.parent

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
        时限 do not change on a rerun); a new one takes the year's next number, traced on
        disk before its row (call ``restore_orders`` first: a trace whose row a kill or an
        older copy of the ledger lost keeps its number). ``make(n)`` → the printed number."""
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT * FROM orders WHERE period = ? AND task_id = ?", (str(period), task_id)
            ).fetchone()
            if row is not None:
                return OrderRecord.of(row)
            top = conn.execute("SELECT MAX(number) FROM orders WHERE year = ?", (year,)).fetchone()
            n = (top[0] or 0) + 1
            record = OrderRecord(
                str(period), task_id, year, n, make(n), rung, reason, units, due, at
            )
            write_trace(self.trace_root, record, ISSUED)
            _insert(conn, record)
            return record

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
        """Record the return of ``answered_in`` as the answer to an open 督办单 (once),
        traced on disk before its row."""
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT * FROM orders WHERE period = ? AND task_id = ? AND outcome IS NULL",
                (str(period), task_id),
            ).fetchone()
            if row is None:
                return
            record = replace(
                OrderRecord.of(row),
                answered_in=str(answered_in),
                outcome=outcome,
                returns=returns,
                answered_at=at,
            )
            write_trace(self.trace_root, record, ANSWER)
            _answer(conn, record)

    def restore_orders(self) -> tuple[int, int, list[str]]:
        """``duban recover``: every 督办单 and answer traced beside the ledger put back (rows
        already there untouched): (issued restored, answers restored, files not readable)."""
        issued, answers, bad = scan_orders(self.trace_root)
        added = answered = 0
        with self.transaction() as conn:
            for record in issued:
                added += _insert(conn, record, keep=True)
            for record in answers:
                answered += _answer(conn, record)
        return added, answered, bad

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


def _insert(conn: sqlite3.Connection, o: OrderRecord, *, keep: bool = False) -> int:
    """One issued 督办单's row (``keep``: a row already there for it stays as it is)."""
    cur = conn.execute(
        ("INSERT OR IGNORE" if keep else "INSERT")
        + " INTO orders (period, task_id, year, number, text, rung, reason, units, due,"
        " issued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            o.period,
            o.task_id,
            o.year,
            o.number,
            o.text,
            o.rung,
            o.reason,
            json.dumps(o.units, ensure_ascii=False),
            o.due,
            o.issued_at,
        ),
    )
    return cur.rowcount


def _answer(conn: sqlite3.Connection, o: OrderRecord) -> int:
    """An open 督办单 answered (one already answered keeps its answer)."""
    cur = conn.execute(
        "UPDATE orders SET answered_in = ?, outcome = ?, returns = ?, answered_at = ?"
        " WHERE period = ? AND task_id = ? AND outcome IS NULL",
        (
            o.answered_in,
            o.outcome,
            json.dumps(o.returns or [], ensure_ascii=False),
            o.answered_at,
            o.period,
            o.task_id,
        ),
    )
    return cur.rowcount
