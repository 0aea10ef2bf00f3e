"""Ledger rows as typed records: the columns a record names become fields, any other
column (added by a later migration) stays readable by name; each class its own columns."""

from __future__ import annotations

import sqlite3

from reporting.core.records import MergeRecord, StepRecord


def _rows(sql: str, *values) -> list[sqlite3.Row]:
    conn = sqlite3.connect(":memory:")
    conn.row_factory = sqlite3.Row
    return conn.execute(sql, values).fetchall()


def test_named_columns_are_fields_and_the_rest_stays_readable_by_name():
    for _ in range(2):  # the second time from what the class learnt the first
        (row,) = _rows(
            "SELECT ? AS period, ? AS digest, ? AS generated_at, ? AS note",
            "2024Q1",
            "d",
            "t",
            "新列",
        )
        merge = MergeRecord.from_row(row)
        assert (merge.period, merge.digest, merge.generated_at) == ("2024Q1", "d", "t")
        assert merge["note"] == "新列" and merge["digest"] == "d"
        assert merge.keys() == ["period", "digest", "generated_at", "note"]
        (row,) = _rows(
            "SELECT ? AS period, ? AS step, ? AS done_at, ? AS detail, ? AS digest",
            "2024Q1",
            "collect",
            "t",
            "细节",
            "x",
        )
        step = StepRecord.from_row(row)
        assert (step.step, step.detail) == ("collect", "细节")
        assert step["digest"] == "x" and "digest" not in step.__dataclass_fields__
