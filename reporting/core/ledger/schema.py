"""The ledger's tables and how they change: ``MIGRATIONS`` in order, ``migrate``.

The schema has a version (``PRAGMA user_version``) and changes only through ``MIGRATIONS``,
applied in order when a ledger is opened, each in one transaction with its version bump
(and a row in ``schema_migrations`` saying what it did). A ledger written before versions
existed (version 0, tables present) is version 1 by content. A ledger from a newer duban
is refused rather than misread.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from reporting.core.exceptions import LedgerError

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

# 销号/延期/调整 (reporting.core.changes): each request once (key), numbered within its period;
# each decision a new row, its task's next version (seq), never updated.
SCHEMA_CHANGES = """
CREATE TABLE IF NOT EXISTS change_requests (
    period TEXT NOT NULL,
    no INTEGER NOT NULL,
    key TEXT NOT NULL UNIQUE,
    task_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    unit TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (period, no)
);
CREATE TABLE IF NOT EXISTS change_decisions (
    period TEXT NOT NULL,
    no INTEGER NOT NULL,
    task_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    verdict TEXT NOT NULL,
    decided_in TEXT NOT NULL,
    data TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (task_id, seq)
);
"""

# 督办单 (reporting.assess.orders): one per task on the ladder per quarter's 通报, numbered
# through the year; answered by the next quarter's return — closed (办结: the gap closed) or
# carried into that quarter's 督办单 (续办) — recorded with the returns that answered it.
SCHEMA_ORDERS = """
CREATE TABLE IF NOT EXISTS orders (
    period TEXT NOT NULL,           -- the quarter whose 通报 issued it
    task_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    number INTEGER NOT NULL,
    text TEXT NOT NULL,             -- 禹督办〔2024〕3号
    rung TEXT NOT NULL,             -- 书面说明 | 约谈 | 挂牌督办
    reason TEXT NOT NULL,
    units TEXT NOT NULL,            -- the lead units it is addressed to, JSON list
    due TEXT NOT NULL,              -- 整改时限 (ISO date)
    issued_at TEXT NOT NULL,
    answered_in TEXT,               -- the quarter whose return answered it
    outcome TEXT,                   -- 办结 | 续办
    returns TEXT,                   -- JSON: the answering returns in force (unit, received_at)
    answered_at TEXT,
    PRIMARY KEY (period, task_id),
    UNIQUE (year, number)
);
"""


# each claim carries the Message-ID its mail goes out with (a resend reuses it, a bounce is
# believed only for a Message-ID found here); state 'uncertain': a send in flight when its
# process died (可能已发出), never resent unless the office says so; returns.tiebreak
# orders versions received at the same time of ours (Received:, then Date:)
SEND_IDS = """
ALTER TABLE send_claims ADD COLUMN message_id TEXT NOT NULL DEFAULT '';
ALTER TABLE sends ADD COLUMN message_id TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS send_claims_message_id ON send_claims (message_id);
ALTER TABLE returns ADD COLUMN tiebreak TEXT NOT NULL DEFAULT '';
"""


# (version, what it does, SQL). Append only: a released migration is never edited.
MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (1, "初始表结构（files, returns, forms, sends, steps 等）", SCHEMA_V1),
    (2, "督查通报文号（doc_numbers）和考核加减分（adjustments）", SCHEMA_ASSESS),
    (3, "发送前登记（send_claims）：同一条消息只发一次", SEND_CLAIMS),
    (4, "待核实的报送及处理结果（reviews）", REVIEWS),
    (5, "收件邮箱（IMAP）的邮件与收取记录", SCHEMA_IMAP),
    (6, "任务销号、延期、调整的申请和审批（每次审批一个新版本）", SCHEMA_CHANGES),
    (7, "督办单（orders）：编号、整改时限、由哪一季度的报送办结", SCHEMA_ORDERS),
    (8, "发出邮件的 Message-ID（退信核对、重发沿用）；同一时间收到的版本的先后", SEND_IDS),
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
