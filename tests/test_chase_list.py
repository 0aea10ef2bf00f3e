"""The printable 催报清单 (.xlsx and .docx): read back what a person would print."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import docx
import openpyxl
import pytest
from conftest import office
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
        "联系人及电话",
        "承担任务",
        "情况",
        "已发提醒",
        "电话催报记录",
    ]
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    assert [r[1] for r in rows] == missing
    by_unit = {r[1]: r for r in rows}
    fin = by_unit["区财政局"]
    assert fin[2] == "联络员07\n0552-0000007\n13800000007"
    # each reason on a line of its own, numbered (the cell may wrap a long one further)
    reasons = ["1. 牵头任务表第6行H列：累计完成进度应在 0% 到 100% 之间", "2. =1+1 不是数字"]
    assert fin[4].replace("\n", "") == "已退回，待修改后重报：" + "".join(reasons)
    assert all("\n" + x[:6] in fin[4] for x in reasons), fin[4]
    assert by_unit["区住建交通局"][4] == "未报送"
    rows_of = app.assignments.by_unit["区住建交通局"]
    assert by_unit["区住建交通局"][3] == f"牵头{len(rows_of.lead)}项、\n配合{len(rows_of.coop)}项"
    assert ws["C4"].data_type == "s"  # phone numbers stay text
    assert ws.print_title_rows == "$3:$3"
    assert ws.page_setup.orientation == "landscape"
    assert ws["A1"].font.name == "黑体"

    doc = docx.Document(docx_path)
    assert doc.paragraphs[0].text == ws["A1"].value
    (table,) = doc.tables
    assert len(table.rows) == 1 + len(missing)
    header = table.rows[0]
    assert [c.text for c in header.cells][:3] == ["序号", "单位", "联系人及电话"]
    assert header._tr.trPr.find(qn("w:tblHeader")) is not None
    # rows stay whole (a row cut in two loses its unit name on the next page)
    assert all(r._tr.trPr.find(qn("w:cantSplit")) is not None for r in table.rows)
    cells = {r.cells[1].text: r for r in table.rows[1:]}
    assert [p.text for p in cells["区财政局"].cells[4].paragraphs] == [
        "已退回，待修改后重报：",
        *reasons,
    ]
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
    assert row[4].data_type == "s"
    assert "=HYPERLINK" in row[4].value


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
    assert first[5] == "4月2日 通知（邮件）"  # the failed robot message is not listed


def test_rerun_the_same_day_replaces_and_dry_run_writes_nothing(app):
    dry = chase(app, dry_run=True)
    folder = app.workspace.reminders_dir(PERIOD)
    assert dry.chase_list == [] and not folder.exists()
    assert any("催报清单将列出 50 个单位" in line for line in dry.lines())
    chase(app)
    first = (folder / "2024Q1_催报清单_20240407.docx").read_bytes()
    chase(app)
    assert sorted(p.name for p in folder.iterdir()) == [
        "2024Q1_催报清单_20240407.docx",
        "2024Q1_催报清单_20240407.xlsx",
    ]
    # the same list, the same bytes: no entry of the .docx carries the clock's time
    again = (folder / "2024Q1_催报清单_20240407.docx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(again)) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert again == first
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


def test_history_is_one_line_per_day_and_stage_in_date_order(app):
    from reporting.core.ledger import Ledger

    with Ledger(app.workspace.ledger_path) as ledger:
        for stage, channel, day in (
            ("催报", "email", "2024-04-07"),
            ("提醒", "email", "2024-04-02"),
            ("提醒", "wecom", "2024-04-02"),
            ("通知", "email", "2024-03-28"),
        ):
            ledger.record_send(
                str(PERIOD), "区发改委", stage, channel, "sent", at=f"{day}T09:00:00+08:00"
            )
    ws = openpyxl.load_workbook(chase(app).chase_list[0]).active
    first = next(ws.iter_rows(min_row=4, values_only=True))
    assert first[5].split("\n") == [
        "3月28日 通知（邮件）",
        "4月2日 提醒（邮件、企业微信）",
        "4月7日 催报（邮件）",
    ]


# what the demo's 2024Q2 list held on 催报 day: three units silent, two returned twice
DEMO_REASONS = [
    "配合任务表第6行“累计完成进度（%）”（任务 24（2））：累计完成进度（%）“150”超出 0–100，"
    "请填写 0 到 100 之间的数字（单位为%）",
    "配合任务表第6行“推进状态”（任务 24（2））：推进状态“进行中”不是规定的推进状态，"
    "请从下拉列表中选择：已完成、超序时、序时推进、滞后、未启动",
]


@pytest.fixture
def five_missing(app):
    from reporting.core.ledger import Ledger

    units = list(app.assignments.by_unit)
    for unit in units[5:]:
        add_return(app, unit, "accepted")
    for unit in units[3:5]:
        add_return(app, unit, "rejected", DEMO_REASONS)
    with Ledger(app.workspace.ledger_path) as ledger:
        for unit in units[:5]:
            for stage, day in (
                ("通知", "2024-03-28"),
                ("提醒", "2024-04-02"),
                ("催报", "2024-04-07"),
            ):
                ledger.record_send(
                    str(PERIOD), unit, stage, "email", "sent", at=f"{day}T09:00:00+08:00"
                )
    return app, units[:5]


def test_columns_fit_the_longest_value_and_leave_room_to_write(five_missing):
    from reporting.documents import xlsx_style as st
    from reporting.notify.chase_list import DOCX_AREA_MM, column_widths, em_width

    app, units = five_missing
    xlsx, docx_path = chase(app).chase_list
    ws = openpyxl.load_workbook(xlsx).active
    rows = [list(r) for r in ws.iter_rows(min_row=4, values_only=True)]
    widths = column_widths(rows)
    phones = [line for r in rows for line in r[2].split("\n")[1:]]
    assert phones and all(em_width(p) < widths[2] for p in phones)
    assert all(em_width(line) < widths[5] for r in rows for line in r[5].split("\n"))
    # the docx: fixed widths filling the type area; the writing column at least 4 cm
    doc = docx.Document(docx_path)
    grid = [int(c.get(qn("w:w"))) for c in doc.tables[0]._tbl.tblGrid.findall(qn("w:gridCol"))]
    mm = [w / 1440 * 25.4 for w in grid]
    assert abs(sum(mm) - DOCX_AREA_MM) < 2
    assert mm[-1] >= 40
    # the .xlsx: printed at a fixed scale that keeps 五号 legible and fits the width
    scale = ws.page_setup.scale
    assert not ws.sheet_properties.pageSetUpPr.fitToPage and 10.5 * scale / 100 >= 9
    points = sum(st.column_points(ws.column_dimensions[c.column_letter].width) for c in ws[3])
    assert points * scale / 100 <= st.printable_width()
    for c in ws[3]:  # no header clipped: the row holds every header's wrapped lines
        lines = st.text_lines(c.value, ws.column_dimensions[c.column_letter].width)
        assert ws.row_dimensions[3].height >= lines * st.LINE_PT, c.value
    assert "0/1" not in "".join(str(r[3]) for r in rows)
    assert all(r[3].startswith(("牵头", "配合")) and "项" in r[3] for r in rows)


@office
def test_five_units_print_on_one_page_and_phone_numbers_never_break(five_missing, tmp_path):
    import subprocess

    from reporting.documents.office import convert

    app, units = five_missing
    for path in chase(app).chase_list:
        pdf = convert(path, "pdf", tmp_path / path.suffix[1:])
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        assert "Pages:           1" in info, (path.name, info)
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
        for unit in units:
            u = app.registry.units[unit]
            assert u.phone in text and u.mobile in text, (path.name, unit)
        for day in ("3月28日", "4月2日", "4月7日"):
            assert text.replace(" ", "").count(day) >= 5, (path.name, day)


@office
@pytest.mark.parametrize("missing", [12, 17])
def test_pages_share_the_rows_and_no_row_is_cut(app, tmp_path, missing):
    """Over a page of units: each unit's row whole on one page of the .docx and the .xlsx,
    every page holding at least three rows (no lone row on the last page), the 经办人 line
    beside the last row."""
    from pdf_pages import page_texts, render_all, squash

    units = list(app.assignments.by_unit)
    for unit in units[missing:]:
        add_return(app, unit, "accepted")
    for unit in units[: missing // 3]:
        add_return(app, unit, "rejected", DEMO_REASONS)
    paths = chase(app).chase_list
    for path, pdf in zip(paths, render_all(paths, tmp_path), strict=True):
        pages = page_texts(pdf)
        assert len(pages) >= 2, path.name
        for unit in units[:missing]:
            holding = [n for n, p in enumerate(pages) if squash(unit) in p]
            assert len(holding) == 1, (path.name, unit, holding)
        for n, page in enumerate(pages):
            assert sum(squash(u) in page for u in units[:missing]) >= 3, (path.name, n)
        if path.suffix == ".docx":
            assert "经办人" in pages[-1] and squash(units[missing - 1]) in pages[-1]
