"""Received files: each once by SHA-256 (``files``: size, first source name, archive path) and
the scans and documents sent beside the forms (``attachments``: kept, not examined)."""

from __future__ import annotations

from reporting.core.ledger.connection import LedgerConnection, PeriodKey
from reporting.core.records import AttachmentRecord, FileRecord


def insert_file(conn, sha256: str, size: int, source: str, received_at: str, archive_path) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO files (sha256, size, source, received_at, archive_path) VALUES (?, ?, ?, ?, ?)",
        (sha256, size, source, received_at, str(archive_path)),
    )


class FileStore(LedgerConnection):
    """Received files and attachments."""

    def record_file(
        self, sha256: str, size: int, source: str, received_at: str, archive_path: str
    ) -> None:
        """A received file, once per content (the first source name and time are kept)."""
        insert_file(self.conn, sha256, size, source, received_at, archive_path)

    def file(self, sha256: str) -> FileRecord | None:
        row = self.conn.execute("SELECT * FROM files WHERE sha256 = ?", (sha256,)).fetchone()
        return FileRecord.from_row(row) if row else None

    def record_attachment(
        self,
        period: PeriodKey,
        *,
        sha256: str,
        source: str,
        kind: str,
        received_at: str,
        unit: str | None,
        file: dict,
    ) -> None:
        """A scan or document sent beside the forms, with its archived file, in one transaction."""
        with self.transaction() as conn:
            insert_file(conn, sha256, file["size"], source, received_at, file["archive_path"])
            conn.execute(
                "INSERT OR IGNORE INTO attachments (period, sha256, unit, source, kind, received_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (str(period), sha256, unit, source, kind, received_at),
            )

    def attachments(self, period: PeriodKey) -> list[AttachmentRecord]:
        rows = self.conn.execute(
            "SELECT * FROM attachments WHERE period = ? ORDER BY received_at, source",
            (str(period),),
        )
        return [AttachmentRecord.from_row(r) for r in rows]

    def has_attachment(self, period: PeriodKey, sha256: str) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM attachments WHERE period = ? AND sha256 = ?", (str(period), sha256)
        ).fetchone()
        return row is not None
