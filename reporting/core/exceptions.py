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
        import errno

        why = {
            errno.ENOSPC: "磁盘空间不足",
            errno.EDQUOT: "磁盘配额已用完",
            errno.EFBIG: "文件超过系统允许的大小（或磁盘已满）",
            errno.EACCES: "没有写入权限",
            errno.EPERM: "没有写入权限",
            errno.EROFS: "文件系统只读",
        }.get(exc.errno or 0, exc.strerror or type(exc).__name__)
        return cls(f"无法写入 {target}：{why}；原来的文件未改动。请腾出空间或检查权限后重新运行")
