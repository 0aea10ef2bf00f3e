"""考核评价 on a hand-built year: every rubric rule, hand-computed scores, traceable points,
byte-identical reruns, the adjustments sheet and the CLI."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import date

import openpyxl
import pytest
from assess_helpers import KINDS, YEAR, install_year
from helpers import at

from reporting.assess.score_sheet import SHEET_POINTS, SHEET_SCORES, run_score
from reporting.assess.scoring import ADJUST, COOP, INDICATORS, PROGRESS, REPORTING
from reporting.core.exceptions import AssessError
from reporting.core.ledger import Ledger
from reporting.core.periods import Period

# by hand, from tests/assess_helpers.py and the bundled [scoring] (5/2/1/5 per quarter;
# progress 50 with 板块一 weighted 2; coop 15; indicators 15, behind 50 %)
EXPECTED = {
    #          报送质量 任务推进 配合任务 指标完成 加减分
    "甲局": (20, 50, 15, 15, 0),  # 已完成 (weight 2) → 100 %; GDP on track
    "乙局": (18, 25, 15, 15, -1),  # Q1 late −2; 滞后 60 − 黄 10 = 50 %; −1 adjustment
    "丙局": (19, 45, 11.25, 15, 0),  # Q2 resubmitted −1; 序时推进 90 %; Q1 feedback blank: 3/4
    "丁局": (15, 45, 15, 15, 0),  # Q3 missing −5; co-lead 序时推进 90 %
    "戊局": (20, 50, 15, 15, 2),  # no lead task: full; +2
    "己局": (20, 50, 15, 15, 0),
    "一乡": (
        15,
        0,
        7.5,
        15,
        0,
    ),  # Q4 rejected, never fixed −5; its task 未报送 0; Q3 prefilled, Q4 none: 2/4
    "二镇": (
        17,
        45,
        15,
        7.5,
        0,
    ),  # Q1 rejected then late −1 −2; 超序时 100 − 黄 10; indicator behind 50 %
    "三街道": (20, 5, 15, 15, 0),  # 未启动 30 − 红 20 = 10 %
    "四街道": (20, 50, 15, 15, 5),  # +4 and +3 capped at +5
    "东集团": (20, 30, 15, 3.75, 0),  # (1×100 + 2×(60 − 20)) / 3 = 60 %; indicators 50 % and 0
    "西集团": (10, 50, 7.5, 15, 0),  # Q2, Q3 missing; coop 2/4
}
RANKS = {
    "戊局": 1, "甲局": 2, "己局": 2, "丙局": 4, "丁局": 5, "乙局": 6,
    "四街道": 1, "二镇": 2, "三街道": 3, "一乡": 4,
    "西集团": 1, "东集团": 2,
}  # fmt: skip
ADJUSTMENTS = [
    ("乙局", -1, "信息报送错误被市里通报", "禹督考〔2024〕7号"),
    ("戊局", 2, "工作获省级表彰", "皖政办〔2024〕12号"),
    ("四街道", 4, "创新案例入选全省推广", "禹政办〔2024〕3号"),
    ("四街道", "+3", "专项督查排名第一", "禹督考〔2024〕9号"),
]


@pytest.fixture
def year(app):
    """The hand-built year in the app's data dir (merged results, ledger, adjustments)."""
    ws = app.workspace
    app.settings.scoring.section_weights = {"1": 2.0}
    install_year(app)
    sheet = ws.root / str(YEAR) / "考核调整.xlsx"
    sheet.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    wb.active.append(["考核加分、减分登记表"])
    wb.active.append(["单位", "分值", "事由", "文号"])
    for row in ADJUSTMENTS:
        wb.active.append(list(row))
    wb.save(sheet)
    return app


def score(app, upto=None):
    with app.ledger() as ledger:
        return run_score(
            app.settings, app.workspace, ledger, YEAR, upto=upto, now=at(date(2025, 1, 10))
        )


def test_scores_equal_the_hand_computed_values(year):
    out = score(year)
    card = out.card
    assert card.periods == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    for unit, expected in EXPECTED.items():
        got = card.unit(unit).scores
        assert tuple(got[c] for c in (REPORTING, PROGRESS, COOP, INDICATORS, ADJUST)) == expected, (
            unit
        )
        assert card.unit(unit).total == round(sum(expected), 2)
        assert card.unit(unit).rank == RANKS[unit], unit
    assert card.unit("戊局").notes[PROGRESS] == "无牵头任务，本项按满分计"
    assert [u.group for u in card.ranked()][:6] == ["区直部门"] * 6


