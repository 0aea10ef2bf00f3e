"""A send's result is committed together with the next send's claim (``Ledger.chained``):
one disk sync for the two, and still nothing leaves while an earlier result is not on disk;
a kill during a send leaves that one message 可能已发出 and every earlier one sent."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

import pytest

from reporting.core.config import SmtpSettings
from reporting.core.ledger import Ledger
from reporting.core.states import SendResult
from reporting.notify.delivery import Delivery, Outcome, SendLog, deliver

AT = "2024-03-29T09:00:00+08:00"


def _seen(path) -> tuple[dict[str, str], int]:
    """(unit → claim state, number of sends rows) as another process sees the ledger."""
    conn = sqlite3.connect(path)
    try:
        claims = dict(conn.execute("SELECT unit, state FROM send_claims").fetchall())
        return claims, conn.execute("SELECT COUNT(*) FROM sends").fetchone()[0]
    finally:
        conn.close()


class Watching:
    """A channel that notes, at each send, what another process sees in the ledger."""

    def __init__(self, path, fail_at: int | None = None):
        self.path, self.fail_at = path, fail_at
        self.seen: list[tuple[str, dict[str, str], int]] = []

    def send(self, message):
        self.seen.append((message, *_seen(self.path)))
        if len(self.seen) == self.fail_at:
            raise KeyboardInterrupt  # the run stopped during this send
        return Delivery(SendResult.SENT, "", "")

    def close(self):
        pass

    def closing_note(self, sent):
        return ""


def _plan(units):
    return [(unit, [Outcome(unit, "email")]) for unit in units]


def test_a_result_is_on_disk_before_the_next_message_leaves(tmp_path):
    path = tmp_path / "ledger.sqlite"
    units = [f"单位{i}" for i in range(1, 6)]
    bad = Outcome("单位0", "email", result=SendResult.FAILED, detail="没有邮箱")
    planned = [(None, [bad])] + _plan(units)
    channel = Watching(path)
    with Ledger(path) as ledger:
        log = SendLog(ledger, "2024Q1", "通知", AT)
        deliver(channel, planned, log, retry=SmtpSettings(), sleep=lambda s: None, notes=[])
    for i, (unit, claims, sends) in enumerate(channel.seen):
        assert unit == units[i]
        # its own claim and every earlier result (and the failure recorded first) committed
        assert claims == {**dict.fromkeys(units[:i], "sent"), unit: "claimed"}
        assert sends == i + 1
    assert _seen(path) == (dict.fromkeys(units, "sent"), 6)


def test_results_held_when_the_run_stops_are_committed(tmp_path):
    path = tmp_path / "ledger.sqlite"
    units = [f"单位{i}" for i in range(1, 6)]
    with Ledger(path) as ledger:
        log = SendLog(ledger, "2024Q1", "通知", AT)
        with pytest.raises(KeyboardInterrupt):
            deliver(
                Watching(path, fail_at=3),
                _plan(units),
                log,
                retry=SmtpSettings(),
                sleep=lambda s: None,
                notes=[],
            )
        claims, sends = _seen(path)
        assert claims == {"单位1": "sent", "单位2": "sent", "单位3": "claimed"}
        assert sends == 2
        # inside the chain, a transaction that fails still commits the held result
        with ledger.chained():
            claim = ledger.claim_send("2024Q1", "单位4", "通知", "email", at=AT)
            ledger.complete_send(claim, SendResult.SENT, at=AT, hold=True)
            assert _seen(path)[0]["单位4"] == "claimed"  # held, not yet on disk
            with pytest.raises(ZeroDivisionError), ledger.transaction():
                ledger.conn.execute("DELETE FROM sends")
                raise ZeroDivisionError
            assert _seen(path) == ({**claims, "单位4": "sent"}, 3)
            claim = ledger.claim_send("2024Q1", "单位5", "通知", "email", at=AT)
            ledger.complete_send(claim, SendResult.SENT, at=AT, hold=True)
        assert _seen(path) == ({**claims, "单位4": "sent", "单位5": "sent"}, 4)
        ledger.complete_send(  # outside a chain ``hold`` does nothing: committed at once
            ledger.claim_send("2024Q1", "单位6", "通知", "email", at=AT), "sent", at=AT, hold=True
        )
        assert _seen(path)[1] == 5


def test_a_kill_during_a_send_leaves_that_message_uncertain_and_the_earlier_ones_sent(
    tmp_path,
):
    path = tmp_path / "ledger.sqlite"
    Ledger(path).close()
    code = textwrap.dedent(
        f"""
        import os, signal
        from reporting.core.config import SmtpSettings
        from reporting.core.ledger import Ledger
        from reporting.core.states import SendResult
        from reporting.notify.delivery import Delivery, Outcome, SendLog, deliver

        class Killing:
            count = 0
            def send(self, message):
                Killing.count += 1
                if Killing.count == 4:
                    os.kill(os.getpid(), signal.SIGKILL)
                return Delivery(SendResult.SENT, "", "")
            def close(self): pass
            def closing_note(self, sent): return ""

        with Ledger({str(path)!r}) as ledger:
            planned = [(u, [Outcome(u, "email")]) for u in ["甲", "乙", "丙", "丁", "戊"]]
            log = SendLog(ledger, "2024Q1", "通知", {AT!r})
            deliver(Killing(), planned, log, retry=SmtpSettings(), sleep=None, notes=[])
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == -9, proc.stderr
    with Ledger(path) as ledger:
        assert ledger.claim_send("2024Q1", "丁", "通知", "email", at=AT) is None
        states = {c["unit"]: c["state"] for c in ledger.claims("2024Q1")}
        assert states == {"甲": "sent", "乙": "sent", "丙": "sent", "丁": "uncertain"}
        assert [r.unit for r in ledger.sends("2024Q1")] == ["甲", "乙", "丙"]
