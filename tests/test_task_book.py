"""The task book of a period: tasks.csv with every change approved before the period.

A 销号 approved in Q1 is on no Q2 form (lead nor partners) and nobody is reminded of it; a
延期 approved in Q2 has its new 时限 from Q3; an 调整 its new target; a rejected request
changes nothing; the original row stays on record."""

from __future__ import annotations

import json

import openpyxl
import pytest

from reporting.core.changes import Change, ChangeDecision, ChangeRequest, Verdict
from reporting.core.periods import Period
from reporting.forms import formspec as fs
from reporting.taskbook.period_book import task_book, year_book


def change(task_id, kind, decided_in, seq=1, **kw) -> Change:
    request = ChangeRequest(
        period=decided_in, no=seq, key=f"{task_id}-{seq}", task_id=task_id, kind=kind, **kw
    )
    decision = ChangeDecision(
        period=decided_in,
        no=seq,
        task_id=task_id,
        seq=seq,
        verdict=Verdict.APPROVED,
        decided_in=decided_in,
        doc_no=f"禹政秘〔2024〕{seq}号",
        at=f"{decided_in[:4]}-0{int(decided_in[-1]) * 3}-01T10:00:00+08:00",
    )
    return Change(request, decision)


def test_changes_apply_from_the_next_quarter(app):
    tasks, registry = app.tasks, app.registry
    changes = [
        change("8.2", "销号", "2024Q1"),
        change("9.2", "延期", "2024Q2", deadline="2025-06-30"),
        change("8.2", "延期", "2024Q1", seq=2, deadline="2025-03-31"),  # after its 销号: ignored
        change("1", "调整", "2024Q3", indicators="地区生产总值=增长6.5%"),
        change("25.4", "调整", "2024Q3", content="支持禾泉农旅小镇创建省级服务业集聚区。"),
    ]
    q1, q2, q3, q4 = (task_book(tasks, registry, changes, Period(2024, q)) for q in (1, 2, 3, 4))
    assert "8.2" in q1.by_id and "8.2" not in q2.by_id and "8.2" not in q4.by_id
    coop = [u for u in q1.by_id["8.2"].coop_units]
    assert len(coop) == 8
    for unit in ["区发改委", *coop]:
        assert "8.2" in {r.id for r in q1.for_unit(unit).lead + q1.for_unit(unit).coop}
        assert "8.2" not in {r.id for r in q2.for_unit(unit).lead + q2.for_unit(unit).coop}
    (closed,) = q2.closed
    assert (closed.row.id, str(closed.quarter), closed.doc_no) == (
        "8.2",
        "2024Q1",
        "禹政秘〔2024〕1号",
    )
    assert q2.by_id["9.2"].task.deadline == "2024-12-31"  # decided in Q2: Q2 still the old one
    assert q3.by_id["9.2"].task.deadline == "2025-06-30"
    assert q3.original["9.2"].deadline == "2024-12-31"
    assert [str(i) for i in q3.by_id["1"].task.indicators] == ["地区生产总值=增长8%"]
    assert [str(i) for i in q4.by_id["1"].task.indicators] == ["地区生产总值=增长6.5%"]
    assert q4.by_id["25.4"].task.content == "支持禾泉农旅小镇创建省级服务业集聚区。"
    assert q4.original["25.4"].content == "支持禾泉农旅小镇创建服务业集聚示范区。"
    assert len(q1.rows) == len(tasks) and len(q2.rows) == len(tasks) - 1
    # a change of another year's table (its numbers are its own) changes nothing
    assert "8.2" in task_book(tasks, registry, changes, Period(2025, 2)).by_id
    year = year_book(tasks, registry, changes, 2024)  # the annual judges the last version
    assert "8.2" in year.by_id and year.closed_ids == {"8.2"}
    assert year.by_id["1"].task.indicators[0].target == 6.5


@pytest.fixture
def closed_in_q1(duban, monkeypatch):
    monkeypatch.setenv("DUBAN_FAKE_NOW", "2024-04-12T10:00:00+08:00")
    for task in ("8（2）", "23（1）"):
        r = duban(
            "changes",
            "--period",
            "2024Q1",
            "--add",
            "销号",
            "--task",
            task,
            "--doc",
            "禹政秘〔2024〕12号",
        )
        assert r.code == 0, r.output
    # a rejected request changes nothing
    r = duban("changes", "--period", "2024Q1", "--add", "销号", "--task", "9（2）")
    assert r.code == 0
    r = duban("changes", "--period", "2024Q1", "--reject", "3", "--reason", "尚未完成")
    assert r.code == 0, r.output
    monkeypatch.setenv("DUBAN_FAKE_NOW", "2024-06-24T09:00:00+08:00")


def form_ids(path) -> set[str]:
    wb = openpyxl.load_workbook(path)
    out = set()
    col = fs.column_index("task_id")
    for sheet in (fs.SHEET_LEAD, fs.SHEET_COOP):
        if sheet in wb.sheetnames:
            ws = wb[sheet]
            for row in range(fs.FIRST_DATA_ROW, ws.max_row + 1):
                tid = fs.parse_task_label(ws.cell(row=row, column=col).value)
                if tid:
                    out.add(tid)
    return out


