"""The ledger: one SQLite file under the data dir recording what happened.

Tables (created on first use; every module records through this class):
- ``files``   every received file once, by SHA-256 (size, first source name, archive path)
- ``returns`` every identified return: period, unit, form id, state, problems, lateness
- ``forms``   forms built per period and unit (form id, fingerprint, path)
- ``sends``   every send attempt: period, unit, stage, channel, result
- ``steps``   cycle steps done per period (forms, 通知, collect, report …)
- ``return_answers`` the parsed answers of each return; ``merges`` what collect last merged;
  ``attachments`` scans and documents sent beside the forms

SQLite in WAL mode with short transactions, so a killed process leaves a consistent
file and a rerun continues from it.

The schema has a version (``PRAGMA user_version``) and changes only through ``MIGRATIONS``,
applied in order when a ledger is opened, each in one transaction with its version bump
(and a row in ``schema_migrations`` saying what it did). A ledger written before versions
existed (version 0, tables present) is version 1 by content. A ledger from a newer duban
is refused rather than misread.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from reporting.core.exceptions import LedgerError
from reporting.core.periods import Period
from reporting.core.records import (
    AttachmentRecord,
    FileRecord,
    FormRecord,
    MergeRecord,
    ReturnRecord,
    SendRecord,
    StepRecord,
)
from reporting.core.states import FEEDBACK_STAGE, RECEIPT_STAGE, ReturnState
from reporting.core.workspace import LEDGER_NAME, Workspace

PeriodKey = Period | str  # the ledger stores periods as text (2024Q1)

SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS files (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    source TEXT NOT NULL,
    received_at TEXT NOT NULL,
    archive_path TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS returns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    period TEXT NOT NULL,
    unit TEXT,
    sha256 TEXT NOT NULL,
    source TEXT NOT NULL,
    form_id TEXT,
    schema_version TEXT,
    identified_by TEXT,
    state TEXT NOT NULL,            -- accepted | rejected | unidentified
    problems TEXT NOT NULL DEFAULT '[]',
    received_at TEXT NOT NULL,
    late INTEGER NOT NULL DEFAULT 0,
    UNIQUE (period, sha256)
);
CREATE TABLE IF NOT EXISTS forms (
    period TEXT NOT NULL,
    unit TEXT NOT NULL,
    form_id TEXT NOT NULL,
    path TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (period, unit)
);
CREATE TABLE IF NOT EXISTS sends (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    period TEXT NOT NULL,
    unit TEXT NOT NULL,
    stage TEXT NOT NULL,
    channel TEXT NOT NULL,
    at TEXT NOT NULL,
    result TEXT NOT NULL,           -- sent | failed
    detail TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS sends_key ON sends (period, unit, stage, channel, result);
-- the parsed answers of a return (reporting.intake.collect), so a merge never re-reads files
CREATE TABLE IF NOT EXISTS return_answers (
    period TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    answers TEXT NOT NULL,
    PRIMARY KEY (period, sha256)
);
-- what the period's merged outputs were last built from (collect rewrites only on change)
CREATE TABLE IF NOT EXISTS merges (
    period TEXT PRIMARY KEY,
    digest TEXT NOT NULL,
    generated_at TEXT NOT NULL
);
-- files sent beside the forms (盖章扫描件 PDF/images, Word 情况说明): kept, not examined
CREATE TABLE IF NOT EXISTS attachments (
    period TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    unit TEXT,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (period, sha256)
);
CREATE TABLE IF NOT EXISTS steps (
    period TEXT NOT NULL,
    step TEXT NOT NULL,
    done_at TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (period, step)
);
"""


# reporting.assess: the 发文字号 each document was given (a rerun keeps it) and the office's
# 加分/减分 rows as read from each version of the adjustments sheet (the 明细 cites their id)
SCHEMA_ASSESS = """
CREATE TABLE IF NOT EXISTS doc_numbers (
    kind TEXT NOT NULL,             -- 通报
    period TEXT NOT NULL,
    year INTEGER NOT NULL,
    number INTEGER NOT NULL,
    text TEXT NOT NULL,             -- 禹督考〔2024〕2号
    at TEXT NOT NULL,
    PRIMARY KEY (kind, period)
);
CREATE TABLE IF NOT EXISTS adjustments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    year INTEGER NOT NULL,
    sha256 TEXT NOT NULL,           -- the sheet's content
    row INTEGER NOT NULL,           -- its row in the sheet
    unit TEXT NOT NULL,
    points REAL NOT NULL,
    reason TEXT NOT NULL,
    doc_no TEXT NOT NULL,
    source TEXT NOT NULL,
    at TEXT NOT NULL,
    UNIQUE (year, sha256, row)
);
"""

