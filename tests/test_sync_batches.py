"""Files written in batches reach the disk together before anything depends on them: the
forms before the ledger batch that records them (the 配合反馈 files before their mails:
tests/test_coop_feedback.py); a file that replaces another is flushed before
the rename, so the old one stays whole until the new one is on disk."""

from __future__ import annotations

import os
import sqlite3

from conftest import ROOT
from helpers import NOW, watch_fsync

from jobs.app import create_app
from reporting.core.fileutil import SyncLater, atomic_write_bytes
from reporting.core.periods import Period
from reporting.forms.build import build_forms

Q1 = Period(2024, 1)


def test_a_file_that_replaces_another_is_flushed_before_the_rename(tmp_path, monkeypatch):
    synced: list[tuple[int, str]] = []
    watch_fsync(monkeypatch, synced)
    later = SyncLater()
    new, old = tmp_path / "new.bin", tmp_path / "old.bin"
    old.write_bytes(b"old")
    atomic_write_bytes(new, b"new", later)
    assert synced == []  # a new file: with its batch
    atomic_write_bytes(old, b"replaced", later)
    (name,) = [p for _, p in synced]
    assert os.path.basename(name).startswith(".tmp-") and not os.path.exists(name)
    assert old.read_bytes() == b"replaced"
    later.sync()
    files = sorted(p for _, p in synced[1:] if p.endswith(".bin"))
    assert files == [str(new), str(old)]
    assert str(tmp_path) in [p for _, p in synced]  # the folder, for the renames


def test_forms_written_by_workers_are_synced_before_the_ledger_records_them(tmp_path, monkeypatch):
    """The worker processes only write; the caller syncs each form once, while the ledger
    (as another process sees it) does not name it yet, and commits after."""
    app = create_app(ROOT / "config.toml", data_dir=tmp_path / "data", env={})
    ledger_path = app.workspace.ledger_path
    recorded_at_sync: dict[str, bool] = {}

    def on_sync(path: str) -> None:
        if path.endswith("_进展情况表.xlsx"):
            conn = sqlite3.connect(ledger_path)
            try:
                names = {r[0] for r in conn.execute("SELECT path FROM forms")}
            finally:
                conn.close()
            recorded_at_sync[path] = path in names

    synced: list[tuple[int, str]] = []
    watch_fsync(monkeypatch, synced, on_sync)
    summary = build_forms(app.settings, app.assignments, app.workspace, Q1, now=NOW, workers=2)
    paths = sorted(str(f.path) for f in summary.built)
    assert len(paths) == len(app.assignments.by_unit) > 40
    forms = [(pid, p) for pid, p in synced if p.endswith("_进展情况表.xlsx")]
    assert sorted(p for _, p in forms) == paths  # each once
    assert {pid for pid, _ in forms} == {os.getpid()}
    assert recorded_at_sync == dict.fromkeys(paths, False)
    conn = sqlite3.connect(ledger_path)
    try:
        assert sorted(r[0] for r in conn.execute("SELECT path FROM forms")) == paths
    finally:
        conn.close()
