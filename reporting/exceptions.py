"""Every error duban raises on purpose. Messages are Chinese: they reach the office as-is."""


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


class ReportError(DubanError):
    """Raised when the report template is missing or cannot be rendered."""


class NotifyError(DubanError):
    """Raised when a message cannot be built or sent (bad address, server refused)."""


class ImportTasksError(DubanError):
    """Raised when a task breakdown document cannot be imported."""


class SchedulerError(DubanError):
    """Raised when the scheduler cannot start (e.g. another one holds the data dir lock)."""
