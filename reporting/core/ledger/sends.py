"""Sends and their claims: every attempt in ``sends``; ``send_claims`` so a message goes out
once, whatever runs at once or crashes (claim, send, complete)."""

from __future__ import annotations

import json
import secrets
import sqlite3
from pathlib import Path

from reporting.core.ledger.connection import LedgerConnection, PeriodKey
from reporting.core.ledger.owner import owner_alive, process_token
from reporting.core.records import SendRecord
from reporting.core.states import FEEDBACK_STAGE, RECEIPT_STAGE, SendResult, Step

SEND_TRACE = "sends-trace.jsonl"  # beside the ledger: each send's result, one JSON a line


def trace_send(ledger_path: Path, claim: dict, result: str, at: str) -> None:
    """Append a send's result to the trace beside the ledger (``duban recover`` reads it:
    a send that failed is never presumed sent). Best effort: the ledger stays the truth."""
    line = {k: claim[k] for k in ("period", "stage", "unit", "channel", "key", "message_id")}
    line.update(result=str(result), at=at)
    try:
        with open(ledger_path.parent / SEND_TRACE, "a", encoding="utf-8") as f:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    except OSError:
        pass


def traced_results(ledger_path: Path) -> dict[tuple[str, str, str, str, str], dict]:
    """(period, stage, unit, channel, key) → the last line the trace holds for it (``result``,
    ``message_id``, ``at``)."""
    out: dict[tuple[str, str, str, str, str], dict] = {}
    try:
        text = (ledger_path.parent / SEND_TRACE).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return out
    for raw in text.splitlines():
        try:
            d = json.loads(raw)
            out[(d["period"], d["stage"], d["unit"], d["channel"], d["key"])] = d
        except (ValueError, KeyError, TypeError):
            continue  # a line cut off by a crash
    return out


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
        already, a live process is sending it, or it may have gone out (``uncertain``). A
        failed send is claimed again; a claim left by a process that died while sending is
        ``uncertain`` (可能已发出): not resent until the office releases it
        (``release_uncertain``)."""
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
                claim = int(cur.lastrowid or 0)
                conn.execute(
                    "UPDATE send_claims SET message_id=? WHERE id=?",
                    (f"duban.{claim}.{secrets.token_hex(8)}", claim),
                )
                return claim
            if row["state"] in (SendResult.SENT, SendResult.UNCERTAIN):
                return None
            if row["state"] == "claimed":
                if owner_alive(row["owner"]):
                    return None
                # its process died between claiming and recording: the message may be out
                conn.execute(
                    "UPDATE send_claims SET state=? WHERE id=?", (SendResult.UNCERTAIN, row["id"])
                )
                return None
            conn.execute(
                "UPDATE send_claims SET state='claimed', owner=?, claimed_at=?, done_at=NULL"
                " WHERE id=?",
                (me, at, row["id"]),
            )
            return row["id"]

    def claim_state(
        self, period: PeriodKey, unit: str, stage: str, channel: str, key: str = ""
    ) -> str | None:
        row = self.conn.execute(
            "SELECT state FROM send_claims"
            " WHERE period=? AND stage=? AND unit=? AND channel=? AND key=?",
            (str(period), stage, unit, channel, key),
        ).fetchone()
        return row["state"] if row else None

    def claim_message_id(self, claim_id: int) -> str:
        """The Message-ID (local part) the claim's mail goes out with, the same on a resend."""
        row = self.conn.execute(
            "SELECT message_id FROM send_claims WHERE id=?", (claim_id,)
        ).fetchone()
        return row["message_id"] if row else ""

    def sent_message(self, message_id: str) -> sqlite3.Row | None:
        """The claim of a mail we sent with this Message-ID (``<local@domain>`` or the local
        part), or None: a bounce naming another Message-ID is not about our mail."""
        local = message_id.strip().strip("<>").split("@", 1)[0]
        if not local.startswith("duban."):
            return None
        return self.conn.execute(
            "SELECT * FROM send_claims WHERE message_id=?", (local,)
        ).fetchone()

    def uncertain_sends(self, period: PeriodKey) -> list[sqlite3.Row]:
        """Claims whose process died while sending (可能已发出), for ``status``."""
        rows = self.conn.execute(
            "SELECT * FROM send_claims WHERE period=? AND state IN (?, 'claimed') ORDER BY id",
            (str(period), SendResult.UNCERTAIN),
        ).fetchall()
        return [r for r in rows if r["state"] != "claimed" or not owner_alive(r["owner"])]

    def release_uncertain(self, period: PeriodKey, stage: str | None = None) -> int:
        """The office decided: send the 可能已发出 messages again (same Message-ID)."""
        sql = "UPDATE send_claims SET state=? WHERE period=? AND state=?"
        args: list = [SendResult.FAILED, str(period), SendResult.UNCERTAIN]
        if stage is not None:
            sql += " AND stage=?"
            args.append(stage)
        with self.transaction() as conn:
            return conn.execute(sql, args).rowcount

    def complete_send(
        self,
        claim_id: int,
        result: SendResult,
        detail: str = "",
        attempts: int = 1,
        *,
        at: str,
        trace: bool = True,
        hold: bool = False,
    ) -> None:
        """Close a claim with the send's result (SENT or FAILED) and record the attempt in
        ``sends``, in one transaction (``hold``: committed with the next one, ``chained``).
        A failed one may be claimed again later."""
        with self.transaction(hold=hold) as conn:
            row = conn.execute("SELECT * FROM send_claims WHERE id=?", (claim_id,)).fetchone()
            if row is None:
                raise KeyError(claim_id)
            if trace:  # beside the ledger: a lost ledger's rebuild knows what went out
                trace_send(self.path, dict(row), result, at)
            conn.execute(
                "UPDATE send_claims SET state=?, done_at=? WHERE id=?", (result, at, claim_id)
            )
            conn.execute(
                "INSERT INTO sends (period, unit, stage, channel, at, result, detail, attempts,"
                " message_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    row["period"],
                    row["unit"],
                    row["stage"],
                    row["channel"],
                    at,
                    result,
                    detail,
                    attempts,
                    row["message_id"],
                ),
            )

    def restore_send(
        self, period: PeriodKey, unit: str, stage: str, channel: str, **sent: str
    ) -> bool:
        """Record a send known from elsewhere (``duban recover``: the outbox, the trace) as
        sent; ``sent``: its ``key``, ``message_id``, ``detail`` and ``at``. False when the
        ledger has it already."""
        at = sent["at"]
        claim = self.claim_send(period, unit, stage, channel, key=sent.get("key", ""), at=at)
        if claim is None:
            return False
        if sent.get("message_id"):
            self.conn.execute(
                "UPDATE send_claims SET message_id=? WHERE id=?", (sent["message_id"], claim)
            )
        self.complete_send(claim, SendResult.SENT, sent["detail"], at=at, trace=False)
        return True

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

    def mark_bounced(self, claim_id: int, *, detail: str) -> None:
        """The mail of this claim bounced: it no longer counts as sent (``remind`` sends it
        again, with its Message-ID)."""
        with self.transaction() as conn:
            row = conn.execute("SELECT * FROM send_claims WHERE id=?", (claim_id,)).fetchone()
            if row is None:
                return
            conn.execute(
                "UPDATE sends SET result = ?, detail = ? WHERE period = ? AND unit = ?"
                " AND stage = ? AND channel = ? AND message_id = ? AND result = ?",
                (
                    SendResult.FAILED,
                    detail,
                    row["period"],
                    row["unit"],
                    row["stage"],
                    row["channel"],
                    row["message_id"],
                    SendResult.SENT,
                ),
            )
            conn.execute(
                "UPDATE send_claims SET state = ? WHERE id = ? AND state = ?",
                (SendResult.FAILED, claim_id, SendResult.SENT),
            )
