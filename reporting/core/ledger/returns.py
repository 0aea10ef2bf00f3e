"""Returns and their reviews: each identified return (state, problems, lateness), its parsed
answers (``return_answers``: a merge never re-reads files) and the office's decision on
a return held as 待核实 (``reviews``)."""

from __future__ import annotations

import json
import sqlite3

from reporting.core.ledger.connection import LedgerConnection, PeriodKey
from reporting.core.ledger.files import insert_file
from reporting.core.records import ReturnRecord
from reporting.core.states import ReturnState


class ReturnStore(LedgerConnection):
    """What came back: returns, their answers, reviews of held returns."""

    # -- returns -----------------------------------------------------------
    def returns(self, period: PeriodKey) -> list[ReturnRecord]:
        rows = self.conn.execute(
            "SELECT * FROM returns WHERE period = ? ORDER BY received_at, tiebreak, id",
            (str(period),),
        )
        return [ReturnRecord.from_row(r) for r in rows]

    def same_time(self, period: PeriodKey, unit: str, received_at: str) -> list[ReturnRecord]:
        """The unit's returns received at this very time of ours (versions to order)."""
        rows = self.conn.execute(
            "SELECT * FROM returns WHERE period = ? AND unit = ? AND received_at = ? ORDER BY id",
            (str(period), unit, received_at),
        )
        return [ReturnRecord.from_row(r) for r in rows]

    def latest_accepted(self, period: PeriodKey) -> dict[str, ReturnRecord]:
        """unit → its latest accepted return (a later valid return supersedes earlier ones)."""
        out: dict[str, ReturnRecord] = {}
        for row in self.returns(period):
            if row.state == ReturnState.ACCEPTED and row.unit:
                out[row.unit] = row
        return out

    def has_return(self, period: PeriodKey, sha256: str) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM returns WHERE period = ? AND sha256 = ?", (str(period), sha256)
        ).fetchone()
        return row is not None

    def record_return(
        self,
        period: PeriodKey,
        *,
        sha256: str,
        source: str,
        state: str,
        received_at: str,
        unit: str | None = None,
        form_id: str | None = None,
        schema_version: str | None = None,
        identified_by: str | None = None,
        problems: list[dict] | None = None,
        late: bool = False,
        answers: dict | None = None,
        file: dict | None = None,
        held: dict | None = None,
        tiebreak: str = "",
    ) -> bool:
        """Record an examined return and its answers in one transaction; False if already there.

        ``tiebreak`` orders returns received at the same time of ours (a mail's newest
        ``Received:``, then its ``Date:``: ``mailbox.version_order``).
        ``file`` (size, archive_path) also records the received file in the same transaction;
        ``held`` (sender, verdict) records a return held as 待核实 for ``duban review``.
        """
        with self.transaction() as conn:
            if file is not None:
                insert_file(conn, sha256, file["size"], source, received_at, file["archive_path"])
            cur = conn.execute(
                "INSERT OR IGNORE INTO returns (period, unit, sha256, source, form_id, schema_version,"
                " identified_by, state, problems, received_at, late, tiebreak)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    str(period),
                    unit,
                    sha256,
                    source,
                    form_id,
                    schema_version,
                    identified_by,
                    state,
                    json.dumps(problems or [], ensure_ascii=False),
                    received_at,
                    int(late),
                    tiebreak,
                ),
            )
            if cur.rowcount and answers is not None:
                conn.execute(
                    "INSERT OR REPLACE INTO return_answers (period, sha256, answers) VALUES (?, ?, ?)",
                    (str(period), sha256, json.dumps(answers, ensure_ascii=False)),
                )
            if cur.rowcount and held is not None:
                conn.execute(
                    "INSERT INTO reviews (return_id, period, sender, verdict, held_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (cur.lastrowid, str(period), held["sender"], held["verdict"], received_at),
                )
        return bool(cur.rowcount)

    def reviews(self, period: PeriodKey) -> list[sqlite3.Row]:
        """Held returns of the period with their review (decided or not), in intake order."""
        return self.conn.execute(
            "SELECT r.*, v.sender, v.verdict, v.held_at, v.decision, v.reason, v.decided_by,"
            " v.decided_at FROM reviews v JOIN returns r ON r.id = v.return_id"
            " WHERE v.period = ? ORDER BY r.id",
            (str(period),),
        ).fetchall()

    def decide_review(
        self,
        return_id: int,
        decision: str,
        *,
        state: str,
        problems: list[dict],
        by: str,
        at: str,
        reason: str = "",
    ) -> None:
        """The office's decision on a held return: its new state and problems, who and when."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE returns SET state = ?, problems = ? WHERE id = ?",
                (state, json.dumps(problems, ensure_ascii=False), return_id),
            )
            conn.execute(
                "UPDATE reviews SET decision = ?, reason = ?, decided_by = ?, decided_at = ?"
                " WHERE return_id = ?",
                (decision, reason, by, at, return_id),
            )

    def answers_of(self, period: PeriodKey, sha256: str) -> dict | None:
        row = self.conn.execute(
            "SELECT answers FROM return_answers WHERE period = ? AND sha256 = ?",
            (str(period), sha256),
        ).fetchone()
        return json.loads(row["answers"]) if row else None

    def answer_texts(self, period: PeriodKey) -> list[tuple[str, str]]:
        """(sha256, answers as stored) of every return of ``period`` with parsed answers."""
        rows = self.conn.execute(
            "SELECT sha256, answers FROM return_answers WHERE period = ? ORDER BY sha256",
            (str(period),),
        )
        return [(r["sha256"], r["answers"]) for r in rows]

    @staticmethod
    def problems_of(row: ReturnRecord | sqlite3.Row) -> list[dict]:
        return json.loads(row["problems"] or "[]")
