"""Ledger.batched: records committed a batch at a time (the files they name synced just
before), each record still all or nothing,
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


def test_the_files_of_a_batch_are_synced_before_it_is_committed(tmp_path, monkeypatch):
    """collect writes a batch's archive copies unsynced (``SyncLater``) and flushes them
    all just before the commit that records them: every file synced, none after."""
    import os

    from reporting.core.fileutil import SyncLater, atomic_write_bytes

    path = tmp_path / "ledger.sqlite"
    synced: list[str] = []
    seen_at_sync: list[int] = []
    real_fsync = os.fsync

    def fsync(fd):
        target = os.readlink(f"/proc/self/fd/{fd}")
        if target.endswith(".bin"):
            synced.append(os.path.basename(target))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    later = SyncLater()

    def before_commit():
        seen_at_sync.append(_committed(path)[0])  # not committed yet when its files sync
        later.sync()

    with Ledger(path) as ledger, ledger.batched(2, before_commit=before_commit) as tick:
        for i in range(1, 6):
            atomic_write_bytes(tmp_path / f"{i}.bin", b"x" * i, later)
            assert f"{i}.bin" not in synced  # written, not yet synced
            _record(ledger, i)
            tick()
            # synced by several threads at once: in no fixed order, each once
            assert sorted(synced) == [f"{n}.bin" for n in range(1, i // 2 * 2 + 1)]
    assert sorted(synced) == [f"{n}.bin" for n in range(1, 6)]
    assert seen_at_sync == [0, 2, 4]
    assert _committed(path) == (5, 5)


def test_a_batch_whose_files_cannot_be_synced_is_not_committed(tmp_path):
    path = tmp_path / "ledger.sqlite"

    def fail():
        raise OSError(5, "Input/output error")

    with Ledger(path) as ledger:
        with pytest.raises(OSError), ledger.batched(2, before_commit=fail) as tick:
            _record(ledger, 1)
            tick()
            _record(ledger, 2)
            tick()  # the sync fails: the batch is rolled back, not committed
        assert _committed(path) == (0, 0)
        assert not ledger.conn.in_transaction


def test_an_archive_copy_left_unsynced_by_a_crash_is_made_again(tmp_path):
    """A copy renamed into place but never synced may keep its size and lose its bytes:
    one this process did not write is read before it is kept."""
    import hashlib

    from reporting.core.fileutil import SyncLater
    from reporting.intake.inbox import archive_bytes, archive_file, archive_path

    data = b"PK\x03\x04 a returned form"
    sha = hashlib.sha256(data).hexdigest()
    src = tmp_path / "inbox" / "单位1.xlsx"
    src.parent.mkdir()
    src.write_bytes(data)
    archive = tmp_path / "archive"
    dest = archive_path(archive, sha, src.name)
    dest.parent.mkdir(parents=True)
    dest.write_bytes(b"\0" * len(data))  # what a crash before the sync can leave
    assert archive_file(src, sha, archive, SyncLater()) == dest
    assert dest.read_bytes() == data
    dest.write_bytes(b"\0" * len(data))
    assert archive_bytes(data, sha, archive, src.name) == dest
    assert dest.read_bytes() == data
    later = SyncLater()  # a copy this run wrote is kept as it is
    dest.unlink()
    archive_file(src, sha, archive, later)
    src.write_bytes(b"\0" * len(data))  # (the source changing later does not matter)
    assert archive_file(src, sha, archive, later) == dest
    assert dest.read_bytes() == data
