"""考核评价 on a hand-built year: every rubric rule, scores computed in the test from the rubric,
components that do not apply left out and the rest scaled, traceable points in words,
byte-identical reruns, the office's two sheets and the CLI."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
import pytest
from assess_helpers import KINDS, YEAR, install_year
from helpers import NOT_FOR_CLERKS, at, clerk_cells, unbroken

from reporting.assess.score_sheet import SHEET_POINTS, SHEET_SCORES, run_score
from reporting.assess.scoring import (
    ADJUST,
    COOP,
    INDICATORS,
    LEADER,
    PROGRESS,
    REPORTING,
    WORKLOAD,
)
from reporting.core.exceptions import AssessError
from reporting.core.ledger import Ledger
from reporting.core.periods import Period

COMPS = (REPORTING, PROGRESS, COOP, INDICATORS, LEADER)
FULL = {REPORTING: 20, PROGRESS: 40, COOP: 15, INDICATORS: 15, LEADER: 10}
# By hand, from tests/assess_helpers.py and the bundled [scoring]: 报送质量 5 a quarter (late
# −2, resubmitted −1, missing −5); 任务推进 40 and 指标完成 15, quarters weighted 1, 1, 1, 2
# (Q1–Q3 every task 序时推进 90 %); 配合任务 15; 领导评价 10 from the sheet below; 工作量 0.3
# per lead task + 0.1 per indicator; None: the component does not apply.
EXPECTED = {
    #        报送  任务推进 配合 指标 领导 工作量 加减分
    "甲局": (20, 37.6, None, 15, 9, 0.4, 0),  # Q4 已完成: 40 × (3×90 + 2×100)/5 %; GDP on track
    "乙局": (18, 29.6, 15, None, 6, 0.3, -1),  # Q1 late; Q4 滞后 60 − 黄 10: 40 × (270 + 100)/500
    "丙局": (19, 36, 11.25, None, None, 0.3, 0),  # Q2 resubmitted; 序时推进 all year; Q1 blank 3/4
    "丁局": (15, 28.8, None, None, None, 0.3, 0),  # Q3 missing: its co-led task 0 that quarter
    "戊局": (20, None, 15, None, None, 0, 2),  # no lead task: not ranked
    "己局": (20, None, 15, None, None, 0, 0),
    "一乡": (15, 21.6, 7.5, None, None, 0.3, 0),  # Q4 rejected: 未报送 0 at weight 2; coop 2/4
    "二镇": (17, 36, None, 7.5, None, 0.4, 0),  # Q1 rejected then late; Q4 超序时 − 黄 10 = 90
    "三街道": (20, 23.2, None, None, None, 0.3, 0),  # Q4 未启动 30 − 红 20 = 10
    "四街道": (20, None, 15, None, 8, 0, 5),  # +4 and +3 capped at +5
    # Q4: (1×100 + 2×(60 − 20))/3 = 60 → 40 × (270 + 120)/500; indicators: 投资额 on track
    # in Q1–Q2 (70 ≥ 25q) and 税收 never reported → (50 + 50 + 25 + 2×25)/5 % of 15
    "东集团": (20, 31.2, 15, 5.25, None, 0.8, 0),
    "西集团": (10, None, 7.5, None, None, 0, 0),  # Q2, Q3 missing; coop 2/4
}
LEADER_ROWS = [
    ("甲局", 9, "张斌", "推进有力"),
    ("乙局", 6, "崔海锋", ""),
    ("四街道", 8, "王勇", ""),
]
ADJUSTMENTS = [
    ("乙局", -1, "信息报送错误被市里通报", "禹督考〔2024〕7号"),
    ("戊局", 2, "工作获省级表彰", "皖政办〔2024〕12号"),
    ("四街道", 4, "创新案例入选全省推广", "禹政办〔2024〕3号"),
    ("四街道", "+3", "专项督查排名第一", "禹督考〔2024〕9号"),
]
LEADS = {"甲局", "乙局", "丙局", "丁局", "一乡", "二镇", "三街道", "东集团"}
GROUPS = {"department": "区直部门", "township": "乡镇、街道", "street": "乡镇、街道"}
# the hand-built year's units.csv kinds are the older ones: each loads as its class
CLASSES = {
    "department": "政府工作部门",
    "township": "乡镇",
    "street": "街道",
    "enterprise": "国有企业",
}


def cents(value) -> float:
    return float(Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def expected_total(unit: str) -> float:
    """The rubric's formula: Σ applicable ÷ Σ their full marks × 100 + 工作量 + 加减分."""
    *parts, workload, adjust = EXPECTED[unit]
    got = sum(p for p in parts if p is not None)
    full = sum(FULL[c] for c, p in zip(COMPS, parts, strict=True) if p is not None)
    return cents(cents(100 * got / full) + workload + adjust)


