"""The printable 催报清单 (.xlsx and .docx): read back what a person would print."""

from __future__ import annotations

from datetime import date

import docx
import openpyxl
import pytest
from docx.oxml.ns import qn
from helpers import NOW, with_now
from remind_helpers import PERIOD, add_return, sends

from reporting.core.problems import Problem
from reporting.notify.remind import send_reminders

URGE_DAY = date(2024, 4, 7)


def chase(app, **kw):
    kw.setdefault("today", URGE_DAY)
    return send_reminders(
        app.settings, app.assignments, app.workspace, PERIOD, channels=("list",), **with_now(kw)
    )


@pytest.fixture
def returns(app):
    add_return(app, "区发改委", "accepted")
    add_return(app, "区科技经信局", "accepted")
    add_return(
        app,
        "区财政局",
        "rejected",
        [
            Problem(
                "累计完成进度应在 0% 到 100% 之间", file="x.xlsx", sheet="牵头任务", cell="H6"
            ).to_dict(),
            Problem("=1+1 不是数字", file="x.xlsx").to_dict(),
        ],
    )
    return app


def test_lists_missing_units_with_contacts_and_reasons(returns):
    app = returns
    summary = chase(app)
    xlsx, docx_path = summary.chase_list
    folder = app.workspace.reminders_dir(PERIOD)
    assert xlsx == folder / "2024Q1_催报清单_20240407.xlsx"
    assert docx_path == folder / "2024Q1_催报清单_20240407.docx"
    missing = [u for u in app.assignments.by_unit if u not in ("区发改委", "区科技经信局")]

    ws = openpyxl.load_workbook(xlsx).active
    assert ws["A1"].value == "2024年第一季度《政府工作报告》重点任务推进情况催报清单"
    assert "2024年4月8日 星期一 17:30" in ws["A2"].value
    assert "共 48 个（其中被退回 1 个）" in ws["A2"].value
    assert [c.value for c in ws[3]] == [
        "序号",
        "单位",
        "联系人",
        "办公电话",
        "手机",
        "牵头/配合任务",
        "情况",
        "已发提醒",
        "电话催报记录",
    ]
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    assert [r[1] for r in rows] == missing
    by_unit = {r[1]: r for r in rows}
    fin = by_unit["区财政局"]
    assert fin[2:5] == ("联络员07", "0552-0000007", "13800000007")
    assert (
        fin[6]
        == "已退回，待修改后重报：1. 牵头任务表第6行H列：累计完成进度应在 0% 到 100% 之间；2. =1+1 不是数字"
    )
    assert by_unit["区住建交通局"][6] == "未报送"
    rows_of = app.assignments.by_unit["区住建交通局"]
    assert by_unit["区住建交通局"][5] == f"{len(rows_of.lead)}/{len(rows_of.coop)}"
    assert ws["D4"].data_type == "s"  # phone numbers stay text
    assert ws.print_title_rows == "$3:$3"
    assert ws.page_setup.orientation == "landscape"
    assert ws["A1"].font.name == "黑体"

    doc = docx.Document(docx_path)
    assert doc.paragraphs[0].text == ws["A1"].value
    (table,) = doc.tables
    assert len(table.rows) == 1 + len(missing)
    header = table.rows[0]
    assert [c.text for c in header.cells][:3] == ["序号", "单位", "联系人"]
    assert header._tr.trPr.find(qn("w:tblHeader")) is not None
    assert all(r._tr.trPr.find(qn("w:cantSplit")) is not None for r in table.rows)
    cells = {r.cells[1].text: r for r in table.rows[1:]}
    assert "累计完成进度应在 0% 到 100% 之间" in cells["区财政局"].cells[6].text
    fonts = doc.paragraphs[0].runs[0]._r.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    section = doc.sections[0]
    assert section.page_width > section.page_height  # landscape
    # the list is a file, not a send
    assert sends(app) == []


def test_a_formula_in_a_reason_is_not_a_formula(app):
    add_return(app, "区财政局", "rejected", ['=HYPERLINK("http://x")'])
    summary = chase(app)
    ws = openpyxl.load_workbook(summary.chase_list[0]).active
    row = [r for r in ws.iter_rows(min_row=4) if r[1].value == "区财政局"][0]
    assert row[6].data_type == "s"
    assert "=HYPERLINK" in row[6].value


def test_sends_so_far_are_shown_for_the_phone_call(app):
    from reporting.core.ledger import Ledger

    with Ledger(app.workspace.ledger_path) as ledger:
        ledger.record_send(str(PERIOD), "区发改委", "通知", "email", "sent", at=NOW.isoformat())
        ledger.record_send(
            str(PERIOD), "区发改委", "提醒", "wecom", "failed", "down", at=NOW.isoformat()
        )
    summary = chase(app)
    ws = openpyxl.load_workbook(summary.chase_list[0]).active
    first = next(ws.iter_rows(min_row=4, values_only=True))
    assert first[1] == "区发改委"
    assert first[7].startswith("通知（邮件）")  # the failed robot message is not listed
    assert "企业微信" not in first[7]


def test_rerun_the_same_day_replaces_and_dry_run_writes_nothing(app):
    dry = chase(app, dry_run=True)
    folder = app.workspace.reminders_dir(PERIOD)
    assert dry.chase_list == [] and not folder.exists()
    assert any("催报清单将列出 50 个单位" in line for line in dry.lines())
    chase(app)
    chase(app)
    assert sorted(p.name for p in folder.iterdir()) == [
        "2024Q1_催报清单_20240407.docx",
        "2024Q1_催报清单_20240407.xlsx",
    ]
    chase(app, today=date(2024, 4, 9))
    assert len(list(folder.iterdir())) == 4  # earlier days' lists are kept


def test_nobody_missing(app):
    for unit in app.assignments.by_unit:
        add_return(app, unit, "accepted")
    summary = chase(app)
    ws = openpyxl.load_workbook(summary.chase_list[0]).active
    assert "全部单位均已报送合格表格" in ws["A2"].value
    assert ws.max_row == 3


def test_list_command(duban, data_dir):
    r = duban("remind", "--period", "2024Q1", "--stage", "催报", "--channel", "list")
    assert r.code == 0, r.output
    assert "催报清单：" in r.out and "2024Q1_催报清单_" in r.out
    assert len(list((data_dir / "2024Q1" / "reminders").glob("*.xlsx"))) == 1