# claim before send: one row per message that may go out once (period, stage, unit,
# channel and a key: the return a receipt answers, '' for reminders). A sender claims it,
# sends, then completes it; nobody else sends while it is claimed by a live process.
SEND_CLAIMS = """
CREATE TABLE IF NOT EXISTS send_claims (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    period TEXT NOT NULL,
    stage TEXT NOT NULL,
    unit TEXT NOT NULL,
    channel TEXT NOT NULL,
    key TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,            -- claimed | sent | failed
    owner TEXT NOT NULL DEFAULT '', -- pid:start@host of the claiming process
    claimed_at TEXT NOT NULL,
    done_at TEXT,
    UNIQUE (period, stage, unit, channel, key)
);
INSERT OR IGNORE INTO send_claims (period, stage, unit, channel, key, state, claimed_at, done_at)
    SELECT period, stage, unit, channel,
           CASE WHEN stage = '回执' THEN substr(detail, 1, 12) ELSE '' END,
           'sent', min(at), min(at)
    FROM sends WHERE result = 'sent'
    GROUP BY period, stage, unit, channel,
             CASE WHEN stage = '回执' THEN substr(detail, 1, 12) ELSE '' END;
"""

# returns held as 待核实 (sender not registered for the unit) and the office's decision
REVIEWS = """
CREATE TABLE IF NOT EXISTS reviews (
    return_id INTEGER PRIMARY KEY,
    period TEXT NOT NULL,
    sender TEXT NOT NULL,
    verdict TEXT NOT NULL,          -- what checking the form found: accepted | rejected
    held_at TEXT NOT NULL,
    decision TEXT,                  -- accepted | rejected, once decided
    reason TEXT NOT NULL DEFAULT '',
    decided_by TEXT,
    decided_at TEXT
);
"""

# the office mailbox (reporting.intake.imap): one row per message seen in a folder, keyed by
# (folder, UIDVALIDITY, UID) — a UID means nothing without its UIDVALIDITY — and findable by
# Message-ID + size (the same mail after UIDVALIDITY changed) and by sha256 (its received
# time = INTERNALDATE for the intake). state: fetching (row written before the download: a
# crash refetches) → stored (.eml in the inbox) | other (not a return) | too_large | failed;
# moved: '' (not yet) | the folder it went to | 'flagged' (\Seen + keyword, left in place).
SCHEMA_IMAP = """
CREATE TABLE IF NOT EXISTS imap_mails (
    folder TEXT NOT NULL,
    uidvalidity INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    message_id TEXT NOT NULL DEFAULT '',
    internaldate TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT,
    period TEXT NOT NULL,
    state TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT '',
    label TEXT NOT NULL DEFAULT '',
    moved TEXT NOT NULL DEFAULT '',
    path TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    seen_at TEXT NOT NULL,
    PRIMARY KEY (folder, uidvalidity, uid)
);
CREATE INDEX IF NOT EXISTS imap_mails_message_id ON imap_mails (message_id, size);
CREATE INDEX IF NOT EXISTS imap_mails_sha256 ON imap_mails (sha256);
CREATE TABLE IF NOT EXISTS imap_fetches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    period TEXT NOT NULL,
    at TEXT NOT NULL,
    taken INTEGER NOT NULL,
    other INTEGER NOT NULL,
    left_on_server INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    error TEXT NOT NULL DEFAULT ''
);
"""