def expected_ranks(without_lead_ranked: bool) -> dict[str, int]:
    ranks = {}
    for group in ("区直部门", "乡镇、街道", "国有企业"):
        members = [u for u, k in KINDS.items() if GROUPS.get(k, "国有企业") == group]
        ranked = [u for u in members if u in LEADS or without_lead_ranked]
        ranked.sort(key=lambda u: (u not in LEADS, -expected_total(u)))
        ranks.update({u: i for i, u in enumerate(ranked, 1)})
    return ranks


def write_sheet(path, headers, rows):
    wb = openpyxl.Workbook()
    wb.active.append(["登记表"])
    wb.active.append(headers)
    for row in rows:
        wb.active.append(list(row))
    wb.save(path)


@pytest.fixture
def year(app):
    """The hand-built year in the app's data dir (merged results, ledger, the office's sheets)."""
    ws = app.workspace
    app.settings.scoring.section_weights = {"1": 2.0}
    install_year(app)
    folder = ws.root / str(YEAR)
    folder.mkdir(parents=True, exist_ok=True)
    write_sheet(folder / "考核调整.xlsx", ["单位", "分值", "事由", "文号"], ADJUSTMENTS)
    leader = [(u, "", "", "") for u in KINDS if u not in dict.fromkeys(r[0] for r in LEADER_ROWS)]
    write_sheet(
        folder / "领导评价.xlsx", ["单位", "得分", "评价人", "说明"], [*LEADER_ROWS, *leader]
    )
    return app


def score(app, upto=None):
    with app.ledger() as ledger:
        return run_score(
            app.settings, app.workspace, ledger, YEAR, upto=upto, now=at(date(2025, 1, 10))
        )


def test_scores_equal_the_rubric_computed_in_the_test(year):
    card = score(year).card
    assert card.periods == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    ranks = expected_ranks(without_lead_ranked=False)
    for unit, want in EXPECTED.items():
        u = card.unit(unit)
        got = tuple(u.scores.get(c) for c in (*COMPS, WORKLOAD, ADJUST))
        assert got == want, unit
        assert set(u.maxima) == {c for c, p in zip(COMPS, want, strict=False) if p is not None}
        assert u.total == expected_total(unit), unit
        assert u.rank == ranks.get(unit, 0), unit
        assert u.ranked == (unit in LEADS)
    assert card.unit("戊局").notes == {
        PROGRESS: "无牵头任务，任务推进、指标完成不计入，不参加排名",
        LEADER: "未填写领导评价，本项不计入",
    }
    assert card.unit("丙局").notes == {
        INDICATORS: "牵头任务无量化指标，指标完成不计入",
        LEADER: "未填写领导评价，本项不计入",
    }
    # without the scaling, 戊局 (no lead task, 102) would be first; it is not ranked at all
    assert expected_total("戊局") > expected_total("甲局") and card.unit("甲局").rank == 1


