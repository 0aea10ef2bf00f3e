"""销号/延期/调整 decided by the office: ``duban changes`` lists, approves, rejects and adds;
every decision is a new version of its task, written to disk before the ledger, and
``duban recover`` after losing the ledger puts every one back."""

from __future__ import annotations

import json

import pytest

from reporting.core.changes import ChangeRequest, Verdict
from reporting.core.ledger import Ledger
from reporting.taskbook import changes


@pytest.fixture
def clock(monkeypatch):
    monkeypatch.setenv("DUBAN_FAKE_NOW", "2024-04-12T10:00:00+08:00")


def unit_request(period: str, task_id: str, kind: str, key: str, **kw) -> ChangeRequest:
    return ChangeRequest(
        period=period,
        no=0,
        key=key,
        task_id=task_id,
        kind=kind,
        unit="区发改委",
        received_at=f"{period[:4]}-04-0{len(key) % 9 + 1}T09:00:00+08:00",
        **kw,
    )


def test_list_approve_reject_and_versions(app, duban, clock):
    root = app.workspace.root
    with Ledger(app.workspace.ledger_path) as ledger:
        a = changes.submit(
            ledger, root, unit_request("2024Q1", "8.2", "销号", "aaa#1", reason="项目已投产")
        )
        b = changes.submit(
            ledger,
            root,
            unit_request("2024Q1", "9.2", "延期", "aaa#2", deadline="2025-06-30", reason="征迁"),
        )
        again = changes.submit(ledger, root, unit_request("2024Q1", "8.2", "销号", "aaa#1"))
    assert (a.no, b.no, again.no) == (1, 2, 1)  # a replayed request keeps its number

    r = duban("changes", "--period", "2024Q1")
    assert r.code == 0, r.output
    assert "编号 1：区发改委 任务8（2） 销号〔待审批〕" in r.out
    assert "延期至2025年6月〔待审批〕" in r.out and "理由：征迁" in r.out
    assert "待审批 2 项" in r.out

    r = duban("changes", "--period", "2024Q1", "--approve", "1", "--doc", "禹政秘〔2024〕12号")
    assert r.code == 0, r.output
    assert "已批准，禹政秘〔2024〕12号，记为该任务第1版；自 2024Q2 起生效" in r.out
    r = duban("changes", "--period", "2024Q1", "--reject", "2")
    assert r.code != 0 and "--reason" in r.output  # a rejection says why
    r = duban("changes", "--period", "2024Q1", "--reject", "2", "--reason", "理由不充分")
    assert r.code == 0, r.output
    # the office changes its mind on request 1: a second version, the first kept
    r = duban(
        "changes", "--period", "2024Q1", "--reject", "1", "--reason", "佐证不足", "--by", "李四"
    )
    assert r.code == 0 and "第2版" in r.out

    r = duban("changes", "--period", "2024Q1", "--json")
    listed = {item["no"]: item for item in json.loads(r.out)}
    assert listed[1]["verdict"] == Verdict.REJECTED
    assert [d["verdict"] for d in listed[1]["decisions"]] == ["已批准", "不予批准"]
    assert [d["seq"] for d in listed[1]["decisions"]] == [1, 2]
    assert listed[1]["decisions"][0]["doc_no"] == "禹政秘〔2024〕12号"
    assert listed[1]["decisions"][1]["by"] == "李四"
    assert listed[2]["verdict"] == Verdict.REJECTED and listed[2]["decisions"][0]["reason"]
    with Ledger(app.workspace.ledger_path) as ledger:
        assert ledger.approved_changes() == []  # nothing in force: 1 revoked, 2 rejected
    # each request and decision left a file on disk
    names = sorted(p.name for p in (root / "changes" / "2024Q1").iterdir())
    assert names == [
        "0001.decision-001.json",
        "0001.decision-002.json",
        "0001.request.json",
        "0002.decision-001.json",
        "0002.request.json",
    ]


