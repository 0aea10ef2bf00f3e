"""Damage with a way back: a broken, wrong-shaped or deleted merged.json is written again
from the ledger (by collect even when nothing new came, by report before it renders, by
``collect --rebuild`` on request); a damaged ledger is a Chinese error naming the file."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from test_intake_collect import put
from test_intake_support import PERIOD, UNIT, fill, make_forms, valid_answers

from reporting.core.calendar import period_calendar
from reporting.core.model import QuarterResult


@pytest.fixture
def collected(app, duban):
    forms = make_forms(app, [UNIT])
    deadline = period_calendar(PERIOD, app.settings.deadline).deadline
    inbox = app.workspace.inbox_dir(PERIOD)
    put(
        fill(forms[UNIT], inbox / "ok.xlsx", valid_answers(app, UNIT)), deadline - timedelta(days=1)
    )
    r = duban("collect", "--period", str(PERIOD))
    assert r.code == 0 and "汇总结果已更新" in r.out, r.output
    return app


def accepted(app) -> int:
    result = QuarterResult.load(app.workspace.merged_json(PERIOD))
    c = result.unit_counts()
    return c["on_time"] + c["late"]


@pytest.mark.parametrize(
    "damage",
    [b'{"period": "2024Q1", "rows": [', b"[]", b'{"hello": 1}', b"", b"\xff\xfe garbage"],
    ids=["truncated", "list", "other-shape", "empty", "binary"],
)
def test_collect_rewrites_a_broken_merged_json_although_nothing_changed(collected, duban, damage):
    app = collected
    path = app.workspace.merged_json(PERIOD)
    path.write_bytes(damage)
    r = duban("collect", "--period", str(PERIOD))
    assert r.code == 0, r.output
    assert "汇总结果已更新" in r.out and "没有变化" not in r.out
    assert accepted(app) == 1


@pytest.mark.parametrize("damage", [b'{"period": "2024Q1", "rows": [', b'{"hello": 1}', None])
def test_report_rebuilds_a_broken_or_lost_merged_json_instead_of_a_loop(collected, duban, damage):
    app = collected
    path = app.workspace.merged_json(PERIOD)
    if damage is None:
        path.unlink()
    else:
        path.write_bytes(damage)
    r = duban("report", "--period", str(PERIOD))
    assert r.code == 0, r.output
    assert "程序内部出错" not in r.output and "重新运行 duban collect" not in r.output
    why = "缺失" if damage is None else "无法读取或内容不完整"
    assert f"汇总结果 {path} {why}，已按台账重新生成" in r.out
    assert "已接收 1" in r.out or "按时 1 个" in r.out
    assert accepted(app) == 1
    # and only once: the next report finds a good file
    assert "重新生成" not in duban("report", "--period", str(PERIOD)).out


def test_collect_rebuild_rewrites_what_the_digest_would_keep(collected, duban):
    app = collected
    path = app.workspace.merged_json(PERIOD)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["units"] = data["units"][:1]  # a hand-edited but loadable file
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    xlsx = app.workspace.merged_xlsx(PERIOD)
    xlsx.write_bytes(b"not a workbook")
    r = duban("collect", "--period", str(PERIOD))
    assert "汇总结果没有变化" in r.out  # the digest cannot see a hand edit
    r = duban("collect", "--period", str(PERIOD), "--rebuild")
    assert r.code == 0 and "汇总结果已更新" in r.out, r.output
    assert len(QuarterResult.load(path).units) > 1
    import openpyxl

    assert openpyxl.load_workbook(xlsx).sheetnames[0] == "汇总表"


def test_a_damaged_ledger_is_a_chinese_error_naming_the_file(collected, duban, data_dir):
    ledger = data_dir / "ledger.sqlite"
    for extra in ("-wal", "-shm"):
        (data_dir / f"ledger.sqlite{extra}").unlink(missing_ok=True)
    ledger.write_bytes(b"SQLite format 3\x00" + b"\x13" * 4000)
    for args in (("status", "--period", "2024Q1"), ("collect", "--period", "2024Q1")):
        r = duban(*args)
        assert r.code == 1
        assert "程序内部出错" not in r.output
        assert f"台账 {ledger} 已损坏" in r.err and "用备份恢复" in r.err
        assert "duban recover" in r.err


def test_each_writing_command_backs_up_the_ledger_first(collected, duban, data_dir):
    import sqlite3

    backups = data_dir / "backups"
    copies = sorted(backups.glob("ledger-*.sqlite"))
    assert copies  # collect took one before it wrote (the ledger existed: forms were built)
    duban("report", "--period", str(PERIOD))  # collect's writes since: a new copy
    after = sorted(backups.glob("ledger-*.sqlite"))
    assert len(after) == len(copies) + 1
    duban("report", "--period", str(PERIOD))  # nothing written since: no new copy
    assert sorted(backups.glob("ledger-*.sqlite")) == after
    copies = after
    copy = sqlite3.connect(max(copies, key=lambda c: c.stat().st_mtime_ns))
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("select count(*) from returns").fetchone()[0] == 1
    finally:
        copy.close()


def test_the_last_five_distinct_ledger_states_are_kept(tmp_path):
    import sqlite3

    from reporting.core.ledger import Ledger, backup_ledger

    path, folder = tmp_path / "ledger.sqlite", tmp_path / "backups"
    with Ledger(path) as ledger:  # open while copying: WAL content is in the copy
        for i in range(7):
            ledger.mark_step(PERIOD, f"step{i}", detail="", at=f"2024-04-0{i + 1}T09:00:00+08:00")
            made = backup_ledger(path, folder, f"2024040{i + 1}-090000")
            assert made is not None and made.name == f"ledger-2024040{i + 1}-090000.sqlite"
        assert backup_ledger(path, folder, "20240409-090000") is None  # unchanged
    copies = sorted(folder.glob("ledger-*.sqlite"))
    assert [c.name[7:15] for c in copies] == [f"2024040{d}" for d in range(3, 8)]
    newest = sqlite3.connect(copies[-1])
    try:
        assert newest.execute("select count(*) from steps").fetchone()[0] == 7
    finally:
        newest.close()
    assert backup_ledger(tmp_path / "none.sqlite", folder, "x") is None


def test_a_damaged_ledger_does_not_push_out_the_good_copies(collected, duban, data_dir):
    backups = data_dir / "backups"
    good = sorted(backups.glob("ledger-*.sqlite"))
    ledger = data_dir / "ledger.sqlite"
    for extra in ("-wal", "-shm"):
        (data_dir / f"ledger.sqlite{extra}").unlink(missing_ok=True)
    ledger.write_bytes(b"SQLite format 3\x00" + b"\x13" * 4000)
    r = duban("collect", "--period", "2024Q1")
    assert r.code == 1 and f"最新的备份是 {good[-1]}" in r.err
    assert sorted(backups.glob("ledger-*.sqlite")) == good