def test_a_unit_without_lead_task_never_outranks_one_that_led(year):
    year.settings.scoring.rank_without_lead = True
    card = score(year).card
    ranks = expected_ranks(without_lead_ranked=True)
    for unit in EXPECTED:
        assert card.unit(unit).rank == ranks[unit], unit
    for group in {u.group for u in card.units}:
        members = [u for u in card.units if u.group == group]
        for idle in (u for u in members if not u.leads):
            for busy in (u for u in members if u.leads):
                assert idle.rank > busy.rank, (idle.unit, busy.unit)
    # 甲局 led its task and met it every quarter; 戊局 led none and scores more
    assert card.unit("戊局").total > card.unit("甲局").total
    assert card.unit("戊局").rank > card.unit("甲局").rank


def test_points_add_up_and_say_where_to_find_them(year):
    card = score(year).card
    with Ledger(year.workspace.ledger_path) as ledger:
        conn = ledger.conn
        for p in card.points:
            assert not re.search(NOT_FOR_CLERKS, p.source), p
            if not p.event:  # 领导评价, 工作量: a sheet row or the year's tasks
                assert p.component in (LEADER, WORKLOAD), p
                continue
            table, _, ident = p.event.partition("#")
            row = conn.execute(f"SELECT * FROM {table} WHERE id = ?", (int(ident),)).fetchone()
            assert row is not None and row["unit"] == p.unit, p
            if table == "returns":
                label = Period.parse(row["period"]).full_label
                assert p.source.startswith(f"{label} {p.unit} "), p
                assert f"archive/{row['sha256'][:2]}/{row['sha256']}.xlsx" in p.source, p
            elif table == "sends":
                assert p.source.startswith(
                    f"{Period.parse(row['period']).full_label} 向{p.unit}"
                ), p
            else:
                assert p.source == f"考核调整.xlsx 第 {row['row']} 行（{row['doc_no']}）", p
    for u in card.units:
        for comp in (*COMPS, WORKLOAD, ADJUST):
            mine = [p.points for p in card.points if p.unit == u.unit and p.component == comp]
            if comp not in u.scores:
                assert not mine, (u.unit, comp)
                continue
            assert all(p == cents(p) for p in mine), (u.unit, comp)  # stored to the cent
            assert cents(sum(mine)) == u.scores[comp], (u.unit, comp)
    # the resubmission's deduction names the rejected first version, the return in force the second
    cut = next(p for p in card.points if p.unit == "丙局" and p.fact == "被退回后重报")
    assert "（第1份，被退回，" in cut.source and "2024年第二季度 丙局 6月20日" in cut.source
    facts = {p.fact for p in card.points}
    for fact in ("逾期报送", "被退回后重报", "未报送", "退回后未重报"):
        assert fact in facts, fact
    for fact in ("配合情况沿用上季度内容，未更新", "未填写配合情况"):
        assert fact in facts, fact
    capped = [p for p in card.points if p.unit == "四街道" and p.component == ADJUST]
    assert [p.points for p in capped] == [4, 1] and "超出±5分上限" in capped[1].fact
    lead = next(p for p in card.points if p.unit == "甲局" and p.component == LEADER)
    assert lead.points == 9 and lead.source == "领导评价.xlsx 第 3 行（评价人：张斌）"


