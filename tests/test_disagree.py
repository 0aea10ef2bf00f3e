"""说法不一: a lead unit says 已完成/超序时 while a cooperating unit says 滞后/未启动. The
汇总表 flags exactly those tasks (需核实 column, orange, with the reason); the report annex
states what the partners said (存在问题) without the office's flag, from one rule in
``reporting.merge.disagree``."""

from __future__ import annotations

import openpyxl
import pytest
from conftest import ROOT
from docx import Document
from helpers import REPORT_NOW, table_with_header, unbroken

from jobs.app import create_app
from reporting.core.model import Answer
from reporting.core.periods import Period
from reporting.merge import summary as sm
from reporting.report.render import empty_result, render_report

P = Period(2024, 2)
# (lead status, partner statuses): the constructed case, one task each
CASE = [
    ("超序时", ["滞后"]),  # flagged
    ("已完成", ["序时推进", "未启动"]),  # flagged (the second partner)
    ("序时推进", ["未启动"]),  # lead on pace only: not flagged
    ("滞后", ["滞后"]),  # agree
    ("超序时", ["序时推进", "已完成"]),  # agree enough
    (None, ["滞后"]),  # lead silent: nothing to disagree with
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("disagree")
    app = create_app(ROOT / "config.toml", data_dir=tmp / "data", env={})
    result = empty_result(app.settings, app.assignments, P)
    result.generated_at = "2024-07-08T10:00:00+08:00"
    with_partners = [r for r in result.rows if r.coop_units and len(r.lead_units) == 1]
    expected: dict[str, list[tuple[str, str]]] = {}
    for row, (lead, partners) in zip(with_partners, CASE, strict=False):
        if lead is not None:
            row.status, row.percent = lead, 60.0
            row.lead_reports = [Answer(row.lead_units[0], "牵头推进。", 60.0, lead)]
        units = (row.coop_units * 2)[: len(partners)]
        row.coop_feedback = [
            Answer(u, "配合推进。", 40.0, s) for u, s in zip(units, partners, strict=True)
        ]
        # the rule, written out independently of the code under test
        if lead in ("已完成", "超序时"):
            bad = [(u, s) for u, s in zip(units, partners, strict=True) if s in ("滞后", "未启动")]
            if bad:
                expected[row.label] = bad
    assert len(expected) == 2
    summary = tmp / "汇总表.xlsx"
    sm.write_summary(result, [], summary, app.settings)
    out = render_report(
        app.settings, app.workspace, P, out_dir=tmp / "out", result=result, now=REPORT_NOW
    )
    return summary, out.docx, expected, result


def test_the_summary_flags_exactly_the_disagreeing_tasks(built):
    summary, _, expected, result = built
    ws = openpyxl.load_workbook(summary)["汇总表"]
    assert ws.cell(3, sm.CHECK_COLUMN).value == "需核实"
    flagged = {}
    for r in range(4, 4 + len(result.rows)):
        cell = ws.cell(r, sm.CHECK_COLUMN)
        text = unbroken(cell.value or "")
        orange = cell.fill.fgColor.rgb == sm.FLAG_FILL
        assert orange == ("说法不一" in text), (r, text)
        if orange:
            flagged[ws.cell(r, 2).value] = text
    assert set(flagged) == set(expected)
    for label, pairs in expected.items():
        lead = next(x for x in result.rows if x.label == label).lead_reports[0]
        for unit, status in pairs:
            assert (
                f"说法不一：牵头单位{lead.unit}报“{lead.status}”，配合单位{unit}报“{status}”"
                in flagged[label]
            )
    assert "牵头单位与配合单位说法不一 2 项" in unbroken(ws["A2"].value)


def test_the_annex_flags_exactly_the_disagreeing_tasks(built):
    _, docx, expected, _ = built
    table = table_with_header(Document(docx), "任务编号", "任务（简称）")
    header = [c.text for c in table.rows[0].cells]
    status_col, problems_col = header.index("推进状态"), header.index("存在问题")
    flagged = {}
    for row in table.rows[1:]:
        cells = [c.text for c in row.cells]
        # a document to 区政府 states what partners said, never the office's own flag
        assert "说法不一" not in cells[status_col] and "请核实" not in cells[problems_col]
        if cells[problems_col].startswith("配合单位"):
            flagged[cells[0]] = cells[problems_col]
    assert set(flagged) == set(expected)
    for label, pairs in expected.items():
        for unit, status in pairs:
            assert f"配合单位{unit}报“{status}”" in flagged[label]
    text = "\n".join(p.text for p in Document(docx).paragraphs)
    assert "请核实" not in text