def test_add_checks_the_task_and_the_date(app, duban, clock):
    r = duban("changes", "--period", "2024Q2", "--add", "延期", "--task", "99（9）")
    assert r.code != 0 and "任务编号“99.9”不在" in r.output
    r = duban(
        "changes", "--period", "2024Q2", "--add", "延期", "--task", "8（2）", "--deadline", "明年"
    )
    assert r.code != 0 and "看不出" in r.output
    r = duban(
        "changes",
        "--period",
        "2024Q2",
        "--add",
        "延期",
        "--task",
        "8（2）",
        "--deadline",
        "2024年3月底前",
    )
    assert r.code != 0 and "不晚于现在的完成时限2024年12月" in r.output
    r = duban(
        "changes",
        "--period",
        "2024Q2",
        "--add",
        "延期",
        "--task",
        "8（2）",
        "--deadline",
        "2025年6月底前",
        "--doc",
        "禹政秘〔2024〕30号",
    )
    assert r.code == 0, r.output
    assert "任务8（2） 延期至2025年6月，已批准（禹政秘〔2024〕30号）；自 2024Q3 起生效" in r.out
    with Ledger(app.workspace.ledger_path) as ledger:
        (change,) = ledger.approved_changes()
    assert (change.task_id, change.request.deadline, change.decision.decided_in) == (
        "8.2",
        "2025-06-30",
        "2024Q2",
    )
    assert changes.change_mark(change) == "经批准延期至2025年6月（禹政秘〔2024〕30号）"


def test_recover_after_losing_the_ledger_restores_every_decision(app, duban, clock):
    root = app.workspace.root
    with Ledger(app.workspace.ledger_path) as ledger:
        for i, (tid, kind) in enumerate([("8.2", "销号"), ("25.4", "调整"), ("9.2", "销号")]):
            changes.submit(ledger, root, unit_request("2024Q1", tid, kind, f"k#{i}", indicators=""))
    for args in (
        ("--approve", "1", "--doc", "禹政秘〔2024〕12号"),
        ("--reject", "2", "--reason", "未写明调整内容"),
        ("--approve", "3"),
        ("--reject", "3", "--reason", "撤回批准"),
    ):
        assert duban("changes", "--period", "2024Q1", *args).code == 0
    before = duban("changes", "--period", "2024Q1", "--json").out
    for name in ("ledger.sqlite", "ledger.sqlite-wal", "ledger.sqlite-shm"):
        (root / name).unlink(missing_ok=True)
    lost = duban("changes", "--period", "2024Q1")
    assert lost.code != 0  # a lost ledger is never silently a new empty one
    r = duban("recover")
    assert r.code == 0, r.output
    assert "恢复申请 3 项、审批 4 次" in r.out
    assert json.loads(duban("changes", "--period", "2024Q1", "--json").out) == json.loads(before)
    with Ledger(app.workspace.ledger_path) as ledger:
        (change,) = ledger.approved_changes()
        assert (change.task_id, change.decision.doc_no) == ("8.2", "禹政秘〔2024〕12号")
        # numbering goes on after the restored ones
        assert ledger.next_request_no("2024Q1") == 4
        assert ledger.next_decision_seq("9.2") == 3


def test_an_adjusted_target_is_printed_as_a_page_says_it():
    """The new targets of a 调整 are said as the documents say a target (新增城市停车泊位
    4000个), never in the task table's syntax (新增城市停车泊位=4000个)."""
    adjust = unit_request(
        "2024Q3", "16.2", "调整", "ccc#1", indicators="新增城市停车泊位=4000个;地区生产总值=增长8%"
    )
    said = changes.what_asked(adjust)
    assert said == "调整：指标调整为新增城市停车泊位4000个、地区生产总值增长8%"
    odd = unit_request("2024Q3", "16.2", "调整", "ccc#2", indicators="泊位很多")
    assert changes.what_asked(odd) == "调整：指标调整为泊位很多"  # unreadable: as written
