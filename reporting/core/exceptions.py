"""Every error duban raises on purpose. Messages are Chinese: they reach the office as-is."""

from __future__ import annotations


class DubanError(Exception):
    """Base class: a problem the user can fix; the CLI prints it as one line."""


class ConfigError(DubanError):
    """Raised when config.toml is unreadable, has an unknown key or a value of the wrong type."""


class TaskTableError(DubanError):
    """Raised when tasks.csv cannot be read or a row breaks a rule (missing column, duplicate id)."""


class RegistryError(DubanError):
    """Raised when units.csv or the registry settings are malformed."""


class PeriodError(DubanError):
    """Raised when a period such as ``2024Q1`` / ``2024年第一季度`` cannot be understood."""


class CalendarError(DubanError):
    """Raised when a deadline rule cannot be computed."""


class FormError(DubanError):
    """Raised when a form cannot be built or would overwrite one already sent."""


class IntakeError(DubanError):
    """Raised when a returned file cannot be read at all (the batch still goes on)."""


class UnreadableFileError(IntakeError):
    """Raised by ``reporting.documents.sniff`` and ``spreadsheet`` when a returned file is not
    a readable spreadsheet: empty, too large, a zip bomb, encrypted, truncated or another file
    type. ``code`` names the case (``empty``, ``encrypted`` …) for the ledger; the message
    says what to do."""

    def __init__(self, message: str, code: str = "unreadable"):
        super().__init__(message)
        self.code = code


class MailError(UnreadableFileError):
    """Raised by ``reporting.intake.mailbox`` when a saved email in the inbox is refused: larger than
    ``[intake] max_file_mb``, too many MIME parts, or not parseable. The message names the
    mail (subject, sender, date); ``code`` is ``mail_too_large``/``mail_parts``/``mail_corrupt``."""


class ReportError(DubanError):
    """Raised when the report template is missing or cannot be rendered."""


class ChartFontError(ReportError):
    """No CJK font the report's chart can use: the report leaves the chart out and says so
    (``reporting.report.chart.font_missing`` words it, with how to install a font)."""


class OfficeError(DubanError):
    """Raised when LibreOffice is missing, times out or fails to convert a file."""


class NotifyError(DubanError):
    """Raised when a message cannot be built or sent (bad address, server refused)."""


class SendError(NotifyError):
    """Raised when one message could not be delivered (mail server, robot webhook).

    ``transient``: a retry may help (connection refused, timeout, 4xx); ``fatal``: the
    channel itself is unusable this run (server down, login or certificate refused), so
    the remaining messages are recorded as failed without trying.
    """

    def __init__(self, message: str, *, transient: bool = False, fatal: bool = False):
        super().__init__(message)
        self.transient = transient
        self.fatal = fatal


class ImportTasksError(DubanError):
    """Raised when a task breakdown document cannot be imported."""


class ChangeError(DubanError):
    """A 销号/延期/调整 request or decision that cannot be recorded as given."""


class LedgerError(DubanError):
    """Raised when the ledger (ledger.sqlite) is damaged or written by a newer duban."""


class SchedulerError(DubanError):
    """Raised when the scheduler cannot start (e.g. another one holds the data dir lock)."""


class AssessError(DubanError):
    """Raised when the 督查通报 or the 考核评价 cannot be made: no merged result yet, a bad
    adjustments sheet (names file, sheet and cell), a 发文字号 already used."""


class LockedError(DubanError):
    """Raised when another duban process holds the data dir's lock longer than the wait allows."""


class ImapError(DubanError):
    """The office mailbox could not be read (connection, certificate, login, folder);
    nothing was taken from it."""


class OutputError(DubanError):
    """Raised when an output file cannot be written (disk full, no permission); the file
    that was there before is left unchanged."""

    @classmethod
    def of(cls, target, exc: OSError) -> OutputError:
        known = storage_error(exc, target, path=target)
        if known is not None:
            return known
        why = exc.strerror or type(exc).__name__
        return cls(f"无法写入 {target}：{why}；原来的文件未改动。请检查后重新运行")


class NoSpaceError(OutputError):
    """Raised (by ``storage_error``) when the disk or the quota is full while writing: ENOSPC,
    EDQUOT, EFBIG, SQLite's "database or disk is full"."""


class NoPermissionError(OutputError):
    """Raised (by ``storage_error``) when the data dir may not be written: EACCES, EPERM,
    EROFS, SQLite's "readonly database"."""


_NO_SPACE = {28: "磁盘空间不足", 122: "磁盘配额已用完", 27: "文件超过系统允许的大小（或磁盘已满）"}
_NO_PERMISSION = {13: "没有写入权限", 1: "没有写入权限", 30: "文件系统只读"}
_SQLITE_FULL, _SQLITE_READONLY, _SQLITE_IOERR = 13, 8, 10
_ROOM = 1 << 20  # less free space than this beside the ledger: an I/O error means "full"


def _little_room(path) -> bool:
    """Whether the file system of ``path`` is (nearly) full: SQLite reports a full disk in
    WAL mode as a plain "disk I/O error"."""
    import os
    from pathlib import Path

    if path is None:
        return False
    try:
        st = os.statvfs(Path(path).parent)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < _ROOM


def storage_error(exc: BaseException, where=None, *, path=None) -> OutputError | None:
    """The one Chinese error for "no space" and for "no permission", from an OSError or a
    SQLite error anywhere in ``exc``'s chain (None for anything else). It names the path
    (``path``, else the OSError's file, else ``where``: the ledger for SQLite) and what to
    do."""
    import sqlite3

    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, OutputError) and type(cur) is not OutputError:
            return cur
        if isinstance(cur, OSError) and cur.errno is not None:
            named = path or cur.filename or where
            if cur.errno in _NO_SPACE:
                return _no_space(named, _NO_SPACE[cur.errno])
            if cur.errno in _NO_PERMISSION:
                return _no_permission(named, _NO_PERMISSION[cur.errno])
        if isinstance(cur, sqlite3.Error):
            code = getattr(cur, "sqlite_errorcode", None)
            text = str(cur).lower()
            if code is not None:
                code &= 0xFF  # the primary code of an extended one
            full = code == _SQLITE_FULL or "disk is full" in text
            if full or (code == _SQLITE_IOERR and _little_room(path or where)):
                return _no_space(path or where, "磁盘空间不足")
            if code == _SQLITE_READONLY or "readonly" in text or "read-only" in text:
                return _no_permission(path or where, "没有写入权限")
        cur = cur.__cause__ or cur.__context__
    return None


def _no_space(path, why: str) -> NoSpaceError:
    where = f"无法写入 {path}" if path else "无法写入数据目录"
    return NoSpaceError(
        f"{why}，{where}（原来的文件未改动，已写好的文件和台账都完整，没有被截断）：请腾出磁盘空间"
        "（或把数据目录移到空间充足的磁盘）后重新运行同一命令，会接着完成"
    )


def _no_permission(path, why: str) -> NoPermissionError:
    where = f"无法写入 {path}" if path else "无法写入数据目录"
    return NoPermissionError(
        f"{why}，{where}（原来的文件未改动）：请让管理员把该文件夹（及其中的文件）的写权限给运行 duban"
        " 的用户（几个人共用一个数据目录时，把他们放进同一个用户组，并设置 umask 002），然后重新运行同一命令"
    )
