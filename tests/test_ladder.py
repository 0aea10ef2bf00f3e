"""督办升级: the ladder's rungs from hand-built quarters; 督办单 issued with the 通报,
numbered, answered by the next quarter's return; `duban status` and the 通报 agree."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections import Counter
from datetime import date, timedelta

import chinese_calendar
import pytest
from assess_helpers import YEAR, install_year, result
from conftest import office
from docx import Document
from docx.oxml.ns import qn
from helpers import at
from remind_helpers import SmtpServers, free_port
from test_report import P, sample_result

from reporting.assess.bulletin import render_bulletin
from reporting.core.config import LadderSettings
from reporting.core.ledger import Ledger
from reporting.core.ledger import orders as ledger_orders
from reporting.core.model import Answer, QuarterResult, RowResult
from reporting.core.periods import Period
from reporting.core.states import Rung
from reporting.dashboard.orders_view import order_rows
from reporting.merge.ladder import ladder

# a quarter of one task: (status, light); None = the lead unit did not report
GREEN, BEHIND_YELLOW, RED = ("序时推进", "绿"), ("滞后", "黄"), ("滞后", "红")


def quarter(q: int, state: tuple[str, str] | None, year: int = YEAR) -> QuarterResult:
    period = Period(year, q)
    status, light = state if state else (None, None)
    reports = [Answer(unit="甲局", status=status, percent=10.0 * q)] if state else []
    row = RowResult(
        id="1",
        label="1",
        section=1,
        section_title="板块1",
        task_no="1",
        task_title="任务1",
        content="任务1的内容",
        lead_leaders=["某领导"],
        lead_units=["甲局"],
        coop_units=[],
        lead_reports=reports,
        status=status,
        light=light,
    )
    return QuarterResult(str(period), period.full_label, 25.0 * q, "", "", rows=[row])


def rung_at(states, settings=None, quarters=None):
    qs = list(quarters or range(1, len(states) + 1))
    steps = ladder(
        [quarter(q, s) for q, s in zip(qs, states, strict=True)], settings or LadderSettings()
    )
    return steps.get("1")


def test_rungs_by_the_default_rules():
    # one red quarter → 书面说明; red again in the second half → 挂牌督办
    assert rung_at([GREEN, RED]).rung == Rung.WRITTEN
    q3 = rung_at([GREEN, RED, RED])
    assert q3.rung == Rung.LISTED and q3.rung.colour == "红" and "第三季度亮红灯" in q3.reason
    # behind without red: two running → 书面说明, three → 约谈; one alone → nothing
    assert rung_at([GREEN, BEHIND_YELLOW]) is None
    assert rung_at([BEHIND_YELLOW, BEHIND_YELLOW]).rung == Rung.WRITTEN
    talk = rung_at([BEHIND_YELLOW] * 3)
    assert talk.rung == Rung.TALK and talk.rung.colour == "黄" and talk.reason == "连续3个季度滞后"
    # a green quarter between breaks the run
    assert rung_at([BEHIND_YELLOW, GREEN, BEHIND_YELLOW]) is None


def test_configured_rungs():
    s = LadderSettings(written_red=0, listed_red_from=0, written_behind=2, talk_behind=0)
    q3 = rung_at([GREEN, RED, RED], s)
    assert q3.rung == Rung.WRITTEN and q3.reason == "连续2个季度滞后"
    assert rung_at([GREEN, RED], s) is None
    assert rung_at([RED] * 4, s).rung == Rung.WRITTEN  # no 约谈, no 挂牌 configured
    assert rung_at([RED] * 4, LadderSettings(listed_red_from=4)).rung == Rung.LISTED
    assert rung_at([RED] * 3, LadderSettings(listed_red_from=4)).rung == Rung.TALK
    assert ladder([quarter(1, RED)], LadderSettings(enabled=False)) == {}


def test_a_row_carried_from_its_judging_quarter_adds_no_quarter_behind():
    """A row no unit reports on any more (carried from the quarter that judged it) is not a
    new quarter red: the 通报 does not name it, the ladder does not climb on it."""
    qs = [quarter(q, RED) for q in (1, 2, 3)]
    for q in qs[1:]:
        q.rows[0].carried_from = "2024Q1"
    step = ladder(qs, LadderSettings())["1"]
    assert step.rung == Rung.WRITTEN and step.red == 0 and step.held  # held, never raised


def test_a_rung_holds_until_the_gap_is_closed():
    # 挂牌督办 in Q3; Q4 yellow (gap narrowed, not closed): still 挂牌督办, held
    held = rung_at([GREEN, RED, RED, BEHIND_YELLOW])
    assert held.rung == Rung.LISTED and held.held and "差距尚未补上" in held.reason
    # a quarter without a return neither clears nor lowers it
    assert rung_at([GREEN, RED, RED, None]).rung == Rung.LISTED
    # green: the gap is closed, off the ladder
    assert rung_at([GREEN, RED, RED, GREEN]) is None
    # a quarter not merged breaks the runs: Q1 and Q3 behind are not two running
    assert rung_at([BEHIND_YELLOW, BEHIND_YELLOW], quarters=[1, 3]) is None


# -- 督办单 with the 通报 ------------------------------------------------------------------


def deadline(quarter_end: date, workdays: int = 5) -> date:
    """The bundled rule ([deadline] days = 5 working days after the quarter's end), counted
    here with chinese_calendar."""
    day, n = quarter_end, 0
    while n < workdays:
        day += timedelta(days=1)
        n += chinese_calendar.is_workday(day)
    return day


def cn(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def with_task7(q: int, status: str, light: str) -> QuarterResult:
    """The hand-built year's quarter with task 7 (lead 东集团, a 国有企业) set as given."""
    res = result(q)
    rows = []
    for r in res.rows:
        if r.id == "7":
            reports = [dataclasses.replace(a, status=status) for a in r.lead_reports]
            r = dataclasses.replace(r, status=status, light=light, lead_reports=reports)
        rows.append(r)
    return dataclasses.replace(res, rows=rows)


def table_of(path) -> dict[str, str]:
    """The 督办单's table, label → text; its last row sits in a one-row table nested in the
    row that keeps it on one page with the signature (``documents.docx_closing``)."""
    out = {}
    for row in Document(str(path)).tables[0].rows:
        for table in row.cells[0].tables or [None]:
            rows = table.rows if table is not None else [row]
            out.update({r.cells[0].text: r.cells[1].text for r in rows})
    return out


def fill_of(path) -> str:
    cell = Document(str(path)).tables[0].rows[0].cells[1]
    shd = cell._tc.tcPr.find(qn("w:shd"))
    return shd.get(qn("w:fill")) if shd is not None else ""


def text_of(path) -> str:
    return "\n".join(p.text for p in Document(str(path)).paragraphs)


def install_red_year(app) -> None:
    install_year(app)
    # task 7 red in Q2 and Q3, green (超序时) again in Q4 as the helpers have it
    for q in (2, 3):
        path = app.workspace.merged_json(Period(YEAR, q))
        path.write_text(with_task7(q, "滞后", "红").to_json(), encoding="utf-8")


@pytest.fixture
def year(app):
    install_red_year(app)
    return app


def bulletin(app, q: int, day: date):
    with app.ledger() as ledger:
        return render_bulletin(
            app.settings, app.workspace, ledger, Period(YEAR, q), now=at(day), today=day
        )


def what(doc) -> tuple[str, str, str]:
    return doc.record.task_id, doc.record.rung, doc.record.text


def test_red_in_q2_and_q3_gets_a_listed_order_closed_by_q4(year, duban):
    q2 = bulletin(year, 2, date(2024, 7, 10))
    [o2] = q2.orders.issued
    assert what(o2) == ("7", "书面说明", "禹督办〔2024〕1号")
    q3 = bulletin(year, 3, date(2024, 10, 14))
    [o3] = q3.orders.issued
    # red in the year's second half: 挂牌督办 (listed_red_from = 3), numbered on
    assert what(o3) == ("7", "挂牌督办", "禹督办〔2024〕2号")
    assert o3.record.units == ["东集团"]
    # the Q2 order was answered by the Q3 return: still red, carried on
    [answered] = q3.orders.answered
    assert (answered.text, answered.outcome, answered.answered_in) == (
        "禹督办〔2024〕1号",
        "续办",
        "2024Q3",
    )
    # the 督办单 itself: the rung in words and in red, its 时限 = the Q4 return's deadline
    cells = table_of(o3.path)
    assert cells["督办等级"] == "红色督办（挂牌督办）" and cells["牵头单位"] == "东集团"
    assert cells["督办事项"].startswith("7.")
    q4_due = deadline(date(2024, 12, 31))
    assert cells["整改时限"] == f"{cn(q4_due)}前"
    assert "禹督办〔2024〕1号（书面说明）" in cells["督办依据"]
    assert "2024年第四季度进展情况表" in cells["反馈方式"]
    fill = fill_of(o3.path)
    r, g, b = (int(fill[i : i + 2], 16) for i in (0, 2, 4))
    assert r > g + 40 and r > b + 40  # a red cell
    y2 = fill_of(q2.orders.issued[0].path)
    assert int(y2[0:2], 16) > 200 and int(y2[2:4], 16) > 180 and int(y2[4:6], 16) < 180  # yellow
    # the 通报 names the rung with the number; `duban status` lists the same open order
    text = text_of(q3.docx)
    assert "7.任务7（牵头单位：东集团）" in text and "列入挂牌督办（禹督办〔2024〕2号）" in text
    assert "上季度印发的1份督办单，对应任务差距均未补上，转入本季度续办" in text
    res = duban("status", "--period", "2024Q3")
    assert res.code == 0
    assert "禹督办〔2024〕2号" in res.out and f"整改时限 {cn(q4_due)}" in res.out
    assert "禹督办〔2024〕1号" not in res.out  # answered
    # Q4: 超序时, green: the gap is closed by 东集团's Q4 return
    q4 = bulletin(year, 4, date(2025, 1, 9))
    [closed] = [o for o in q4.orders.answered if o.task_id == "7"]
    assert (closed.outcome, closed.answered_in) == ("办结", "2024Q4")
    assert closed.returns and closed.returns[0]["unit"] == "东集团"
    assert "2024年第四季度 东集团" in closed.returns[0]["text"]
    assert "7" not in {d.record.task_id for d in q4.orders.issued}
    # Q4's own: tasks 6 (未启动, red) and 8 (滞后, red), numbered on in task order
    assert [(d.record.task_id, d.record.text) for d in q4.orders.issued] == [
        ("6", "禹督办〔2024〕3号"),
        ("8", "禹督办〔2024〕4号"),
    ]
    text = text_of(q4.docx)
    assert "上季度印发的1份督办单，1份对应任务差距已补上，予以销号" in text
    assert "未完成部分列入2025年跟踪督办" in text
    res = duban("status")
    assert "禹督办〔2024〕2号" not in res.out
    assert "禹督办〔2024〕3号" in res.out and "禹督办〔2024〕4号" in res.out
    # a rerun keeps every number and answers nothing twice
    again = bulletin(year, 4, date(2025, 1, 9))
    assert [d.record.text for d in again.orders.issued] == [
        "禹督办〔2024〕3号",
        "禹督办〔2024〕4号",
    ]
    assert [o.text for o in again.orders.answered] == ["禹督办〔2024〕2号"]


def test_the_orders_follow_the_configured_ladder(year, duban):
    """[ladder] with 挂牌督办 only from Q4, 书面说明 due in 3 working days and another number
    format: task 7 red in Q2 and Q3 stays 书面说明 (yellow) in Q3; tasks 6 and 8, red in Q4,
    are 挂牌督办; the 督办单, the 通报 and `duban status` say so."""
    year.settings.ladder.listed_red_from = 4
    year.settings.ladder.explain_days = 3
    year.settings.ladder.number_format = "督字〔{year}〕第{n}号"
    bulletin(year, 2, date(2024, 7, 10))
    q3 = bulletin(year, 3, date(2024, 10, 14))
    [o3] = q3.orders.issued
    assert what(o3) == ("7", "书面说明", "督字〔2024〕第2号")
    cells = table_of(o3.path)
    assert cells["督办等级"] == "黄色督办（书面说明）"
    assert f"请于{cn(deadline(date(2024, 10, 14), 3))}前将滞后原因" in cells["整改要求"]
    assert int(fill_of(o3.path)[4:6], 16) < 180  # yellow, not red
    assert "1项任务列入书面说明，督办单（督字〔2024〕第2号）" in text_of(q3.docx)
    q4 = bulletin(year, 4, date(2025, 1, 9))
    assert [what(d) for d in q4.orders.issued] == [
        ("6", "挂牌督办", "督字〔2024〕第3号"),
        ("8", "挂牌督办", "督字〔2024〕第4号"),
    ]
    listed = json.loads(duban("status", "--json").out)["orders"]
    assert [(o["number"], o["rung"]) for o in listed] == [
        ("督字〔2024〕第3号", "挂牌督办"),
        ("督字〔2024〕第4号", "挂牌督办"),
    ]
    assert "2项任务列入督办（挂牌督办2项），督办单（督字〔2024〕第3号至督字〔2024〕第4号）" in (
        text_of(q4.docx)
    )


# -- `duban status --json`, a lost ledger, a kill ---------------------------------------


def orders_of(app) -> list:
    with Ledger(app.workspace.ledger_path) as ledger:
        return ledger.orders()


def order_lines(out: str) -> list[str]:
    """The 督办单 part of ``duban status`` (its last lines)."""
    lines = out.splitlines()
    return lines[next(i for i, line in enumerate(lines) if line.startswith("未办结的督办单")) :]


def drop_ledger(app) -> None:
    for name in ("ledger.sqlite", "ledger.sqlite-wal", "ledger.sqlite-shm"):
        (app.workspace.root / name).unlink(missing_ok=True)


def test_status_json_lists_the_open_orders_as_the_text_does(year, duban, monkeypatch):
    bulletin(year, 2, date(2024, 7, 10))
    bulletin(year, 3, date(2024, 10, 14))
    q4_due = deadline(date(2024, 12, 31))
    want = {
        "number": "禹督办〔2024〕2号",
        "period": "2024Q3",
        "units": ["东集团"],
        "task_id": "7",
        "task": "7",
        "rung": "挂牌督办",
        "due": q4_due.isoformat(),
        "state": "办理中",
    }
    monkeypatch.setenv("DUBAN_FAKE_NOW", "2024-10-20T09:00:00+08:00")
    for args in (("status", "--json"), ("status", "--period", "2024Q3", "--json")):
        res = duban(*args)
        assert res.code == 0, res.output
        assert json.loads(res.out)["orders"] == [want], args  # 1号 was answered (续办)
    text = order_lines(duban("status", "--period", "2024Q3").out)
    assert text[0] == "未办结的督办单 1 份：" and len(text) == 2
    assert "禹督办〔2024〕2号" in text[1] and f"整改时限 {cn(q4_due)}" in text[1]
    assert "已过时限" not in text[1]
    # the day after its 时限, unanswered: late in both
    late = (q4_due + timedelta(days=1)).isoformat()
    monkeypatch.setenv("DUBAN_FAKE_NOW", f"{late}T09:00:00+08:00")
    assert json.loads(duban("status", "--json").out)["orders"] == [{**want, "state": "已过时限"}]
    assert order_lines(duban("status").out)[1].endswith("，已过时限")
    # the Q4 return closes it; Q4's own (tasks 6 and 8) are listed instead
    bulletin(year, 4, date(2025, 1, 9))
    got = json.loads(duban("status", "--json").out)["orders"]
    assert [(o["number"], o["task"], o["units"], o["rung"]) for o in got] == [
        ("禹督办〔2024〕3号", "6", ["三街道"], "挂牌督办"),
        ("禹督办〔2024〕4号", "8", ["东集团"], "挂牌督办"),
    ]
    assert [line.split("　")[0].strip() for line in order_lines(duban("status").out)[1:]] == [
        o["number"] for o in got
    ]


def test_orders_come_back_after_the_ledger_is_lost(year, duban, monkeypatch):
    """Red in Q2 and Q3: 督办单 1号 (Q2, answered by Q3: 续办) and 2号 (Q3, open). The ledger
    lost and rebuilt: the same numbers, rungs, 时限 and states in the ledger, `duban status`
    (text and --json) and the 看板's list; the Q4 return still closes 2号 and Q4's own take
    the numbers after it."""
    monkeypatch.setenv("DUBAN_FAKE_NOW", "2024-10-20T09:00:00+08:00")
    bulletin(year, 2, date(2024, 7, 10))
    bulletin(year, 3, date(2024, 10, 14))
    q3_due, q4_due = deadline(date(2024, 9, 30)), deadline(date(2024, 12, 31))
    before = orders_of(year)
    assert [
        (o.text, o.task_id, o.rung, o.due, o.units, o.outcome, o.answered_in) for o in before
    ] == [
        ("禹督办〔2024〕1号", "7", "书面说明", q3_due.isoformat(), ["东集团"], "续办", "2024Q3"),
        ("禹督办〔2024〕2号", "7", "挂牌督办", q4_due.isoformat(), ["东集团"], None, None),
    ]
    text = order_lines(duban("status", "--period", "2024Q3").out)
    listed = json.loads(duban("status", "--json").out)["orders"]
    assert [o["number"] for o in listed] == ["禹督办〔2024〕2号"]
    page = order_rows(before, Period(YEAR, 3), date(2024, 10, 20))
    assert [(r["text"], r["state"]) for r in page] == [
        ("禹督办〔2024〕1号", "续办（第三季度报送）"),
        ("禹督办〔2024〕2号", "办理中"),
    ]
    drop_ledger(year)
    res = duban("recover")
    assert res.code == 0, res.output
    assert "恢复 2 份" in res.out and "已由后一季度报送答复 1 份" in res.out
    after = orders_of(year)
    assert after == before  # every field: number, rung, 时限, answer and its returns
    assert order_lines(duban("status", "--period", "2024Q3").out) == text
    assert json.loads(duban("status", "--json").out)["orders"] == listed
    assert order_rows(after, Period(YEAR, 3), date(2024, 10, 20)) == page
    # recover rebuilt the quarters from the archive, which this hand-built year does not
    # have: the test puts its own quarters and returns back
    install_red_year(year)
    q4 = bulletin(year, 4, date(2025, 1, 9))
    assert [(o.text, o.outcome, o.answered_in) for o in q4.orders.answered] == [
        ("禹督办〔2024〕2号", "办结", "2024Q4")
    ]
    assert [(d.record.task_id, d.record.text) for d in q4.orders.issued] == [
        ("6", "禹督办〔2024〕3号"),
        ("8", "禹督办〔2024〕4号"),
    ]
    assert "禹督办〔2024〕2号" not in duban("status").out


class Killed(BaseException):
    """The process dying between a trace written and its ledger row committed."""


def dying(write):
    """``write`` (``_insert`` or ``_answer``) killed when it writes the run's own row; putting
    back what the traces hold (``keep=True``, before the run) still works."""

    def die(conn, record, **kw):
        if kw.get("keep"):
            return write(conn, record, **kw)
        raise Killed

    return die


@pytest.mark.parametrize("then", ["rerun", "recover"])
@pytest.mark.parametrize(
    ("where", "traced", "answer"),
    [
        (
            "_insert",
            ["2024Q2/0001.answer.json", "2024Q2/0001.order.json", "2024Q3/0002.order.json"],
            "续办",  # answered in its own transaction before 2号 was issued
        ),
        ("_answer", ["2024Q2/0001.answer.json", "2024Q2/0001.order.json"], None),
    ],
)
def test_a_kill_between_trace_and_ledger_loses_no_order_and_doubles_none(
    year, duban, monkeypatch, where, traced, answer, then
):
    """Killed in the Q3 通报 after a trace was written, before its row was committed (issuing
    2号, or answering 1号): the next run (or ``duban recover`` first) has each 督办单 once."""
    bulletin(year, 2, date(2024, 7, 10))
    write = getattr(ledger_orders, where)
    monkeypatch.setattr(ledger_orders, where, dying(write))
    with pytest.raises(Killed):
        bulletin(year, 3, date(2024, 10, 14))
    monkeypatch.setattr(ledger_orders, where, write)
    root = year.workspace.root / "orders"
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*.json")) == traced
    assert [(o.text, o.outcome) for o in orders_of(year)] == [("禹督办〔2024〕1号", answer)]
    if then == "recover":
        drop_ledger(year)
        assert duban("recover").code == 0
        install_red_year(year)
    [o3] = bulletin(year, 3, date(2024, 10, 14)).orders.issued
    assert what(o3) == ("7", "挂牌督办", "禹督办〔2024〕2号")
    assert [(o.text, o.period, o.outcome, o.answered_in) for o in orders_of(year)] == [
        ("禹督办〔2024〕1号", "2024Q2", "续办", "2024Q3"),
        ("禹督办〔2024〕2号", "2024Q3", None, None),
    ]
    [o4, *_] = bulletin(year, 4, date(2025, 1, 9)).orders.issued
    assert o4.record.text == "禹督办〔2024〕3号"  # no number taken twice


def test_a_number_held_only_by_a_trace_is_never_given_again(year, monkeypatch):
    """Killed issuing Q3's 2号, then Q4's 通报 made before Q3's is rerun: Q4's take 3号 and
    4号 (2号 is the trace's), and the rerun of Q3 gives 2号 to the task it was traced for."""
    bulletin(year, 2, date(2024, 7, 10))
    write = ledger_orders._insert
    monkeypatch.setattr(ledger_orders, "_insert", dying(write))
    with pytest.raises(Killed):
        bulletin(year, 3, date(2024, 10, 14))
    monkeypatch.setattr(ledger_orders, "_insert", write)
    q4 = bulletin(year, 4, date(2025, 1, 9))
    assert [(d.record.task_id, d.record.text) for d in q4.orders.issued] == [
        ("6", "禹督办〔2024〕3号"),
        ("8", "禹督办〔2024〕4号"),
    ]
    [o3] = bulletin(year, 3, date(2024, 10, 14)).orders.issued
    assert what(o3) == ("7", "挂牌督办", "禹督办〔2024〕2号")
    numbers = [o.number for o in orders_of(year)]
    assert numbers == [1, 2, 3, 4]


def test_a_ledger_copy_older_than_the_last_bulletin_gets_its_orders_back(year, duban):
    """The ledger put back from a copy taken before Q3's 通报 (the way back from a damaged
    ledger): the next 通报 takes Q3's 督办单 and Q3's answer to Q2's from their traces, the Q4
    return closes 2号 and Q4's own are numbered after it."""
    bulletin(year, 2, date(2024, 7, 10))
    path = year.workspace.ledger_path
    copy = path.with_name("older.sqlite")
    src, dst = sqlite3.connect(path), sqlite3.connect(copy)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    bulletin(year, 3, date(2024, 10, 14))
    drop_ledger(year)
    copy.rename(path)
    assert [(o.text, o.outcome) for o in orders_of(year)] == [("禹督办〔2024〕1号", None)]
    q4 = bulletin(year, 4, date(2025, 1, 9))
    assert [(o.text, o.outcome) for o in q4.orders.answered] == [("禹督办〔2024〕2号", "办结")]
    assert [(o.text, o.period, o.outcome, o.answered_in) for o in orders_of(year)] == [
        ("禹督办〔2024〕1号", "2024Q2", "续办", "2024Q3"),
        ("禹督办〔2024〕2号", "2024Q3", "办结", "2024Q4"),
        ("禹督办〔2024〕3号", "2024Q4", None, None),
        ("禹督办〔2024〕4号", "2024Q4", None, None),
    ]


# -- sent with `duban bulletin --send` ---------------------------------------------------


@office
def test_each_order_mailed_to_its_lead_units_once(app, duban, monkeypatch):
    """The bundled registry's first quarter (tests/test_report.sample_result): every task lit
    red there is 书面说明 ([ladder] written_red = 1); each lead unit gets its 督办单 as a PDF
    beside the 通报, and a rerun sends nothing again."""
    app.ledger().close()
    res = sample_result(app)
    path = app.workspace.merged_json(P)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(res.to_json(), encoding="utf-8")
    port = free_port()
    for key, value in {
        "DUBAN_FAKE_NOW": "2024-04-10T09:00:00+08:00",
        "DUBAN_SMTP_HOST": "127.0.0.1",
        "DUBAN_SMTP_PORT": str(port),
        "DUBAN_SMTP_SECURITY": "none",
        "DUBAN_SMTP_SENDER": "duban@yuhui.example",
        "DUBAN_SMTP_RETRIES": "0",
    }.items():
        monkeypatch.setenv(key, value)
    servers = SmtpServers(port)
    try:
        handler = servers()
        out = duban("bulletin", "--period", "2024Q1", "--send")
        assert out.code == 0, out.output
        red = [r for r in sorted(res.rows, key=id_order) if r.lead_reports and r.light == "红"]
        assert red, "the sample quarter has red tasks"
        office_unit = app.settings.district.office
        want = Counter()
        for n, r in enumerate(red, 1):
            for unit in r.lead_units:
                if unit != office_unit:
                    want[(app.registry.units[unit].email, f"禹督办〔2024〕{n}号")] += 1
        got = Counter()
        for _, rcpts, msg in handler.messages:
            subject = msg["Subject"]
            if not subject.startswith("【督查督办通知单】"):
                continue
            number = subject.removeprefix("【督查督办通知单】").split("（")[0]
            assert "黄色督办·书面说明" in subject
            (part,) = list(msg.iter_attachments())
            assert part.get_content_type() == "application/pdf"
            assert part.get_content().startswith(b"%PDF")
            got[(rcpts[0], number)] += 1
        assert got == want
        sent = len(handler.messages)
        again = duban("bulletin", "--period", "2024Q1", "--send")
        assert again.code == 0, again.output
        assert len(handler.messages) == sent  # nothing twice
        assert f"督办单邮件：发送 0，此前已发送 {sum(want.values())}，失败 0" in again.out
    finally:
        servers.stop()


def id_order(row) -> tuple:
    return tuple(int(x) for x in row.id.split("."))


# -- the report names the rung -------------------------------------------------------------


def test_the_report_names_each_task_on_the_ladder_by_its_rung(app, tmp_path):
    """Two tasks red in Q1 and Q2 (20 points behind: red) → 书面说明 in the Q2 report; one of
    them red again in Q3 → 挂牌督办 (the year's second half), the other caught up → none."""
    from report_helpers import Said, render_quarter, written_result
    from test_report_text import next_step_paragraphs

    from reporting.core.model import Status

    late = Said(Status.LAGGING)
    q1 = written_result(app, Period(YEAR, 1), {"18.3": late, "21.2": late})
    q2 = written_result(app, Period(YEAR, 2), {"18.3": late, "21.2": late})
    first = next_step_paragraphs(render_quarter(app, tmp_path / "q2", q2, previous=q1).docx)[0]
    assert "按督办升级规则，第18（3）项、第21（2）项共2项任务由牵头单位书面说明" in first
    q3 = written_result(app, Period(YEAR, 3), {"18.3": late})
    first = next_step_paragraphs(render_quarter(app, tmp_path / "q3", q3, previous=q2).docx)[0]
    assert "按督办升级规则，第18（3）项任务列入挂牌督办，督办单随督查通报印发牵头单位。" in first
    assert "21（2）" not in first
    app.settings.ladder.enabled = False
    first = next_step_paragraphs(render_quarter(app, tmp_path / "off", q3, previous=q2).docx)[0]
    assert "督办升级" not in first
