"""Copies of the ledger and the way back when it is lost or damaged.

``backup_ledger`` keeps the last distinct states under ``<data>/backups/``; the lock calls
``backup_before_write`` before a command's first write. ``way_back`` tells the user how to
get a lost or damaged ledger back (the newest copy, or ``duban recover``), and
``require_ledger`` refuses to start an empty ledger next to earlier data.
"""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

from reporting.core.exceptions import DubanError, LedgerError
from reporting.core.fileutil import atomic_path
from reporting.core.workspace import LEDGER_NAME, Workspace

LEDGER_BACKUPS = 5  # distinct states of the ledger kept under <data>/backups/


def backup_ledger(path: Path, folder: Path, stamp: str, keep: int = LEDGER_BACKUPS) -> Path | None:
    """A consistent copy of the ledger at ``path`` (sqlite's backup API: WAL content included,
    never half a transaction) as ``folder/ledger-<stamp>.sqlite``; the newest ``keep`` copies
    are kept. Nothing is written when the ledger does not exist, cannot be read (a damaged
    ledger must not push the good copies out) or equals the newest copy; returns the copy."""
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


def backup_before_write(workspace: Workspace, when: str) -> None:
    """A copy of the data dir's ledger before a command's first write (the lock's ``backup``),
    stamped with the command's start ``when`` (its digits; the pid when it has none)."""
    stamp = re.sub(r"[^0-9]", "", when)[:14] or str(os.getpid())
    stamp = f"{stamp[:8]}-{stamp[8:]}" if len(stamp) == 14 else stamp
    try:
        backup_ledger(workspace.ledger_path, workspace.backups_dir, stamp)
    except (DubanError, OSError):
        pass  # a full disk stops the command's own writes with the reason; not here


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
