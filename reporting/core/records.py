"""Typed records for ledger rows: ``row.sha256`` instead of ``row["sha256"]``.

Each record names the columns of its table. ``row["column"]`` keeps working, also for
columns a later migration adds before the record names them, so a record can stand wherever
a ``sqlite3.Row`` was read by column name.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from dataclasses import dataclass
from typing import Any, TypeVar

R = TypeVar("R", bound="Record")


_NAMES: dict[type, frozenset[str]] = {}  # a record class → its column names


@dataclass(frozen=True)
class Record:
    @classmethod
    def from_row(cls: type[R], row: sqlite3.Row) -> R:
        data = dict(row)
        names = _NAMES.get(cls)
        if names is None:  # asked per row: thousands of sends or returns a run
            names = _NAMES[cls] = frozenset(f.name for f in dataclasses.fields(cls))
        record = cls(**{k: v for k, v in data.items() if k in names})
        object.__setattr__(record, "_extra", {k: v for k, v in data.items() if k not in names})
        return record

    def __getitem__(self, key: str) -> Any:
        if key in self.__dataclass_fields__:
            return getattr(self, key)
        return self.__dict__.get("_extra", {})[key]

    def keys(self) -> list[str]:
        return [*self.__dataclass_fields__, *self.__dict__.get("_extra", {})]


@dataclass(frozen=True)
class FileRecord(Record):
    """A received file, once per content (``files``)."""

    sha256: str
    size: int
    source: str
    received_at: str
    archive_path: str


@dataclass(frozen=True)
class ReturnRecord(Record):
    """One identified (or unidentifiable) return of a period (``returns``)."""

    id: int
    period: str
    unit: str | None
    sha256: str
    source: str
    form_id: str | None
    schema_version: str | None
    identified_by: str | None
    state: str  # a ReturnState value
    problems: str  # JSON list of Problem dicts
    received_at: str
    late: int


@dataclass(frozen=True)
class FormRecord(Record):
    """A form built for a unit (``forms``)."""

    period: str
    unit: str
    form_id: str
    path: str
    fingerprint: str
    created_at: str


@dataclass(frozen=True)
class SendRecord(Record):
    """One send attempt (``sends``)."""

    id: int
    period: str
    unit: str
    stage: str  # a Step value, or RECEIPT_STAGE
    channel: str
    at: str
    result: str  # a SendResult value
    detail: str
    attempts: int


@dataclass(frozen=True)
class StepRecord(Record):
    """A cycle step done for a period (``steps``)."""

    period: str
    step: str  # a Step value
    done_at: str
    detail: str


@dataclass(frozen=True)
class MergeRecord(Record):
    """What a period's merged outputs were last built from (``merges``)."""

    period: str
    digest: str
    generated_at: str


@dataclass(frozen=True)
class AttachmentRecord(Record):
    """A scan or document sent beside the forms (``attachments``)."""

    period: str
    sha256: str
    unit: str | None
    source: str
    kind: str
    received_at: str
