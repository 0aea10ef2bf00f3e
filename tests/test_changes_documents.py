"""The demo year's task book changing (``jobs.demo.DEMO_CHANGES``): a 销号 approved in Q1, a
延期 in Q2, an 调整 in Q3 and a rejected request, as the forms, the reports, the 汇总表 and
the annual edition show them. Expected values come from the changes the test states here."""

from __future__ import annotations

import json

import openpyxl
import pytest
from docx import Document
from helpers import unbroken

from reporting.core.periods import Period
from reporting.forms import formspec as fs

pytestmark = pytest.mark.slow  # reads the demo year

CLOSED = ("8.2", "8（2）", "禹政秘〔2024〕12号")  # 销号, decided in Q1
EXTENDED = ("15.2", "15（2）", "禹政秘〔2024〕30号", "2025-06-30")  # 延期, Q2
ADJUSTED = ("16.2", "16（2）", "禹政秘〔2024〕45号", "新增城市停车泊位", 4000)  # 调整, Q3
REJECTED = ("12.3", "12（3）")  # 延期 asked in Q3, not approved


def form_rows(path) -> dict[str, dict]:
    """task id → {sheet, row cells} of every task row of a form."""
    wb = openpyxl.load_workbook(path)
    out = {}
    col = fs.column_index("task_id")
    for sheet in (fs.SHEET_LEAD, fs.SHEET_COOP):
        if sheet in wb.sheetnames:
            ws = wb[sheet]
            for r in range(fs.FIRST_DATA_ROW, ws.max_row + 1):
                tid = fs.parse_task_label(ws.cell(row=r, column=col).value)
                if tid:
                    out[tid] = [c.value for c in ws[r]]
    return out


def docx_text(path) -> str:
    doc = Document(path)
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        for row in t.rows:
            parts.append(" | ".join(c.text for c in row.cells))
    return "\n".join(parts)


def report(root, period: str):
    (path,) = (root / period / "report").glob("*报告.docx")
    return path


def test_a_closed_task_is_on_no_later_form(demo_year):
    outcome, _, _ = demo_year
    q1 = {p.name: form_rows(p) for p in (outcome.root / "2024Q1" / "forms").glob("*.xlsx")}
    holders = [name for name, rows in q1.items() if CLOSED[0] in rows]
    assert len(holders) > 5  # its lead unit and the partners were asked in Q1
    for q in (2, 3, 4):
        for p in (outcome.root / f"2024Q{q}" / "forms").glob("*.xlsx"):
            assert CLOSED[0] not in form_rows(p), (q, p.name)


def test_the_quarters_reports_say_what_changed(demo_year):
    outcome, _, _ = demo_year
    q1 = docx_text(report(outcome.root, "2024Q1"))
    assert f"本季度批准第{CLOSED[1]}项销号（{CLOSED[2]}），自下一季度起执行。" in q1
    q2 = docx_text(report(outcome.root, "2024Q2"))
    assert f"已销号第{CLOSED[1]}项（第一季度，{CLOSED[2]}），计为已完成。" in q2
    assert f"本季度批准第{EXTENDED[1]}项延期至2025年6月（{EXTENDED[2]}）" in q2
    q3 = docx_text(report(outcome.root, "2024Q3"))
    assert f"不予批准第{REJECTED[1]}项延期申请（年度目标不变，请加快推进）" in q3
    assert f"第{EXTENDED[1]}项按批准后的时限研判（见附件1）" in q3
    # annex 1: the extended row is marked with its approval
    marked = [line for line in q3.splitlines() if line.startswith(f"{EXTENDED[1]} |")]
    assert marked and f"经批准延期至2025年6月，{EXTENDED[2]}" in marked[0]
    assert not [line for line in q3.splitlines() if line.startswith(f"{CLOSED[1]} |")]


def test_an_adjusted_target_is_asked_from_the_next_quarter(demo_year):
    outcome, _, _ = demo_year
    name, target = ADJUSTED[3], ADJUSTED[4]

    def shown(q: int) -> str:
        for p in (outcome.root / f"2024Q{q}" / "forms").glob("*.xlsx"):
            rows = form_rows(p)
            if ADJUSTED[0] in rows:
                return " ".join(str(v) for v in rows[ADJUSTED[0]] if v is not None)
        raise AssertionError(q)

    assert f"{name}：4900个" in shown(3)  # the indicator's target as the form shows it
    assert f"{name}：{target}个" in shown(4) and f"{name}：4900个" not in shown(4)


