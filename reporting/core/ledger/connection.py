"""Opening the ledger file and its transactions (``LedgerConnection``, the base of every store).

SQLite in WAL mode with short transactions, so a killed process leaves a consistent
file and a rerun continues from it; ``batched`` commits many records at a time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Self

from reporting.core.exceptions import LedgerError, storage_error
from reporting.core.fileutil import create_file
from reporting.core.ledger.backups import require_ledger, way_back
from reporting.core.ledger.schema import migrate
from reporting.core.periods import Period

PeriodKey = Period | str  # the ledger stores periods as text (2024Q1)


def _cannot_write(exc: sqlite3.DatabaseError) -> bool:
    """A full disk or a read-only file, not a damaged ledger."""
    text = str(exc).lower()
    return any(s in text for s in ("disk i/o error", "disk is full", "readonly", "read-only"))


class LedgerConnection:
    """One open ledger file: the connection every store records through."""

    def __init__(self, path: Path | str, *, create: bool = False):
        """Open (and migrate) the ledger at ``path``. The data dir's ``ledger.sqlite`` is
        created only in a data dir without earlier data (``Workspace.earlier_data``), or
        with ``create`` (``duban recover`` building a new one): a lost ledger is an error
        with the way back, never silently a new empty one."""
        self.path = Path(path)
        if not create:
            require_ledger(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            create_file(self.path)  # its -wal and -shm files take the same mode
        except OSError as exc:
            raise storage_error(exc, self.path) or exc from None
        self.conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        self._batch = False  # inside batched(): records wait for the batch's commit
        self._chain = False  # inside chained(): a held record waits for the next commit
        self._held = False  # a held record's transaction is open
        try:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            self.schema_found = migrate(self.conn, self.path)
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            known = storage_error(exc, self.path)
            if known is not None:
                raise known from None
            if _cannot_write(exc):
                raise LedgerError(
                    f"台账 {self.path} 无法写入（{exc}）：磁盘可能已满或没有写入权限；"
                    "请腾出空间或检查权限后重新运行（台账未改动）"
                ) from None
            raise LedgerError(
                f"台账 {self.path} 已损坏，无法打开（{exc}）。{way_back(self.path)}"
            ) from None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self, *, hold: bool = False):
        """All or nothing; inside ``batched`` a savepoint of the batch's transaction.
        ``hold`` (inside ``chained``): committed with the next transaction, not alone."""
        if self._batch:
            with self._savepoint() as conn:
                yield conn
            return
        if self._held:  # this one commits the held one with it, whether or not it succeeds
            with self._savepoint(self.settle) as conn:
                yield conn
            if not (hold and self._chain):
                self.settle()
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        if hold and self._chain:
            self._held = True
            return
        self.conn.execute("COMMIT")

    @contextmanager
    def _savepoint(self, after_failure: Callable[[], None] | None = None):
        """A part of the open transaction, undone alone when it fails."""
        self.conn.execute("SAVEPOINT record")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK TO record")
            self.conn.execute("RELEASE record")
            if after_failure is not None:
                after_failure()
            raise
        self.conn.execute("RELEASE record")

    def settle(self) -> None:
        """Commit a held record (and whatever was recorded since)."""
        if self._held:
            self._held = False
            if self.conn.in_transaction:  # not when SQLite itself rolled back (disk full)
                self.conn.execute("COMMIT")

    @contextmanager
    def chained(self):
        """Records made with ``hold`` (a send's result) are committed together with the next
        transaction (the next send's claim): one disk sync for the two, and still nothing
        leaves between a result and its commit. Whatever is held is committed when the
        block ends, however it ends; a kill loses at most the held result, whose claim is
        then 可能已发出, as when the kill comes during the send."""
        self._chain = True
        try:
            yield
        finally:
            self._chain = False
            self.settle()

    @contextmanager
    def batched(self, size: int, before_commit: Callable[[], None] | None = None):
        """Records committed ``size`` at a time (one disk sync each, not one per record):
        call the yielded ``tick()`` after each. Whatever is recorded is committed when the
        block ends, however it ends; a kill loses at most the last uncommitted records,
        which the caller must be able to make again (a form written but not recorded is
        built again; an inbox file not recorded is taken in again). Nothing may be sent
        inside (``claim_send`` refuses). Inside a caller's transaction, that one decides.
        ``before_commit`` runs before every commit (the files the records name made
        durable, ``fileutil.SyncLater``); when it fails the batch is rolled back."""
        if self.conn.in_transaction:
            try:
                yield lambda: None
            finally:
                if before_commit is not None:  # before the caller's commit, however it ends
                    before_commit()
            return
        done = 0

        def commit() -> None:
            if before_commit is not None:
                try:
                    before_commit()
                except BaseException:
                    self.conn.execute("ROLLBACK")
                    raise
            self.conn.execute("COMMIT")

        def tick() -> None:
            nonlocal done
            done += 1
            if done % size == 0:
                commit()
                self.conn.execute("BEGIN IMMEDIATE")

        self.conn.execute("BEGIN IMMEDIATE")
        self._batch = True
        try:
            yield tick
        finally:
            self._batch = False
            if self.conn.in_transaction:  # not when SQLite itself rolled back (disk full)
                commit()
