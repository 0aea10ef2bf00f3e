"""销号/延期/调整 in the ledger (``reporting.core.changes``): each request once by its key,
numbered within its period (``change_requests``), and each decision as a new version of its
task (``change_decisions``: rows are only ever added)."""

from __future__ import annotations

import json
from dataclasses import replace

from reporting.core.changes import Change, ChangeDecision, ChangeRequest, Verdict
from reporting.core.ledger.connection import LedgerConnection, PeriodKey


class ChangeStore(LedgerConnection):
    """Change requests and the office's decisions."""

    def record_request(self, request: ChangeRequest, *, numbered: bool = True) -> ChangeRequest:
        """Keep ``request`` once (by key) and return it as kept; ``numbered`` gives it the
        period's next number (else its own ``no`` is kept, as recover replays it)."""
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT data FROM change_requests WHERE key = ?", (request.key,)
            ).fetchone()
            if row is not None:
                return ChangeRequest.from_dict(json.loads(row["data"]))
            if numbered:
                top = conn.execute(
                    "SELECT MAX(no) FROM change_requests WHERE period = ?", (request.period,)
                ).fetchone()[0]
                request = replace(request, no=(top or 0) + 1)
            conn.execute(
                "INSERT INTO change_requests (period, no, key, task_id, kind, unit, data,"
                " received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    request.period,
                    request.no,
                    request.key,
                    request.task_id,
                    request.kind,
                    request.unit,
                    json.dumps(request.to_dict(), ensure_ascii=False),
                    request.received_at,
                ),
            )
            return request

    def next_request_no(self, period: PeriodKey) -> int:
        top = self.conn.execute(
            "SELECT MAX(no) FROM change_requests WHERE period = ?", (str(period),)
        ).fetchone()[0]
        return (top or 0) + 1

    def change_request(self, period: PeriodKey, no: int) -> ChangeRequest | None:
        row = self.conn.execute(
            "SELECT data FROM change_requests WHERE period = ? AND no = ?", (str(period), no)
        ).fetchone()
        return ChangeRequest.from_dict(json.loads(row["data"])) if row else None

    def change_requests(self, period: PeriodKey | None = None) -> list[ChangeRequest]:
        """Requests of ``period`` (None: every period), in order."""
        if period is None:
            rows = self.conn.execute(
                "SELECT data FROM change_requests ORDER BY period, no"
            ).fetchall()
        else:
            rows = self.conn.execute(
                "SELECT data FROM change_requests WHERE period = ? ORDER BY no", (str(period),)
            ).fetchall()
        return [ChangeRequest.from_dict(json.loads(r["data"])) for r in rows]

    def next_decision_seq(self, task_id: str) -> int:
        top = self.conn.execute(
            "SELECT MAX(seq) FROM change_decisions WHERE task_id = ?", (task_id,)
        ).fetchone()[0]
        return (top or 0) + 1

    def record_decision(self, decision: ChangeDecision) -> bool:
        """Add ``decision`` (a new version of its task); False when that version is already
        there (a replay)."""
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO change_decisions (period, no, task_id, seq, verdict,"
                " decided_in, data, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    decision.period,
                    decision.no,
                    decision.task_id,
                    decision.seq,
                    decision.verdict,
                    decision.decided_in,
                    json.dumps(decision.to_dict(), ensure_ascii=False),
                    decision.at,
                ),
            )
            return cur.rowcount == 1

    def change_decisions(self, task_id: str | None = None) -> list[ChangeDecision]:
        """Every decision (of one task), oldest version first."""
        sql = "SELECT data FROM change_decisions"
        args: tuple = ()
        if task_id is not None:
            sql += " WHERE task_id = ?"
            args = (task_id,)
        rows = self.conn.execute(sql + " ORDER BY task_id, seq", args).fetchall()
        return [ChangeDecision.from_dict(json.loads(r["data"])) for r in rows]

    def verdict_of(self, period: PeriodKey, no: int) -> ChangeDecision | None:
        """The latest decision on one request (None: pending)."""
        row = self.conn.execute(
            "SELECT data FROM change_decisions WHERE period = ? AND no = ?"
            " ORDER BY at DESC, seq DESC LIMIT 1",
            (str(period), no),
        ).fetchone()
        return ChangeDecision.from_dict(json.loads(row["data"])) if row else None

    def approved_changes(self) -> list[Change]:
        """Every request whose latest decision approves it, in the order decided."""
        requests = {(r.period, r.no): r for r in self.change_requests()}
        latest: dict[tuple[str, int], ChangeDecision] = {}
        for d in sorted(self.change_decisions(), key=lambda d: (d.at, d.task_id, d.seq)):
            latest[(d.period, d.no)] = d
        out = [
            Change(requests[k], d)
            for k, d in latest.items()
            if d.verdict == Verdict.APPROVED and k in requests
        ]
        return sorted(out, key=lambda c: (c.decision.at, c.decision.seq))
