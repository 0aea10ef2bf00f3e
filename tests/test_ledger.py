"""The ledger's schema version and migrations, and what a damaged ledger says."""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path

import pytest

from reporting.core import ledger as ledger_module
from reporting.core.exceptions import LedgerError
from reporting.core.ledger import SCHEMA_VERSION, Ledger

DATA = Path(__file__).parent / "data"


@pytest.fixture
def old_ledger(tmp_path) -> Path:
    """A real ledger written by duban before the schema had versions (the demo's 2024Q1+Q2)."""
    path = tmp_path / "ledger.sqlite"
    path.write_bytes(gzip.decompress((DATA / "ledger-before-versions.sqlite.gz").read_bytes()))
    return path


def _counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        tables = [
            t
            for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            if t not in ("sqlite_sequence", "schema_migrations")
        ]
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    finally:
        conn.close()


def test_a_ledger_from_before_versions_opens_and_keeps_every_row(old_ledger):
    before = _counts(old_ledger)
    assert sqlite3.connect(old_ledger).execute("PRAGMA user_version").fetchone()[0] == 0
    with Ledger(old_ledger) as ledger:
        assert ledger.schema_found == 0
        assert ledger.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert len(ledger.returns("2024Q1")) == before["returns"] // 2 + (before["returns"] % 2)
        assert ledger.step_done("2024Q2", "report") is not None
        applied = [
            r["version"] for r in ledger.conn.execute("SELECT version FROM schema_migrations")
        ]
        assert applied == list(range(1, SCHEMA_VERSION + 1))
    after = _counts(old_ledger)  # later migrations may add (empty) tables
    assert {t: after[t] for t in before} == before
    with Ledger(old_ledger) as again:  # reopening applies nothing
        assert again.schema_found == SCHEMA_VERSION


def test_migrations_apply_in_order_and_once(tmp_path, monkeypatch):
    path = tmp_path / "ledger.sqlite"
    Ledger(path).close()
    extra = (SCHEMA_VERSION + 1, "测试：新增一列", "ALTER TABLE sends ADD COLUMN note TEXT;")
    monkeypatch.setattr(ledger_module, "MIGRATIONS", ledger_module.MIGRATIONS + (extra,))
    monkeypatch.setattr(ledger_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with Ledger(path) as ledger:
        assert ledger.schema_found == SCHEMA_VERSION
        cols = [r["name"] for r in ledger.conn.execute("PRAGMA table_info(sends)")]
        assert "note" in cols
    with Ledger(path) as ledger:  # a second open must not add the column again
        assert ledger.schema_found == SCHEMA_VERSION + 1


def test_a_failing_migration_leaves_the_ledger_as_it_was(tmp_path, monkeypatch):
    path = tmp_path / "ledger.sqlite"
    Ledger(path).close()
    bad = (SCHEMA_VERSION + 1, "坏的迁移", "CREATE TABLE half (x);\nALTER TABLE nowhere ADD y;")
    monkeypatch.setattr(ledger_module, "MIGRATIONS", ledger_module.MIGRATIONS + (bad,))
    monkeypatch.setattr(ledger_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(LedgerError, match="升级到结构版本.*台账未改动"):
        Ledger(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("SELECT name FROM sqlite_master WHERE name='half'").fetchone() is None


def test_a_ledger_from_a_newer_duban_is_refused(tmp_path):
    path = tmp_path / "ledger.sqlite"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(LedgerError, match="较新版本的 duban"):
        Ledger(path)


def test_a_damaged_ledger_is_a_clear_error(tmp_path):
    path = tmp_path / "ledger.sqlite"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(LedgerError) as err:
        Ledger(path)
    assert str(path) in str(err.value) and "备份" in str(err.value)
