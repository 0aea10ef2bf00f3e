"""The office mailbox (reporting.intake.imap): one row per message seen in a folder, keyed by
(folder, UIDVALIDITY, UID) and findable by sha256 (its content); one row per
fetch."""

from __future__ import annotations

import sqlite3

from reporting.core.ledger.connection import LedgerConnection, PeriodKey


class ImapStore(LedgerConnection):
    """Mails seen in the office mailbox and each fetch."""

    # -- the office mailbox (reporting.intake.imap) -----------------------------------------
    def imap_mail(self, folder: str, uidvalidity: int, uid: int) -> sqlite3.Row | None:
        return self.conn.execute(
            "SELECT * FROM imap_mails WHERE folder = ? AND uidvalidity = ? AND uid = ?",
            (folder, uidvalidity, uid),
        ).fetchone()

    def imap_by_sha(self, sha256: str) -> sqlite3.Row | None:
        return self.conn.execute(
            "SELECT * FROM imap_mails WHERE sha256 = ? AND state IN ('stored', 'other')"
            " ORDER BY rowid LIMIT 1",
            (sha256,),
        ).fetchone()

    def imap_internaldate(self, sha256: str) -> str | None:
        """INTERNALDATE (the office server's receipt time) of a fetched mail with this content."""
        row = self.imap_by_sha(sha256)
        return row["internaldate"] if row else None

    def imap_save(self, key: tuple[str, int, int], **fields) -> None:
        """Insert or update the row of one message (``key`` = folder, UIDVALIDITY, UID)."""
        cols = ", ".join(fields)
        marks = ", ".join("?" for _ in fields)
        updates = ", ".join(f"{c} = excluded.{c}" for c in fields)
        self.conn.execute(
            f"INSERT INTO imap_mails (folder, uidvalidity, uid, {cols}) VALUES (?, ?, ?, {marks})"
            f" ON CONFLICT (folder, uidvalidity, uid) DO UPDATE SET {updates}",
            (*key, *fields.values()),
        )

    def imap_mails(self, period: str) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT * FROM imap_mails WHERE period = ? ORDER BY internaldate, uid", (str(period),)
        ).fetchall()

    def imap_unmoved(self, folder: str, uidvalidity: int) -> list[sqlite3.Row]:
        """Messages processed but not yet moved or flagged (a crash or a failed move)."""
        return self.conn.execute(
            "SELECT * FROM imap_mails WHERE folder = ? AND uidvalidity = ? AND moved = ''"
            " AND state IN ('stored', 'other', 'set_aside')",
            (folder, uidvalidity),
        ).fetchall()

    def record_fetch(
        self,
        period: PeriodKey,
        *,
        at: str,
        taken: int,
        other: int,
        left: int,
        failed: int,
        error: str,
    ) -> None:
        self.conn.execute(
            "INSERT INTO imap_fetches (period, at, taken, other, left_on_server, failed, error)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (str(period), at, taken, other, left, failed, error),
        )

    def last_fetch(self, period: str) -> sqlite3.Row | None:
        return self.conn.execute(
            "SELECT * FROM imap_fetches WHERE period = ? ORDER BY id DESC LIMIT 1", (str(period),)
        ).fetchone()