# (version, what it does, SQL). Append only: a released migration is never edited.
MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (1, "初始表结构（files, returns, forms, sends, steps 等）", SCHEMA_V1),
    (2, "督查通报文号（doc_numbers）和考核加减分（adjustments）", SCHEMA_ASSESS),
    (3, "发送前登记（send_claims）：同一条消息只发一次", SEND_CLAIMS),
    (4, "待核实的报送及处理结果（reviews）", REVIEWS),
    (5, "收件邮箱（IMAP）的邮件与收取记录", SCHEMA_IMAP),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]

_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);
"""


def migrate(conn: sqlite3.Connection, path: Path) -> int:
    """Bring the ledger at ``path`` to ``SCHEMA_VERSION``; return the version it had."""
    found = conn.execute("PRAGMA user_version").fetchone()[0]
    if found > SCHEMA_VERSION:
        raise LedgerError(
            f"台账 {path} 由较新版本的 duban 写入（结构版本 {found}，本程序只认识到 {SCHEMA_VERSION}），"
            "请升级 duban 后再运行，不要用旧版本打开"
        )
    for version, name, sql in MIGRATIONS:
        if version <= found:
            continue
        try:
            conn.executescript(
                "BEGIN IMMEDIATE;\n"
                + _MIGRATIONS_TABLE
                + sql
                + "\nINSERT OR REPLACE INTO schema_migrations (version, name)"
                + f" VALUES ({version}, '{name}');"
                + f"\nPRAGMA user_version = {version};\nCOMMIT;"
            )
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.OperationalError):
                raise LedgerError(
                    f"台账 {path} 升级到结构版本 {version}（{name}）失败（{exc}），台账未改动；"
                    "请把这条信息发给维护人员"
                ) from exc
            raise
    return found


def _insert_file(conn, sha256: str, size: int, source: str, received_at: str, archive_path) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO files (sha256, size, source, received_at, archive_path) VALUES (?, ?, ?, ?, ?)",
        (sha256, size, source, received_at, str(archive_path)),
    )


def _proc_stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name ([0] state, [19] start time);
    None when the process does not exist, [] when /proc cannot tell (not Linux)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return None if Path("/proc/self/stat").exists() else []
    except OSError:
        return []
    return stat.rsplit(")", 1)[-1].split()


def process_token(pid: int | None = None) -> str:
    """``pid:start@host`` of this (or ``pid``'s) process, written on each send claim; the
    start time tells a reused pid from the process that made the claim."""
    pid = os.getpid() if pid is None else pid
    fields = _proc_stat(pid) or []
    start = fields[19] if len(fields) > 19 else ""
    return f"{pid}:{start}@{socket.gethostname()}"


def owner_alive(token: str) -> bool:
    """Whether the process named by a ``process_token`` may still be running. A claim from
    another host counts as alive: only a person can tell, and sending twice is worse."""
    try:
        ident, host = token.rsplit("@", 1)
        pid_text, start = ident.split(":", 1)
        pid = int(pid_text)
    except ValueError:
        return False
    if host != socket.gethostname():
        return True
    fields = _proc_stat(pid)
    if fields is None:
        return False
    if fields:
        if fields[0] in ("Z", "X"):  # killed, not yet reaped
            return False
        return not start or (len(fields) > 19 and fields[19] == start)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def receipt_key(sha256: str) -> str:
    """The return a receipt answers, as written at the start of its ``sends`` detail."""
    return sha256[:12]


LEDGER_BACKUPS = 5  # distinct states of the ledger kept under <data>/backups/


def backup_ledger(path: Path, folder: Path, stamp: str, keep: int = LEDGER_BACKUPS) -> Path | None:
    """A consistent copy of the ledger at ``path`` (sqlite's backup API: WAL content included,
    never half a transaction) as ``folder/ledger-<stamp>.sqlite``; the newest ``keep`` copies
    are kept. Nothing is written when the ledger does not exist, cannot be read (a damaged
    ledger must not push the good copies out) or equals the newest copy; returns the copy."""
    from reporting.core.fileutil import atomic_path

    if not path.exists():
        return None
    older = _copies(folder)
    target = folder / f"ledger-{stamp}.sqlite"
    n = 1
    while target.exists():
        n += 1
        target = folder / f"ledger-{stamp}-{n}.sqlite"
    try:
        with atomic_path(target) as tmp:
            source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
            copy = sqlite3.connect(tmp)
            try:
                source.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")
            finally:
                copy.close()
                source.close()
            if older and _same_bytes(tmp, older[-1]):
                raise _Unchanged
    except (_Unchanged, sqlite3.DatabaseError):
        return None
    for old in _copies(folder)[:-keep]:
        old.unlink(missing_ok=True)
    return target


def _copies(folder: Path) -> list[Path]:
    """The ledger copies, oldest first (by when written: ``-2`` sorts before ``.`` by name)."""
    found = []
    for path in folder.glob("ledger-*.sqlite"):
        try:
            found.append((path.stat().st_mtime_ns, path.name, path))
        except OSError:
            continue
    return [path for *_, path in sorted(found)]


class _Unchanged(Exception):
    """The ledger is the same as its newest copy."""


def _same_bytes(a: Path, b: Path) -> bool:
    return a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()


def _cannot_write(exc: sqlite3.DatabaseError) -> bool:
    """A full disk or a read-only file, not a damaged ledger."""
    text = str(exc).lower()
    return any(s in text for s in ("disk i/o error", "disk is full", "readonly", "read-only"))


def newest_copy(path: Path) -> tuple[Path, str] | None:
    """The newest copy of the ledger at ``path`` under ``backups/`` and when it was taken
    (from its name ``ledger-20240329-085950.sqlite``), or None."""
    copies = _copies(path.parent / "backups")
    if not copies:
        return None
    m = re.match(r"ledger-(\d{4})(\d\d)(\d\d)-(\d\d)(\d\d)(\d\d)", copies[-1].name)
    when = f"{m[1]}-{m[2]}-{m[3]} {m[4]}:{m[5]}:{m[6]}" if m else "时间不详"
    return copies[-1], when


def way_back(path: Path) -> str:
    """How to get the ledger at ``path`` back, for the user: restore the newest copy (named,
    with its time), or rebuild it from the files on disk (``duban recover``)."""
    copy = newest_copy(path)
    rebuild = (
        "按磁盘上的归档、表格和发件箱重建台账：运行 duban recover"
        "（不会发送任何邮件；无法确认的发送会列出，之后发提醒前先用 --dry-run 核对）"
    )
    if copy is None:
        return f"恢复办法：{path.parent / 'backups'} 里没有台账备份，请{rebuild}"
    return (
        f"恢复办法：① 用备份恢复——最新的备份是 {copy[0]}（{copy[1]} 写入前所备），"
        f"把它复制为 {path}（同时删除旁边的 {path.name}-wal、{path.name}-shm）；"
        "此后收到的文件下次 duban collect 会补收，但此后发出的通知、回执不在备份里，"
        f"再发送前先用 --dry-run 核对；② 或者{rebuild}"
    )


def missing_message(path: Path, evidence: list[Path]) -> str:
    shown = "、".join(str(p) for p in evidence)
    return (
        f"台账 {path} 不存在，但数据目录 {path.parent} 里已有以往的数据（如 {shown}）："
        "台账可能被误删或移走。为免把已报送的单位显示为“未报送”、重复发送通知和回执，"
        f"duban 不会新建空台账。{way_back(path)}"
    )


def require_ledger(path: Path) -> None:
    """``LedgerError`` when the ledger at ``path`` is lost next to earlier data: for commands
    that would otherwise go on from what lies on disk (``report`` renders merged.json)."""
    if path.name == LEDGER_NAME and not path.exists():
        evidence = Workspace(path.parent).earlier_data()
        if evidence:
            raise LedgerError(missing_message(path, evidence))


class Ledger:
    def __init__(self, path: Path | str, *, create: bool = False):
        """Open (and migrate) the ledger at ``path``. The data dir's ``ledger.sqlite`` is
        created only in a data dir without earlier data (``Workspace.earlier_data``), or
        with ``create`` (``duban recover`` building a new one): a lost ledger is an error
        with the way back, never silently a new empty one."""
        self.path = Path(path)
        if not create:
            require_ledger(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.conn.row_factory = sqlite3.Row
        self._batch = False  # inside batched(): records wait for the batch's commit
        try:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            self.schema_found = migrate(self.conn, self.path)
        except sqlite3.DatabaseError as exc:
            self.conn.close()
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

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self):
        """All or nothing; inside ``batched`` a savepoint of the batch's transaction."""
        if self._batch:
            self.conn.execute("SAVEPOINT record")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK TO record")
                self.conn.execute("RELEASE record")
                raise
            self.conn.execute("RELEASE record")
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    @contextmanager
    def batched(self, size: int):
        """Records committed ``size`` at a time (one disk sync each, not one per record):
        call the yielded ``tick()`` after each. Whatever is recorded is committed when the
        block ends, however it ends; a kill loses at most the last uncommitted records,
        which the caller must be able to make again (a form written but not recorded is
        built again; an inbox file not recorded is taken in again). Nothing may be sent
        inside (``claim_send`` refuses). Inside a caller's transaction, that one decides."""
        if self.conn.in_transaction:
            yield lambda: None
            return
        done = 0

        def tick() -> None:
            nonlocal done
            done += 1
            if done % size == 0:
                self.conn.execute("COMMIT")
                self.conn.execute("BEGIN IMMEDIATE")

        self.conn.execute("BEGIN IMMEDIATE")
        self._batch = True
        try:
            yield tick
        finally:
            self._batch = False
            if self.conn.in_transaction:  # not when SQLite itself rolled back (disk full)
                self.conn.execute("COMMIT")

    # -- steps -------------------------------------------------------------
    def step_done(self, period: PeriodKey, step: str) -> StepRecord | None:
        row = self.conn.execute(
            "SELECT * FROM steps WHERE period = ? AND step = ?", (str(period), step)
        ).fetchone()
        return StepRecord.from_row(row) if row else None

    def mark_step(self, period: PeriodKey, step: str, *, at: str, detail: str = "") -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO steps (period, step, done_at, detail) VALUES (?, ?, ?, ?)",
            (str(period), step, at, detail),
        )

    # -- forms -------------------------------------------------------------
    def record_form(
        self, period: PeriodKey, unit: str, form_id: str, path: str, fingerprint: str, *, at: str
    ) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO forms (period, unit, form_id, path, fingerprint, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (str(period), unit, form_id, str(path), fingerprint, at),
        )

    def forms(self, period: PeriodKey) -> dict[str, FormRecord]:
        rows = self.conn.execute("SELECT * FROM forms WHERE period = ?", (str(period),))
        return {r["unit"]: FormRecord.from_row(r) for r in rows}

    # -- sends -------------------------------------------------------------
    def was_sent(self, period: PeriodKey, unit: str, stage: str, channel: str) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM sends WHERE period=? AND unit=? AND stage=? AND channel=? AND result='sent'",
            (str(period), unit, stage, channel),
        ).fetchone()
        return row is not None

    def notice_sent(self, period: PeriodKey, unit: str) -> bool:
        """Whether the unit's 通知 (the form) went out successfully on any channel."""
        row = self.conn.execute(
            "SELECT 1 FROM sends WHERE period=? AND unit=? AND stage='通知' AND result='sent'",
            (str(period), unit),
        ).fetchone()
        return row is not None

    def record_send(
        self,
        period: PeriodKey,
        unit: str,
        stage: str,
        channel: str,
        result: str,
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
            if row["state"] == "sent":
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
        self, claim_id: int, result: str, detail: str = "", attempts: int = 1, *, at: str
    ) -> None:
        """Close a claim with the send's result (sent | failed) and record the attempt in
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
            "UPDATE send_claims SET state='failed' WHERE id=? AND state='claimed'", (claim_id,)
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
            if out.get(key) != "sent":
                out[key] = row["result"]
        return out

    def feedback_sent(self, period: PeriodKey) -> dict[str, list[str]]:
        """lead unit → times its 配合单位反馈 went out (first version, then each 更新)."""
        out: dict[str, list[str]] = {}
        rows = self.conn.execute(
            "SELECT unit, at FROM sends WHERE period = ? AND stage = ? AND result = 'sent' ORDER BY id",
            (str(period), FEEDBACK_STAGE),
        )
        for row in rows:
            out.setdefault(row["unit"], []).append(row["at"])
        return out

    def sends(self, period: PeriodKey) -> list[SendRecord]:
        rows = self.conn.execute("SELECT * FROM sends WHERE period = ? ORDER BY id", (str(period),))
        return [SendRecord.from_row(r) for r in rows]

    # -- returns -----------------------------------------------------------
    def returns(self, period: PeriodKey) -> list[ReturnRecord]:
        rows = self.conn.execute(
            "SELECT * FROM returns WHERE period = ? ORDER BY received_at, id", (str(period),)
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

    def record_file(
        self, sha256: str, size: int, source: str, received_at: str, archive_path: str
    ) -> None:
        """A received file, once per content (the first source name and time are kept)."""
        _insert_file(self.conn, sha256, size, source, received_at, archive_path)

    def file(self, sha256: str) -> FileRecord | None:
        row = self.conn.execute("SELECT * FROM files WHERE sha256 = ?", (sha256,)).fetchone()
        return FileRecord.from_row(row) if row else None

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
    ) -> bool:
        """Record an examined return and its answers in one transaction; False if already there.

        ``file`` (size, archive_path) also records the received file in the same transaction;
        ``held`` (sender, verdict) records a return held as 待核实 for ``duban review``.
        """
        with self.transaction() as conn:
            if file is not None:
                _insert_file(conn, sha256, file["size"], source, received_at, file["archive_path"])
            cur = conn.execute(
                "INSERT OR IGNORE INTO returns (period, unit, sha256, source, form_id, schema_version,"
                " identified_by, state, problems, received_at, late) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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

    # -- reviews (returns held as 待核实) -----------------------------------------------
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
            _insert_file(conn, sha256, file["size"], source, received_at, file["archive_path"])
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

    def merge_state(self, period: PeriodKey) -> MergeRecord | None:
        row = self.conn.execute("SELECT * FROM merges WHERE period = ?", (str(period),)).fetchone()
        return MergeRecord.from_row(row) if row else None

    def record_merge(self, period: PeriodKey, digest: str, generated_at: str) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO merges (period, digest, generated_at) VALUES (?, ?, ?)",
            (str(period), digest, generated_at),
        )

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

    @staticmethod
    def problems_of(row: ReturnRecord | sqlite3.Row) -> list[dict]:
        return json.loads(row["problems"] or "[]")

    # -- the office mailbox (reporting.intake.imap) -----------------------------------------
    def imap_mail(self, folder: str, uidvalidity: int, uid: int) -> sqlite3.Row | None:
        return self.conn.execute(
            "SELECT * FROM imap_mails WHERE folder = ? AND uidvalidity = ? AND uid = ?",
            (folder, uidvalidity, uid),
        ).fetchone()

    def imap_same_mail(self, message_id: str, size: int) -> sqlite3.Row | None:
        """A mail already taken with this Message-ID and size (seen under another UIDVALIDITY
        or UID): the same message, not taken twice."""
        if not message_id:
            return None
        return self.conn.execute(
            "SELECT * FROM imap_mails WHERE message_id = ? AND size = ?"
            " AND state IN ('stored', 'other') ORDER BY rowid LIMIT 1",
            (message_id, size),
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
            " AND state IN ('stored', 'other')",
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

    def mark_bounced(self, period: PeriodKey, unit: str, *, before: str, detail: str) -> str | None:
        """The latest email to ``unit`` sent before ``before`` bounced: it no longer counts as
        sent (``remind`` sends it again). Returns the stage it was, or None when none matched."""
        row = self.conn.execute(
            "SELECT id, stage FROM sends WHERE period = ? AND unit = ? AND channel = 'email'"
            " AND result = 'sent' AND at <= ? ORDER BY at DESC, id DESC LIMIT 1",
            (str(period), unit, before),
        ).fetchone()
        if row is None:
            return None
        with self.transaction() as conn:
            conn.execute(
                "UPDATE sends SET result = 'failed', detail = ? WHERE id = ?", (detail, row["id"])
            )
            # its claim too: a failed send may be claimed and sent again
            conn.execute(
                "UPDATE send_claims SET state = 'failed' WHERE period = ? AND unit = ?"
                " AND stage = ? AND channel = 'email' AND key = '' AND state = 'sent'",
                (str(period), unit, row["stage"]),
            )
        return row["stage"]