def test_closed_task_is_on_no_later_form_and_nobody_is_reminded(app, duban, closed_in_q1):
    r = duban("forms", "--period", "2024Q2")
    assert r.code == 0, r.output
    forms = sorted(app.workspace.forms_dir(Period(2024, 2)).glob("*.xlsx"))
    held = {p.name.split("_")[1]: form_ids(p) for p in forms}
    assert "区发改委" in held and "9.2" in held["区发改委"] and "8.1" in held["区发改委"]
    assert not [u for u, ids in held.items() if "8.2" in ids or "23.1" in ids]
    assert "长青乡" in held and "8.1" in held["长青乡"]  # a partner of 8.2 keeps its other rows
    assert "区数据资源局" not in held  # its only task was closed: no form
    r = duban("remind", "--period", "2024Q2", "--stage", "催报", "--dry-run")
    assert r.code == 0, r.output
    assert "区发改委" in r.out and "区数据资源局" not in r.out
    r = duban("tasks", "--period", "2024Q2")
    (line,) = [x for x in r.out.splitlines() if x.startswith("8（2）")]
    assert line.endswith("【已销号】2024年第一季度经批准销号（禹政秘〔2024〕12号），不再填报")
    assert "另有 2 行已销号" in r.out
    listed = json.loads(duban("tasks", "--period", "2024Q2", "--json").out)
    closed = {i["id"]: i for i in listed if "closed" in i}
    assert set(closed) == {"8.2", "23.1"} and closed["8.2"]["closed_in"] == "2024Q1"
    assert len(listed) == len(app.tasks)
    r = duban("tasks", "--period", "2024Q1")
    assert "已销号" not in r.out  # decided in Q1: Q1 still asks for it
    # a change decided after the next quarter's forms went out says they must be made again
    r = duban("changes", "--period", "2024Q1", "--add", "销号", "--task", "25（4）")
    assert r.code == 0 and "2024年第二季度的表单已经生成，需重新生成" in r.out


def test_an_extension_beyond_the_year_moves_the_line(app, duban, monkeypatch, tmp_path):
    """延期 of 9（2） to 2025-06-30 approved in Q2: from Q3 its line runs to the new 时限,
    six quarters from the year's start, so Q3 expects 3/6 = 50 % (not 75 %)."""
    from test_intake_support import fill, valid_answers

    monkeypatch.setenv("DUBAN_FAKE_NOW", "2024-07-12T10:00:00+08:00")
    r = duban(
        "changes", "--period", "2024Q2", "--add", "延期", "--task", "9（2）",
        "--deadline", "2025年6月底前", "--doc", "禹政秘〔2024〕30号",
    )  # fmt: skip
    assert r.code == 0, r.output
    monkeypatch.setenv("DUBAN_FAKE_NOW", "2024-09-28T09:00:00+08:00")
    assert duban("forms", "--period", "2024Q3", "--unit", "区发改委").code == 0
    q3 = Period(2024, 3)
    answers = valid_answers(app, "区发改委", q3)
    for tid in ("9.2", "25.4"):
        answers[("lead", tid)].update(percent=45, status="序时推进")
    inbox = app.workspace.inbox_dir(q3)
    inbox.mkdir(parents=True)
    fill(app.workspace.form_path(q3, "区发改委"), inbox / "fgw.xlsx", answers)
    monkeypatch.setenv("DUBAN_FAKE_NOW", "2024-10-09T09:00:00+08:00")
    assert duban("collect", "--period", "2024Q3").code == 0
    rows = {
        r["id"]: r
        for r in json.loads(app.workspace.merged_json(q3).read_text(encoding="utf-8"))["rows"]
    }
    assert rows["9.2"]["gap"] == pytest.approx(50 - 45)  # the line to 2025-06-30
    assert rows["25.4"]["gap"] == pytest.approx(75 - 45)  # unchanged: the year's line
    assert rows["9.2"]["light"] != rows["25.4"]["light"]


def test_an_extension_drops_the_later_milestones(app):
    """8（1） has a 落实方案 (10/35/70/100 by quarter): extended to 2025-06-30 in Q2, its Q3 and
    Q4 节点 no longer hold; from Q3 the line to the new 时限 judges it."""
    from reporting.core.pace import row_pace
    from reporting.core.states import PaceBasis

    tasks = {t.id: t for t in app.tasks}
    assert tasks["8.1"].plan == (10, 35, 70, 100)
    changes = [change("8.1", "延期", "2024Q2", deadline="2025-06-30")]
    q2, q3 = (task_book(app.tasks, app.registry, changes, Period(2024, q)) for q in (2, 3))
    assert q2.by_id["8.1"].task.plan == (10, 35, 70, 100)
    assert q3.by_id["8.1"].task.plan == (10, 35, None, None)
    pace = row_pace(q3.by_id["8.1"].task, Period(2024, 3))
    assert (pace.expected, pace.basis) == (50.0, PaceBasis.LINE)
    assert row_pace(q2.by_id["8.1"].task, Period(2024, 2)).basis == PaceBasis.PLAN