def test_points_add_up_and_each_names_a_real_ledger_record(year):
    card = score(year).card
    with Ledger(year.workspace.ledger_path) as ledger:
        conn = ledger.conn
        for p in card.points:
            table, _, ident = p.event.partition("#")
            assert table in ("returns", "sends", "adjustments"), p
            row = conn.execute(f"SELECT * FROM {table} WHERE id = ?", (int(ident),)).fetchone()
            assert row is not None, p
            assert row["unit"] == p.unit, p
            if table != "adjustments":
                assert row["period"] == p.period, p
            if table == "returns":
                assert p.file == "" or p.file == row["source"], p
    for u in card.units:
        for comp in (REPORTING, PROGRESS, COOP, INDICATORS, ADJUST):
            if comp in u.notes:
                assert not [p for p in card.points if p.unit == u.unit and p.component == comp]
                continue
            total = sum(p.points for p in card.points if p.unit == u.unit and p.component == comp)
            assert round(total, 2) == u.scores[comp], (u.unit, comp)
    # the rules, each seen in the 明细
    facts = {p.fact for p in card.points}
    for fact in (
        "逾期报送",
        "被退回后重报",
        "未报送",
        "退回后未重报",
        "配合情况沿用上季度内容，未更新",
        "未填写配合情况",
    ):
        assert fact in facts, fact
    capped = [p for p in card.points if p.unit == "四街道" and p.component == ADJUST]
    assert [p.points for p in capped] == [4, 1] and "超出±5分上限" in capped[1].fact


def test_the_workbook_reads_back_and_reruns_are_byte_identical(year):
    out = score(year)
    first = hashlib.sha256(out.path.read_bytes()).hexdigest()
    wb = openpyxl.load_workbook(out.path)
    assert wb.sheetnames == [SHEET_SCORES, SHEET_POINTS, "评分规则"]
    ws = wb[SHEET_SCORES]
    header = [c.value for c in ws[3]]
    assert header[1] == "单位" and header[-3:] == ["总分", "组内排名", "说明"]
    rows = {r[1]: r for r in ws.iter_rows(min_row=4, values_only=True)}
    assert set(rows) == set(KINDS)
    assert rows["东集团"][4:11] == (20, 30, 15, 3.75, 0, 68.75, 2)
    assert rows["戊局"][11] == "无牵头任务，本项按满分计；牵头任务无量化指标，本项按满分计"
    assert rows["甲局"][10] == 2 and rows["己局"][10] == 2
    points = wb[SHEET_POINTS]
    refs = [r[6] for r in points.iter_rows(min_row=4, values_only=True)]
    assert refs and all(r.split("#")[0] in ("returns", "sends", "adjustments") for r in refs)
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
    assert card.unit("乙局").scores[PROGRESS] == 45  # Q2: 序时推进, 绿


def test_a_bad_adjustments_row_names_the_cell(year):
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


def test_cli_writes_the_template_then_scores(year, duban):
    (year.workspace.root / str(YEAR) / "考核调整.xlsx").unlink()
    res = duban("score", "--year", "2024")
    assert res.code == 0, res.output
    assert "考核评分表已生成" in res.out and "已生成空表" in res.out
    template = year.workspace.root / str(YEAR) / "考核调整.xlsx"
    assert openpyxl.load_workbook(template).active["A3"].value == "单位"
    res = duban("score", "--year", "2024", "--period", "2023Q4")
    assert res.code == 1 and "不在考核年度 2024 内" in res.err


def test_no_merged_result_is_a_clear_error(duban):
    res = duban("score", "--year", "2024")
    assert res.code == 1 and "还没有任何季度的汇总结果" in res.err


def test_a_silent_co_lead_scores_nothing_for_the_task_its_partner_reported(app, monkeypatch):
    """Task 3 is led by 丙局 and 丁局; in Q4 丁局's return was rejected and never fixed, 丙局
    reported 序时推进 (绿). In the 考核评分表, 丁局's 任务推进 is the 未报送 rate, not 丙局's."""
    import assess_helpers

    monkeypatch.setitem(assess_helpers.FATES, ("丁局", 4), "rejected")
    install_year(app)
    sc = app.settings.scoring
    out = score(app)
    ws = openpyxl.load_workbook(out.path)[SHEET_SCORES]
    header = [c.value for c in ws[3]]
    col = next(i for i, h in enumerate(header) if str(h).startswith(PROGRESS))
    cells = {r[1]: r[col] for r in ws.iter_rows(min_row=4, values_only=True)}
    # 丁局 and 丙局 lead task 3 only (assess_helpers.TASKS), so the rate is the component's
    assert cells["丁局"] == sc.progress_points * sc.status_rates.get("未报送", 0) / 100 == 0
    assert cells["丙局"] == sc.progress_points * sc.status_rates["序时推进"] / 100
