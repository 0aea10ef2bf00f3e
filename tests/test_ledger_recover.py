"""A lost or damaged ledger: a Chinese error with the way back (the newest backup, or
``duban recover``), never a silent new empty ledger; ``duban recover`` rebuilds it from the
forms, the archive's arrival records and the outbox — sending nothing, then and after."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from remind_helpers import Handler, SmtpServers, free_port
from test_intake_collect import put
from test_intake_support import PERIOD, UNIT, fill, make_forms, valid_answers
from test_sender_check import OTHER, forged

from reporting.core.calendar import period_calendar
from reporting.core.ledger import Ledger
from reporting.core.model import QuarterResult

ROOT = Path(__file__).resolve().parent.parent


def drop_ledger(data_dir: Path) -> None:
    for name in ("ledger.sqlite", "ledger.sqlite-wal", "ledger.sqlite-shm"):
        (data_dir / name).unlink(missing_ok=True)


@pytest.fixture
def collected(app, duban, tmp_path):
    """UNIT's valid return dropped into the inbox, OTHER's mailbox sending UNIT's form
    (held, then accepted by the office), OTHER's own return late: three arrivals."""
    forms = make_forms(app, [UNIT, OTHER])
    deadline = period_calendar(PERIOD, app.settings.deadline).deadline
    inbox = app.workspace.inbox_dir(PERIOD)
    put(
        fill(forms[UNIT], inbox / "ok.xlsx", valid_answers(app, UNIT)), deadline - timedelta(days=2)
    )
    put(
        forged(app, forms, tmp_path, inbox).rename(inbox / "held.eml"), deadline - timedelta(days=1)
    )
    put(
        fill(forms[OTHER], inbox / "late.xlsx", valid_answers(app, OTHER)),
        deadline + timedelta(days=1),
    )
    r = duban("collect", "--period", str(PERIOD))
    assert r.code == 0, r.output
    with Ledger(app.workspace.ledger_path) as ledger:
        (held,) = [row for row in ledger.returns(PERIOD) if row.state == "held"]
    r = duban("review", "--period", str(PERIOD), "--accept", str(held.id))
    assert r.code == 0, r.output
    return app


def ledger_rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


# -- a lost ledger is an error, not a new empty one ---------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("status", "--period", "2024Q1"),
        ("collect", "--period", "2024Q1"),
        ("remind", "--period", "2024Q1", "--stage", "通知"),
        ("forms", "--period", "2024Q1"),
        ("review", "--period", "2024Q1"),
        ("report", "--period", "2024Q1"),
        ("run", "--period", "2024Q1"),
        ("status",),
    ],
    ids=lambda a: "-".join(a[:1] + a[3:]),
)
def test_a_deleted_ledger_next_to_period_data_is_an_error_with_the_way_back(
    collected, duban, data_dir, args
):
    drop_ledger(data_dir)
    r = duban(*args)
    assert r.code == 1, r.output
    assert "程序内部出错" not in r.output
    ledger = data_dir / "ledger.sqlite"
    assert f"台账 {ledger} 不存在" in r.err and "已有以往的数据" in r.err
    newest = max((data_dir / "backups").glob("ledger-*.sqlite"), key=lambda p: p.stat().st_mtime_ns)
    assert f"最新的备份是 {newest}" in r.err and "duban recover" in r.err
    assert not ledger.exists()  # nothing created behind the user's back


def test_without_any_backup_the_message_names_only_the_rebuild(app, duban, data_dir):
    make_forms(app, [UNIT])
    drop_ledger(data_dir)
    r = duban("status", "--period", "2024Q1")
    assert r.code == 1 and "里没有台账备份" in r.err and "运行 duban recover" in r.err
    assert "forms" in r.err  # names the earlier data it found