def test_the_workbook_reads_back_for_a_clerk(year):
    out = score(year)
    first = hashlib.sha256(out.path.read_bytes()).hexdigest()
    wb = openpyxl.load_workbook(out.path)
    assert wb.sheetnames == [SHEET_SCORES, SHEET_POINTS, "评分规则"]
    table = [[c.value for c in r] for r in wb[SHEET_SCORES].iter_rows(min_row=3)]
    head = [h.split("\n")[0] for h in table[0]]
    assert head[:4] == ["序号", "单位", "单位类别", "排名组"]
    assert head[-3:] == ["总分", "组内排名", "说明"]
    rows = {r[1]: dict(zip(head, r, strict=True)) for r in table[1:]}
    assert set(rows) == set(KINDS)
    ranks = expected_ranks(without_lead_ranked=False)
    for unit, want in EXPECTED.items():
        row = rows[unit]
        for comp, value in zip(COMPS, want, strict=False):
            assert row[comp] == ("—" if value is None else value), (unit, comp)
        assert row["总分"] == expected_total(unit)
        assert row["组内排名"] == ranks.get(unit, "不排名")
        assert row["单位类别"] == CLASSES[KINDS[unit]]
    assert rows["东集团"]["适用项"] == 90 and rows["东集团"]["折算得分"] == cents(100 * 71.45 / 90)
    numbers = [v for r in wb[SHEET_SCORES].iter_rows(min_row=4, values_only=True) for v in r[4:14]]
    assert all(v == cents(v) for v in numbers if isinstance(v, float))
    points = wb[SHEET_POINTS]
    periods = {r[2] for r in points.iter_rows(min_row=4, values_only=True)}
    assert periods == {"第一季度", "第二季度", "第三季度", "第四季度", "全年"}
    for path in (out.path, *(year.workspace.root / str(YEAR)).glob("*.xlsx")):
        bad = [c for c in clerk_cells(path) if re.search(NOT_FOR_CLERKS, c[2])]
        assert not bad, (path.name, bad[:3])
    again = score(year)
    assert hashlib.sha256(again.path.read_bytes()).hexdigest() == first
    # adjustments are recorded once per version of the sheet
    conn = sqlite3.connect(year.workspace.ledger_path)
    assert conn.execute("SELECT COUNT(*) FROM adjustments").fetchone()[0] == len(ADJUSTMENTS)


def test_running_score_up_to_a_quarter(year):
    out = score(year, upto=Period(YEAR, 2))
    card = out.card
    assert card.periods == ["2024Q1", "2024Q2"]
    assert out.path.name == "考核评分表（截至第二季度）.xlsx"
    assert card.unit("西集团").scores[REPORTING] == 5  # Q1 on time, Q2 missing
    assert card.unit("丙局").scores[REPORTING] == 9
    assert card.unit("乙局").scores[PROGRESS] == 36  # Q1, Q2: 序时推进, 绿
    assert card.unit("东集团").scores[INDICATORS] == 7.5  # 投资额 on track, 税收 missing


def test_bad_rows_of_the_office_sheets_name_the_cell(year):
    sheet = year.workspace.root / str(YEAR) / "考核调整.xlsx"
    wb = openpyxl.load_workbook(sheet)
    wb.active["D4"] = None
    wb.active.append(["不存在的单位", 1, "理由", "某文号"])
    wb.save(sheet)
    with pytest.raises(AssessError, match=r"第 4 行没有填写“文号”（D4 单元格）"):
        score(year)
    wb.active["D4"] = "禹督考〔2024〕7号"
    wb.save(sheet)
    with pytest.raises(AssessError, match="不存在的单位.*A7"):
        score(year)
    sheet.unlink()
    leader = year.workspace.root / str(YEAR) / "领导评价.xlsx"
    wb = openpyxl.load_workbook(leader)
    wb.active["B3"] = 12
    wb.save(leader)
    with pytest.raises(AssessError, match="第 3 行的得分 12 超出 0–10"):
        score(year)
    wb.active["B3"], wb.active["C3"] = 9, None
    wb.save(leader)
    with pytest.raises(AssessError, match="没有填写“评价人”（C3 单元格）"):
        score(year)


def test_cli_writes_the_sheets_then_scores(year, duban):
    folder = year.workspace.root / str(YEAR)
    (folder / "考核调整.xlsx").unlink()
    (folder / "领导评价.xlsx").unlink()
    res = duban("score", "--year", "2024")
    assert res.code == 0, res.output
    assert "考核评分表已生成" in res.out and "已生成空表" in res.out
    assert "领导评价表已生成" in res.out and "2024Q" not in res.out
    template = openpyxl.load_workbook(folder / "考核调整.xlsx").active
    assert template["A3"].value == "单位"
    sheet = openpyxl.load_workbook(folder / "领导评价.xlsx").active
    listed = [r[0] for r in sheet.iter_rows(min_row=4, values_only=True)]
    assert listed == list(KINDS)  # every unit scored, points left to the office
    scores = openpyxl.load_workbook(folder / "考核评分表.xlsx")[SHEET_SCORES]
    assert "《领导评价.xlsx》还没有填写，领导评价暂不计入。" in unbroken(scores["A2"].value)
    assert "领导评价表还没有填写得分" not in res.out and "领导评价暂不计入各单位总分" in res.out
    res = duban("score", "--year", "2024", "--period", "2023Q4")
    assert res.code == 1 and "不在考核年度 2024 内" in res.err


