"""The ledger's schema version and migrations, and what a damaged ledger says."""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path

import pytest

from reporting.core import ledger as ledger_module
from reporting.core.exceptions import LedgerError
from reporting.core.ledger import SCHEMA_VERSION, Ledger, schema

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
    # the send claims' migration adds one claim per message that went out
    sent = sqlite3.connect(old_ledger).execute(
        "SELECT count(DISTINCT period || stage || unit || channel ||"
        " CASE WHEN stage = '回执' THEN substr(detail, 1, 12) ELSE '' END)"
        " FROM sends WHERE result = 'sent'"
    )
    assert after["send_claims"] == sent.fetchone()[0]
    with Ledger(old_ledger) as again:
        # a message sent before claims existed is never claimed (sent) again
        row = again.conn.execute("SELECT * FROM sends WHERE result='sent' LIMIT 1").fetchone()
        key = row["detail"][:12] if row["stage"] == "回执" else ""
        claim = again.claim_send(
            row["period"], row["unit"], row["stage"], row["channel"], key=key, at="2024-07-01"
        )
        assert claim is None  # reopening applies nothing
        assert again.schema_found == SCHEMA_VERSION


def test_migrations_apply_in_order_and_once(tmp_path, monkeypatch):
    path = tmp_path / "ledger.sqlite"
    Ledger(path).close()
    extra = (SCHEMA_VERSION + 1, "测试：新增一列", "ALTER TABLE sends ADD COLUMN note TEXT;")
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS + (extra,))
    monkeypatch.setattr(schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
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
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS + (bad,))
    monkeypatch.setattr(schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
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


# -- claim before send -------------------------------------------------------------------


def test_a_send_is_claimed_once_and_a_failed_one_again(tmp_path):
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        first = ledger.claim_send("2024Q1", "区财政局", "通知", "email", at="2024-03-29T09:00")
        assert first is not None
        # claimed by this live process: nobody else may send it
        assert ledger.claim_send("2024Q1", "区财政局", "通知", "email", at="t") is None
        # another period, stage, channel or key is another message
        assert ledger.claim_send("2024Q2", "区财政局", "通知", "email", at="t") is not None
        assert ledger.claim_send("2024Q1", "区财政局", "提醒", "email", at="t") is not None
        assert ledger.claim_send("2024Q1", "区财政局", "通知", "wecom", at="t") is not None
        ledger.complete_send(first, "failed", "连接被拒绝", attempts=3, at="2024-03-29T09:01")
        assert not ledger.was_sent("2024Q1", "区财政局", "通知", "email")
        again = ledger.claim_send("2024Q1", "区财政局", "通知", "email", at="2024-03-29T10:00")
        assert again == first
        ledger.complete_send(again, "sent", at="2024-03-29T10:00")
        assert ledger.was_sent("2024Q1", "区财政局", "通知", "email")
        assert ledger.claim_send("2024Q1", "区财政局", "通知", "email", at="t") is None
        history = [(r["result"], r["attempts"]) for r in ledger.sends("2024Q1")]
        assert history == [("failed", 3), ("sent", 1)]


def test_a_send_recorded_for_one_quarter_never_counts_for_the_next(tmp_path):
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        claim = ledger.claim_send("2024Q1", "区财政局", "通知", "email", at="t")
        ledger.complete_send(claim, "sent", at="t")
        assert ledger.was_sent("2024Q1", "区财政局", "通知", "email")
        assert ledger.notice_sent("2024Q1", "区财政局")
        assert not ledger.was_sent("2024Q2", "区财政局", "通知", "email")
        assert not ledger.notice_sent("2024Q2", "区财政局")
        assert ledger.claim_send("2024Q2", "区财政局", "通知", "email", at="t") is not None


def test_a_claim_left_by_a_dead_process_is_uncertain_until_released(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "ledger.sqlite"
    Ledger(path).close()
    code = (
        "import sys; from reporting.core.ledger import Ledger\n"
        "l = Ledger(sys.argv[1]); print(l.claim_send('2024Q1', '区财政局', '通知', 'email', at='t'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    claim = int(out.stdout)
    with Ledger(path) as ledger:
        owner = ledger.claims("2024Q1")[0]["owner"]
        assert not ledger_module.owner_alive(owner)  # that process has exited
        message_id = ledger.claim_message_id(claim)
        # it died while sending: the mail may be out (可能已发出), not sent again silently
        assert ledger.claim_send("2024Q1", "区财政局", "通知", "email", at="t2") is None
        assert ledger.claims("2024Q1")[0]["state"] == "uncertain"
        assert [r["id"] for r in ledger.uncertain_sends("2024Q1")] == [claim]
        assert ledger.claim_send("2024Q1", "区财政局", "通知", "email", at="t3") is None
        assert ledger.release_uncertain("2024Q1", "通知") == 1  # the office decided
        assert ledger.claim_send("2024Q1", "区财政局", "通知", "email", at="t4") == claim
        assert ledger.claims("2024Q1")[0]["owner"] == ledger_module.process_token()
        assert ledger.claim_message_id(claim) == message_id  # the resend is the same mail


def test_a_reused_pid_does_not_keep_a_dead_claim(tmp_path):
    me = ledger_module.process_token()
    pid, rest = me.split(":", 1)
    start, host = rest.split("@")
    assert ledger_module.owner_alive(me)
    if start:  # Linux: the same pid with another start time is another process
        assert not ledger_module.owner_alive(f"{pid}:{int(start) + 1}@{host}")
    assert ledger_module.owner_alive("1:@other-host")  # cannot tell: keep it claimed