def test_the_summary_lists_the_quarters_requests(demo_year):
    outcome, _, _ = demo_year
    wb = openpyxl.load_workbook(outcome.root / "2024Q3" / "汇总表.xlsx")
    ws = wb["销号延期调整申请"]
    rows = [r for r in ws.iter_rows(min_row=4, values_only=True) if r[0]]
    assert [(r[2], r[7]) for r in rows] == [(ADJUSTED[1], "已批准"), (REJECTED[1], "不予批准")]
    assert rows[0][8] == ADJUSTED[2]
    assert (
        "销号延期调整申请"
        not in openpyxl.load_workbook(outcome.root / "2024Q4" / "汇总表.xlsx").sheetnames
    )  # no requests in Q4


def test_the_annual_edition_judges_the_approved_versions(demo_year):
    outcome, _, _ = demo_year
    (path,) = (outcome.root / "2024Q4" / "report").glob("*全年完成情况报告.docx")
    doc = Document(path)
    trend = next(t for t in doc.tables if t.rows[0].cells[0].text == "任务编号")
    finals = {row.cells[0].text: row.cells[-1].text for row in trend.rows[1:]}
    assert finals[CLOSED[1]] == "完成"
    # closed in Q1: the later quarters asked nothing of it, so they say so, not 未报送
    head = [c.text for c in trend.rows[0].cells]
    later = [i for i, h in enumerate(head) if h.startswith(("第二季度", "第三季度", "第四季度"))]
    closed_row = next(r for r in trend.rows[1:] if r.cells[0].text == CLOSED[1])
    assert len(later) == 3 and [closed_row.cells[i].text for i in later] == ["已销号"] * 3
    assert finals[EXTENDED[1]] == "经批准延期"
    annex4 = next(
        t
        for t in doc.tables
        if [c.text for c in t.rows[0].cells][:3] == ["序号", "任务编号", "申请单位"]
    )
    asked = [(r.cells[1].text, r.cells[-1].text.split("\n")[0]) for r in annex4.rows[1:]]
    assert asked == [
        (CLOSED[1], "已批准"),
        (EXTENDED[1], "已批准"),
        (ADJUSTED[1], "已批准"),
        (REJECTED[1], "不予批准"),
    ]
    text = docx_text(path)
    assert (
        "全年收到和认定任务销号、延期、调整4项，经批准3项（销号1项、延期1项、调整1项），不予批准1项"
        in text
    )


def test_every_decision_left_its_file(demo_year):
    outcome, _, _ = demo_year
    files = sorted((outcome.root / "changes").glob("*/*.json"))
    decisions = [json.loads(p.read_text(encoding="utf-8")) for p in files if "decision" in p.name]
    assert sorted((d["task_id"], d["verdict"], d["doc_no"]) for d in decisions) == sorted(
        [
            (CLOSED[0], "已批准", CLOSED[2]),
            (EXTENDED[0], "已批准", EXTENDED[2]),
            (ADJUSTED[0], "已批准", ADJUSTED[2]),
            (REJECTED[0], "不予批准", ""),
        ]
    )
    assert Period.parse(decisions[0]["decided_in"]).year == 2024


def test_carry_over_drafts_next_years_table(demo_year, duban, tmp_path, monkeypatch):
    import csv

    outcome, _, _ = demo_year
    out = tmp_path / "2025.csv"
    r = duban("carry-over", "--year", "2024", "--out", str(out), data=outcome.root)
    assert r.code == 0, r.output
    with out.open(encoding="utf-8-sig") as f:
        rows = {row["id"]: row for row in csv.DictReader(f)}
    assert EXTENDED[0] in rows and CLOSED[0] not in rows
    extended = rows[EXTENDED[0]]
    assert extended["deadline"] == EXTENDED[3]
    assert f"经批准延期至2025年6月（{EXTENDED[2]}）" in extended["history"]
    assert all(row["deadline"] >= "2025-01-01" for row in rows.values())
    # the year workbook's verdicts decide who is carried: everything not 完成
    wb = openpyxl.load_workbook(outcome.root / "2024" / "2024年度推进情况汇总表.xlsx")
    ws = wb["全年完成情况"]
    head = [c.value for c in ws[3]]
    finals = {
        row[0].replace("（", ".").replace("）", ""): row[head.index("全年完成情况")]
        for row in ws.iter_rows(min_row=4, values_only=True)
    }
    assert {t for t, f in finals.items() if f != "完成"} == set(rows)
    assert finals[CLOSED[0]] == "完成"
    names = {row[0]: unbroken(row[1]) for row in ws.iter_rows(min_row=4, values_only=True)}
    assert names[CLOSED[1]].endswith(f"2024年第一季度经批准销号（{CLOSED[2]}）")
    assert names[EXTENDED[1]].endswith(f"经批准延期至2025年6月（{EXTENDED[2]}）")
    monkeypatch.setenv("DUBAN_PATHS_TASKS", str(out))
    r = duban("check", data=tmp_path / "data")
    listed = [line for line in r.output.splitlines() if "从上一年度结转" in line]
    assert len(listed) == len(rows)