def test_no_merged_result_is_a_clear_error(duban):
    res = duban("score", "--year", "2024")
    assert res.code == 1 and "还没有任何季度的汇总结果" in res.err


def test_a_silent_co_lead_scores_nothing_for_the_task_its_partner_reported(app, monkeypatch):
    """Task 3 is led by 丙局 and 丁局; in Q4 丁局's return was rejected and never fixed (in Q3
    it sent nothing), 丙局 reported 序时推进 (绿) every quarter. In the 考核评分表, 丁局's
    任务推进 takes the 未报送 rate for Q3 and Q4, not 丙局's."""
    import assess_helpers

    monkeypatch.setitem(assess_helpers.FATES, ("丁局", 4), "rejected")
    install_year(app)
    sc = app.settings.scoring
    out = score(app)
    ws = openpyxl.load_workbook(out.path)[SHEET_SCORES]
    header = [c.value for c in ws[3]]
    col = next(i for i, h in enumerate(header) if str(h).startswith(PROGRESS))
    cells = {r[1]: r[col] for r in ws.iter_rows(min_row=4, values_only=True)}
    # 丁局 and 丙局 lead task 3 only (assess_helpers.TASKS): the quarters' rates, weighted
    on_pace, silent = sc.status_rates["序时推进"], sc.status_rates.get("未报送", 0)
    w = sc.quarter_weights
    rates = (on_pace, on_pace, silent, silent)
    mean = sum(wq * r for wq, r in zip(w, rates, strict=True)) / sum(w)
    assert cells["丁局"] == sc.progress_points * mean / 100 == 14.4
    assert cells["丙局"] == sc.progress_points * on_pace / 100


def test_the_points_sheet_prints_a_units_source_once_per_run(year):
    """明细 on paper: a return backs many rows of a unit in a row; its long 依据 (the archive
    path) is printed on the first, the rows under it say 同上 and stay one line tall, so the
    sheet is not a hundred pages of repeated paths."""
    out = score(year)
    ws = openpyxl.load_workbook(out.path)[SHEET_POINTS]
    rows = [tuple(map(unbroken, r)) for r in ws.iter_rows(min_row=4, values_only=True)]
    assert len(rows) == len(out.card.points)
    same, full = 0, None
    for n, (unit, _comp, _q, _task, fact, _pts, source) in enumerate(rows, 4):
        if source == "同上":
            same += 1
            assert rows[n - 5][0] == unit, n  # under a row of the same unit
            if len(fact) <= 16:  # one line of 事实 fits, and 同上 does
                assert ws.row_dimensions[n].height <= 22, n
        else:
            full = source
            assert source in {p.source for p in out.card.points if p.unit == unit}
        assert full is not None
    # every point's 依据 is printed in full at least once for its unit
    shown = {(r[0], r[6]) for r in rows if r[6] != "同上"}
    assert {(p.unit, p.source) for p in out.card.points} <= shown
    assert same >= 10  # the year's returns back several rows each
    # a unit's rows run by quarter, the whole year's last, so each quarter's return backs
    # one run of rows and its 依据 is printed in full once
    rank = ["第一季度", "第二季度", "第三季度", "第四季度", "全年"]
    for unit in {r[0] for r in rows}:
        quarters = [rank.index(r[2]) for r in rows if r[0] == unit]
        assert quarters == sorted(quarters), unit
    printed = [(r[0], r[6]) for r in rows if "报送的进展情况表" in r[6]]
    assert len(printed) == len(set(printed))
