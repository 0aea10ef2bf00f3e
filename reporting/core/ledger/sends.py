"""Sends and their claims: every attempt in ``sends``; ``send_claims`` so a message goes out
once, whatever runs at once or crashes (claim, send, complete)."""

from __future__ import annotations

import sqlite3

from reporting.core.ledger.connection import LedgerConnection, PeriodKey
from reporting.core.ledger.owner import owner_alive, process_token
from reporting.core.records import SendRecord
from reporting.core.states import FEEDBACK_STAGE, RECEIPT_STAGE, SendResult, Step


def receipt_key(sha256: str) -> str:
    """The return a receipt answers, as written at the start of its ``sends`` detail."""
    return sha256[:12]


class SendStore(LedgerConnection):
    """What was sent, to whom, on which channel; claim before send."""

    def was_sent(self, period: PeriodKey, unit: str, stage: str, channel: str) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM sends WHERE period=? AND unit=? AND stage=? AND channel=? AND result=?",
            (str(period), unit, stage, channel, SendResult.SENT),
        ).fetchone()
        return row is not None

    def notice_sent(self, period: PeriodKey, unit: str) -> bool:
        """Whether the unit's 通知 (the form) went out successfully on any channel."""
        row = self.conn.execute(
            "SELECT 1 FROM sends WHERE period=? AND unit=? AND stage=? AND result=?",
            (str(period), unit, Step.NOTICE, SendResult.SENT),
        ).fetchone()
        return row is not None

    def record_send(
        self,
        period: PeriodKey,
        unit: str,
        stage: str,
        channel: str,
        result: SendResult,
        detail: str = "",
        attempts: int = 1,
        *,
        at: str,
    ) -> None:
        self.conn.execute(
            "INSERT INTO sends (period, unit, stage, channel, at, result, detail, attempts)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (str(period), unit, stage, channel, at, result, detail, attempts),
        )

    def claim_send(
        self, period: PeriodKey, unit: str, stage: str, channel: str, *, key: str = "", at: str
    ) -> int | None:
        """Claim one message before sending it: its claim id, or None when it was sent
        already or a live process is sending it. A failed send, or a claim left by a
        process that is gone, is claimed again."""
        if self._batch:  # a claim must be on disk before the message leaves
            raise RuntimeError("claim_send inside Ledger.batched")
        me = process_token()
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT id, state, owner FROM send_claims"
                " WHERE period=? AND stage=? AND unit=? AND channel=? AND key=?",
                (str(period), stage, unit, channel, key),
            ).fetchone()
            if row is None:
                cur = conn.execute(
                    "INSERT INTO send_claims (period, stage, unit, channel, key, state, owner,"
                    " claimed_at) VALUES (?, ?, ?, ?, ?, 'claimed', ?, ?)",
                    (str(period), stage, unit, channel, key, me, at),
                )
                return cur.lastrowid
            if row["state"] == SendResult.SENT:
                return None
            if row["state"] == "claimed" and owner_alive(row["owner"]):
                return None
            conn.execute(
                "UPDATE send_claims SET state='claimed', owner=?, claimed_at=?, done_at=NULL"
                " WHERE id=?",
                (me, at, row["id"]),
            )
            return row["id"]

    def complete_send(
        self, claim_id: int, result: SendResult, detail: str = "", attempts: int = 1, *, at: str
    ) -> None:
        """Close a claim with the send's result (SENT or FAILED) and record the attempt in
        ``sends``, in one transaction. A failed one may be claimed again later."""
        with self.transaction() as conn:
            row = conn.execute("SELECT * FROM send_claims WHERE id=?", (claim_id,)).fetchone()
            if row is None:
                raise KeyError(claim_id)
            conn.execute(
                "UPDATE send_claims SET state=?, done_at=? WHERE id=?", (result, at, claim_id)
            )
            conn.execute(
                "INSERT INTO sends (period, unit, stage, channel, at, result, detail, attempts)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    row["period"],
                    row["unit"],
                    row["stage"],
                    row["channel"],
                    at,
                    result,
                    detail,
                    attempts,
                ),
            )

    def release_claim(self, claim_id: int) -> None:
        """Give a claim back unsent (the run stopped before the message went out)."""
        self.conn.execute(
            "UPDATE send_claims SET state=? WHERE id=? AND state='claimed'",
            (SendResult.FAILED, claim_id),
        )

    def claims(self, period: PeriodKey) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT * FROM send_claims WHERE period = ? ORDER BY id", (str(period),)
        ).fetchall()

    def receipt_results(self, period: PeriodKey) -> dict[str, str]:
        """``receipt_key`` of each return answered so far → ``sent`` (once any attempt
        succeeded) or ``failed``."""
        out: dict[str, str] = {}
        rows = self.conn.execute(
            "SELECT detail, result FROM sends WHERE period = ? AND stage = ? ORDER BY id",
            (str(period), RECEIPT_STAGE),
        )
        for row in rows:
            key = row["detail"].split(" ", 1)[0]
            if out.get(key) != SendResult.SENT:
                out[key] = row["result"]
        return out

    def feedback_sent(self, period: PeriodKey) -> dict[str, list[str]]:
        """lead unit → times its 配合单位反馈 went out (first version, then each 更新)."""
        out: dict[str, list[str]] = {}
        rows = self.conn.execute(
            "SELECT unit, at FROM sends WHERE period = ? AND stage = ? AND result = ? ORDER BY id",
            (str(period), FEEDBACK_STAGE, SendResult.SENT),
        )
        for row in rows:
            out.setdefault(row["unit"], []).append(row["at"])
        return out

    def sends(self, period: PeriodKey) -> list[SendRecord]:
        rows = self.conn.execute("SELECT * FROM sends WHERE period = ? ORDER BY id", (str(period),))
        return [SendRecord.from_row(r) for r in rows]

    def mark_bounced(self, period: PeriodKey, unit: str, *, before: str, detail: str) -> str | None:
        """The latest email to ``unit`` sent before ``before`` bounced: it no longer counts as
        sent (``remind`` sends it again). Returns the stage it was, or None when none matched."""
        row = self.conn.execute(
            "SELECT id, stage FROM sends WHERE period = ? AND unit = ? AND channel = 'email'"
            " AND result = ? AND at <= ? ORDER BY at DESC, id DESC LIMIT 1",
            (str(period), unit, SendResult.SENT, before),
        ).fetchone()
        if row is None:
            return None
        with self.transaction() as conn:
            conn.execute(
                "UPDATE sends SET result = ?, detail = ? WHERE id = ?",
                (SendResult.FAILED, detail, row["id"]),
            )
            # its claim too: a failed send may be claimed and sent again
            conn.execute(
                "UPDATE send_claims SET state = ? WHERE period = ? AND unit = ?"
                " AND stage = ? AND channel = 'email' AND key = '' AND state = ?",
                (SendResult.FAILED, str(period), unit, row["stage"], SendResult.SENT),
            )
        return row["stage"]