def test_a_fresh_data_dir_still_just_works(app, duban, data_dir):
    inbox = app.workspace.inbox_dir(PERIOD)  # files dropped in before the first run: fine
    inbox.mkdir(parents=True)
    (inbox / "早到的.xlsx").write_bytes(b"not yet")
    r = duban("status", "--period", "2024Q1")
    assert r.code == 0, r.output
    assert (data_dir / "ledger.sqlite").exists()


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_ledger_is_an_error_with_the_same_way_back(collected, duban, data_dir, damage):
    ledger = data_dir / "ledger.sqlite"
    conn = sqlite3.connect(ledger)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    good = ledger.read_bytes()
    drop_ledger(data_dir)
    ledger.write_bytes(os.urandom(5000) if damage == "garbage" else good[: len(good) // 3])
    for args in (("status", "--period", "2024Q1"), ("collect", "--period", "2024Q1")):
        r = duban(*args)
        assert r.code == 1, r.output
        assert "程序内部出错" not in r.output
        assert f"台账 {ledger} 已损坏" in r.err and "duban recover" in r.err
        assert "最新的备份是" in r.err
    r = duban("recover")
    assert r.code == 0, r.output
    assert "（已损坏）已按磁盘上的表格、归档和发件箱重建" in r.out
    (kept,) = (data_dir / "backups").glob("damaged-ledger-*.sqlite")
    assert kept.read_bytes()[:100] == ledger.read_bytes()[:100] or kept.stat().st_size > 0
    # the damaged copy is never offered as the backup to restore
    assert not any("damaged" in p.name for p in (data_dir / "backups").glob("ledger-*.sqlite"))
    assert duban("status", "--period", "2024Q1").code == 0


# -- the rebuild ---------------------------------------------------------------------------


def test_arrivals_are_kept_beside_the_archived_copies(collected, data_dir):
    records = sorted((data_dir / "archive").glob("*/*.2024Q1.json"))
    arrivals = [json.loads(p.read_text(encoding="utf-8")) for p in records]
    by_name = {a["name"]: a for a in arrivals}
    assert set(by_name) == {"ok.xlsx", "held.eml", "late.xlsx"}  # inbox files, not mail parts
    mail = by_name["held.eml"]
    assert mail["kind"] == "mail" and "unit09@yuhui.example" in mail["sender"]
    assert mail["received_at"] and mail["source"] == "held.eml"
    assert by_name["ok.xlsx"]["kind"] == "file" and by_name["ok.xlsx"]["sender"] == ""
    assert [a["seq"] for a in sorted(arrivals, key=lambda a: a["seq"])] == [1, 2, 3]
    # the office's decision on the held return is kept beside that return's copy
    (decision,) = (data_dir / "archive").glob("*/*.2024Q1.review.json")
    assert json.loads(decision.read_text(encoding="utf-8"))["accept"] is True


def test_a_rerun_keeps_the_first_arrival_of_a_saved_mail(collected, duban, data_dir):
    (record,) = [
        p
        for p in (data_dir / "archive").glob("*/*.2024Q1.json")
        if json.loads(p.read_text(encoding="utf-8"))["kind"] == "mail"
    ]
    before = record.read_bytes()
    assert duban("collect", "--period", "2024Q1").code == 0  # reads the saved mail again
    assert record.read_bytes() == before


def status_and_merged(duban, data_dir) -> tuple[dict, dict]:
    r = duban("status", "--period", "2024Q1", "--json")
    assert r.code == 0, r.output
    result = json.loads((data_dir / "2024Q1" / "merged.json").read_text(encoding="utf-8"))
    result.pop("generated_at")
    status = json.loads(r.out)
    status.pop("now")  # the wall clock of each call
    return status, result


def test_recover_brings_back_status_and_merged_result_and_the_review(collected, duban, data_dir):
    before = status_and_merged(duban, data_dir)
    reviews = ledger_rows(
        data_dir / "ledger.sqlite", "SELECT sender, decision, decided_by, decided_at FROM reviews"
    )
    drop_ledger(data_dir)
    r = duban("recover")
    assert r.code == 0, r.output
    assert "程序内部出错" not in r.output
    assert "（不存在）已按磁盘上的表格、归档和发件箱重建，没有发送任何消息" in r.out
    assert "表格 2 份" in r.out and "接收 3" in r.out and "已采用编号" in r.out
    after = status_and_merged(duban, data_dir)
    assert after == before
    assert (
        ledger_rows(
            data_dir / "ledger.sqlite",
            "SELECT sender, decision, decided_by, decided_at FROM reviews",
        )
        == reviews
    )
    assert not list(data_dir.glob(".ledger-rebuild-*"))


def test_recover_refuses_a_healthy_ledger_unless_forced(collected, duban, data_dir):
    r = duban("recover")
    assert r.code == 1 and "完好，不需要重建" in r.err and "--force" in r.err
    before = status_and_merged(duban, data_dir)
    r = duban("recover", "--force")
    assert r.code == 0, r.output
    (kept,) = (data_dir / "backups").glob("replaced-ledger-*.sqlite")
    assert ledger_rows(kept, "SELECT count(*) FROM returns") == [(3,)]
    assert status_and_merged(duban, data_dir) == before


def test_a_rebuild_killed_at_any_moment_leaves_the_old_state_or_a_complete_ledger(
    collected, duban, data_dir
):
    before = status_and_merged(duban, data_dir)[0]
    ledger = data_dir / "ledger.sqlite"
    argv = [sys.executable, "-m", "jobs", "--config", str(ROOT / "config.toml")]
    argv += ["--data-dir", str(data_dir), "recover"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    # kills spread over a whole rebuild as long as it takes on this machine (a fixed 0.3 s
    # could already be after the swap)
    drop_ledger(data_dir)
    start = time.monotonic()
    subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, check=True)
    took = time.monotonic() - start
    outcomes = set()
    for delay in [took * f for f in (0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 1.0, 1.5)]:
        drop_ledger(data_dir)
        proc = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if ledger.exists():  # the swap happened: the complete ledger
            outcomes.add("complete")
            assert ledger_rows(ledger, "PRAGMA integrity_check") == [("ok",)]
            assert ledger_rows(ledger, "SELECT count(*) FROM returns") == [(3,)]
        else:  # the old state: still no ledger, and the error says so
            outcomes.add("old")
            r = duban("status", "--period", "2024Q1")
            assert r.code == 1 and "不存在" in r.err
        assert not (data_dir / "ledger.sqlite-wal").exists() or ledger.exists()
    assert "old" in outcomes  # the kills did land during the rebuild
    drop_ledger(data_dir)
    assert duban("recover").code == 0  # a leftover temporary file is no obstacle
    assert not list(data_dir.glob(".ledger-rebuild-*"))
    assert status_and_merged(duban, data_dir)[0] == before


# -- the demo year: rebuilt, then nothing goes out -------------------------------------------


@pytest.fixture
def smtp():
    servers = SmtpServers(free_port())
    yield servers
    servers.stop()


@pytest.mark.slow
def test_the_demo_year_rebuilt_agrees_and_sends_nothing_after(
    demo_year, duban, tmp_path, monkeypatch, smtp
):
    outcome, _, _ = demo_year
    data = tmp_path / "demo"
    shutil.copytree(outcome.root, data)
    monkeypatch.setenv("DUBAN_FAKE_NOW", "2025-01-20T10:00:00+08:00")
    periods = ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]

    def state() -> dict:
        out = {}
        for p in periods:
            r = duban("status", "--period", p, "--json", data=data)
            assert r.code == 0, r.output
            result = json.loads((data / p / "merged.json").read_text(encoding="utf-8"))
            result.pop("generated_at")
            out[p] = (json.loads(r.out), result)
        return out

    before = state()
    sent_before = ledger_rows(
        data / "ledger.sqlite",
        "SELECT period, unit, stage, channel FROM sends WHERE result = 'sent' AND channel = 'email'"
        " ORDER BY 1, 2, 3",
    )
    drop_ledger(data)
    r = duban("status", "--period", "2024Q4", data=data)
    assert r.code == 1 and "不存在" in r.err and "duban recover" in r.err
    r = duban("recover", data=data)
    assert r.code == 0, r.output
    assert "没有发送任何消息" in r.out and "程序内部出错" not in r.output
    after = state()
    for p in periods:
        assert after[p][0] == before[p][0], p  # duban status, unit by unit
        assert after[p][1] == before[p][1], p  # merged.json: what the report renders
    assert QuarterResult.load(data / "2024Q4" / "merged.json").unit_counts()["due"] == 50
    # every mail the outbox holds is a send in the ledger again (receipts keyed by return)
    sent_after = ledger_rows(
        data / "ledger.sqlite",
        "SELECT period, unit, stage, channel FROM sends WHERE result = 'sent' AND channel = 'email'"
        " ORDER BY 1, 2, 3",
    )
    assert sorted(set(sent_after)) == sorted(set(sent_before))
    # now against a real SMTP server: the next collect, reminders, feedback, run send nothing
    handler = smtp(Handler())
    for name, value in {
        "DUBAN_SMTP_HOST": "127.0.0.1",
        "DUBAN_SMTP_PORT": str(smtp.port),
        "DUBAN_SMTP_SECURITY": "none",
        "DUBAN_SMTP_SENDER": "duban@yuhui.example",
    }.items():
        monkeypatch.setenv(name, value)
    for p in periods:
        for args in (
            ("collect", "--period", p, "--no-mailbox"),
            ("remind", "--period", p),
            ("remind", "--period", p, "--stage", "通知"),
            ("coop-feedback", "--period", p),
            ("run", "--period", p),
        ):
            r = duban(*args, data=data)
            assert "程序内部出错" not in r.output, (args, r.output)
    assert handler.messages == []


ORDER_COLUMNS = (
    "period, task_id, number, text, rung, reason, units, due, answered_in, outcome, returns"
)


@pytest.mark.slow
def test_the_demo_years_orders_and_numbers_survive_a_lost_ledger(
    demo_year, duban, tmp_path, monkeypatch
):
    """Two copies of the demo year with the 通报 of Q1–Q3 made: one keeps its ledger, the
    other loses it and is rebuilt. The rebuilt one lists the same 督办单; Q4's 通报 then gives
    both the same 督办单 (numbers, rungs, 时限, which the Q4 returns close) and 发文字号."""
    outcome, _, _ = demo_year
    kept, lost = tmp_path / "kept", tmp_path / "lost"
    monkeypatch.setenv("DUBAN_FAKE_NOW", "2025-01-20T10:00:00+08:00")

    def bulletin(data: Path, q: int) -> None:
        r = duban("bulletin", "--period", f"2024Q{q}", data=data)
        assert r.code == 0, r.output

    def open_orders(data: Path) -> list:
        r = duban("status", "--json", data=data)
        assert r.code == 0, r.output
        return json.loads(r.out)["orders"]

    for data in (kept, lost):
        shutil.copytree(outcome.root, data)
        for q in (1, 2, 3):
            bulletin(data, q)
    sql = f"SELECT {ORDER_COLUMNS} FROM orders ORDER BY year, number"
    before = ledger_rows(lost / "ledger.sqlite", sql)
    assert before and any(row[9] for row in before), "the demo year answers 督办单 by Q3"
    listed = open_orders(lost)
    assert listed
    drop_ledger(lost)
    r = duban("recover", data=lost)
    assert r.code == 0, r.output
    assert ledger_rows(lost / "ledger.sqlite", sql) == before
    assert open_orders(lost) == listed
    for data in (kept, lost):
        bulletin(data, 4)
    after = ledger_rows(kept / "ledger.sqlite", sql)
    assert len(after) > len(before) and any(
        row[9] == "办结" and row[8] == "2024Q4" for row in after
    )
    assert ledger_rows(lost / "ledger.sqlite", sql) == after
    assert open_orders(lost) == open_orders(kept)
    numbers = "SELECT kind, period, number, text FROM doc_numbers ORDER BY kind, year, number"
    assert ledger_rows(lost / "ledger.sqlite", numbers) == ledger_rows(
        kept / "ledger.sqlite", numbers
    )


def test_a_full_disk_during_the_rebuild_is_a_chinese_error_and_changes_nothing(
    collected, duban, data_dir
):
    import resource

    drop_ledger(data_dir)
    argv = [sys.executable, "-m", "jobs", "--config", str(ROOT / "config.toml")]
    argv += ["--data-dir", str(data_dir), "recover"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}

    def small_files():  # no file may grow beyond 40 kB: the new ledger cannot be written
        resource.setrlimit(resource.RLIMIT_FSIZE, (40_000, 40_000))

    proc = subprocess.run(
        argv, cwd=ROOT, env=env, capture_output=True, text=True, preexec_fn=small_files
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "程序内部出错" not in proc.stderr and "Traceback" not in proc.stderr
    assert "重建台账失败" in proc.stderr and "没有改动" in proc.stderr
    assert not (data_dir / "ledger.sqlite").exists()
    assert not list(data_dir.glob(".ledger-rebuild-*"))
    assert duban("recover").code == 0  # with room again it works


def straight_to(smtp, monkeypatch) -> None:
    """Mail goes straight to the test server (nothing left on disk), on 2024-04-10."""
    for name, value in {
        "DUBAN_SMTP_HOST": "127.0.0.1",
        "DUBAN_SMTP_PORT": str(smtp.port),
        "DUBAN_SMTP_SECURITY": "none",
        "DUBAN_SMTP_SENDER": "duban@yuhui.example",
        "DUBAN_FAKE_NOW": "2024-04-10T10:00:00+08:00",
    }.items():
        monkeypatch.setenv(name, value)


def one_return(app) -> None:
    """UNIT's valid return in the inbox, a day before the deadline."""
    forms = make_forms(app, [UNIT])
    deadline = period_calendar(PERIOD, app.settings.deadline).deadline
    inbox = app.workspace.inbox_dir(PERIOD)
    put(
        fill(forms[UNIT], inbox / "ok.xlsx", valid_answers(app, UNIT)), deadline - timedelta(days=1)
    )


def test_sends_straight_to_a_server_are_listed_and_never_sent_again(
    app, duban, data_dir, tmp_path, monkeypatch, smtp
):
    """No outbox: the receipts and reminders went to the server and left nothing on disk."""
    handler = smtp(Handler())
    straight_to(smtp, monkeypatch)
    one_return(app)
    r = duban("collect", "--period", "2024Q1")
    assert r.code == 0, r.output
    assert len(handler.messages) == 1  # UNIT's 回执, straight to the server
    drop_ledger(data_dir)
    r = duban("recover")
    assert r.code == 0, r.output
    # the send trace beside the ledger says the 回执 went out: recorded, not guessed
    assert "据发送记录记为已发 1 条" in r.out and "已按“已发”记入台账" not in r.out
    (Path(data_dir) / "sends-trace.jsonl").unlink()  # without it: only a guess is left
    drop_ledger(data_dir)
    r = duban("recover")
    assert r.code == 0, r.output
    assert f"无法确认、已按“已发”记入台账（不会再发）的回执 1 份：{UNIT}（回执）" in r.out
    for stage in ("通知", "提醒", "催报", "逾期"):  # their days have come: not fired again
        assert f"无法确认：{stage}（" in r.out
        assert f"duban remind --period 2024Q1 --stage {stage} --dry-run" in r.out
    assert "--dry-run 核对名单" in r.out
    for args in (("collect", "--period", "2024Q1"), ("run", "--period", "2024Q1")):
        r = duban(*args)
        assert "程序内部出错" not in r.output, r.output
    assert len(handler.messages) == 1  # nothing more went out


def test_an_outbox_receipt_is_pinned_to_the_return_it_answered(
    app, duban, data_dir, tmp_path, monkeypatch, smtp
):
    """UNIT returned twice; the outbox holds the 回执 of the first only. After the rebuild
    the second return's 回执 is still owed: the next collect sends it (a real SMTP server)."""
    outbox = tmp_path / "outbox"
    monkeypatch.setenv("DUBAN_SMTP_OUTBOX", str(outbox))
    monkeypatch.setenv("DUBAN_SMTP_SENDER", "duban@yuhui.example")
    monkeypatch.setenv("DUBAN_FAKE_NOW", "2024-04-03T10:00:00+08:00")
    forms = make_forms(app, [UNIT])
    deadline = period_calendar(PERIOD, app.settings.deadline).deadline
    inbox = app.workspace.inbox_dir(PERIOD)
    first = valid_answers(app, UNIT)
    put(fill(forms[UNIT], inbox / "first.xlsx", first), deadline - timedelta(days=6))
    r = duban("collect", "--period", "2024Q1", "--no-mailbox")
    assert r.code == 0, r.output
    assert [p.name.split("_")[1] for p in outbox.glob("*.eml")] == ["回执"]
    # the correction comes in; its 回执 has not gone out when the ledger is lost
    second = {k: {**v, "next_steps": "更正后的下步打算。"} for k, v in first.items()}
    put(fill(forms[UNIT], inbox / "second.xlsx", second), deadline - timedelta(days=5))
    drop_ledger(data_dir)
    r = duban("recover")
    assert r.code == 0, r.output
    # the office now sends through a real server
    handler = smtp(Handler())
    monkeypatch.delenv("DUBAN_SMTP_OUTBOX")
    for name, value in {
        "DUBAN_SMTP_HOST": "127.0.0.1",
        "DUBAN_SMTP_PORT": str(smtp.port),
        "DUBAN_SMTP_SECURITY": "none",
    }.items():
        monkeypatch.setenv(name, value)
    r = duban("collect", "--period", "2024Q1", "--no-mailbox")
    assert r.code == 0, r.output
    (msg,) = [m for _, _, m in handler.messages]
    body = msg.get_body(("plain",)).get_content()
    assert msg["Subject"].startswith("【回执】") and "“second.xlsx”" in body
    assert app.registry.units[UNIT].email in msg["To"]


def test_a_receipt_that_failed_before_the_ledger_was_lost_is_not_taken_as_sent(
    app, duban, data_dir, monkeypatch, smtp
):
    """The server refused UNIT's 回执; the ledger is lost. The send trace beside it says the
    receipt failed: recover leaves it owed and the next collect sends it."""
    email = app.registry.units[UNIT].email
    refusing = smtp(Handler(reject=[email]))
    straight_to(smtp, monkeypatch)
    one_return(app)
    duban("collect", "--period", "2024Q1", "--no-mailbox")
    assert refusing.messages == []  # the 回执 failed
    drop_ledger(data_dir)
    r = duban("recover")
    assert r.code == 0, r.output
    assert f"发送记录显示未发出的回执 1 份，下次回收时补发：{UNIT}（回执）" in r.out
    assert "无法确认、已按“已发”记入台账" not in r.out
    refusing.reject.clear()  # the address is fixed
    r = duban("collect", "--period", "2024Q1", "--no-mailbox")
    (msg,) = [m for _, _, m in refusing.messages]
    assert msg["Subject"].startswith("【回执】") and email in msg["To"]


def test_notices_straight_to_a_server_are_rebuilt_from_the_trace_the_failed_one_goes_again(
    app, duban, data_dir, monkeypatch, smtp
):
    """The 通知 went straight to the server: two units reached, one refused. The ledger is
    lost; the send trace beside it tells recover which went out (with their Message-IDs).
    The next remind sends only the one that failed — not all three again, not none."""
    units = [UNIT, "长青乡", OTHER]
    refused = app.registry.units[OTHER].email
    handler = smtp(Handler(reject=[refused]))
    straight_to(smtp, monkeypatch)
    monkeypatch.setenv("DUBAN_FAKE_NOW", "2024-03-29T09:30:00+08:00")
    make_forms(app, units)
    r = duban("remind", "--period", "2024Q1", "--stage", "通知")
    assert r.code == 1 and len(handler.messages) == 2, r.output  # OTHER's address refused
    sent_ids = {m["Message-ID"] for _, _, m in handler.messages}
    drop_ledger(data_dir)
    r = duban("recover")
    assert r.code == 0, r.output
    assert "据发送记录记为已发 2 条" in r.out
    with Ledger(data_dir / "ledger.sqlite") as ledger:
        assert ledger.step_done(PERIOD, "通知") is None  # one unit still owed its 通知
        ids = {f"<{c['message_id']}@yuhui.example>" for c in ledger.claims(PERIOD)}
    assert ids == sent_ids
    handler.reject.clear()  # the address is fixed
    r = duban("remind", "--period", "2024Q1", "--stage", "通知")
    assert r.code == 0, r.output
    assert len(handler.messages) == 3
    assert handler.messages[-1][1] == [refused]
