"""Ledger.batched: records committed a batch at a time, each record still all or nothing,
nothing sent from inside a batch (collect and forms record through it)."""

from __future__ import annotations

import sqlite3

import pytest

from reporting.core.ledger import Ledger


def _record(ledger: Ledger, i: int, problems=None) -> None:
    ledger.record_return(
        "2024Q1",
        sha256=f"{i:064x}",
        source=f"第{i}份.xlsx",
        state="accepted",
        received_at="2024-04-02T10:00:00+08:00",
        unit=f"单位{i}",
        problems=problems,
        file={"size": 1, "archive_path": f"/archive/{i}.xlsx"},
    )


def _committed(path) -> tuple[int, int]:
    """Returns and files another process sees."""
    conn = sqlite3.connect(path)
    try:
        returns = conn.execute("SELECT COUNT(*) FROM returns").fetchone()[0]
        files = conn.execute("SELECT COUNT(*) FROM files").fetchone()[0]
        return returns, files
    finally:
        conn.close()


def test_records_are_committed_a_batch_at_a_time_and_at_the_end(tmp_path):
    path = tmp_path / "ledger.sqlite"
    with Ledger(path) as ledger:
        with ledger.batched(3) as tick:
            for i in range(1, 8):
                _record(ledger, i)
                tick()
                assert ledger.has_return("2024Q1", f"{i:064x}")  # the writer sees its own
                assert _committed(path)[0] == i // 3 * 3  # others see whole batches
        assert _committed(path) == (7, 7)  # the rest when the block ends


def test_a_failing_record_inside_a_batch_leaves_nothing_of_itself(tmp_path):
    path = tmp_path / "ledger.sqlite"
    with Ledger(path) as ledger:
        with pytest.raises(TypeError), ledger.batched(50) as tick:
            _record(ledger, 1)
            tick()
            _record(ledger, 2, problems=[object()])  # file row written, then the return fails
        assert _committed(path) == (1, 1)  # the first record kept, no file row of the second
        assert not ledger.conn.in_transaction


def test_no_send_is_claimed_inside_a_batch(tmp_path):
    with Ledger(tmp_path / "ledger.sqlite") as ledger, ledger.batched(50):
        with pytest.raises(RuntimeError):
            ledger.claim_send("2024Q1", "单位1", "通知", "email", at="2024-03-29T09:00:00+08:00")
