"""汇总表.xlsx read back: numbers stay numbers, nothing hidden behind Excel's 409 pt row
cap, every cooperating unit's answer and every intake warning is in the workbook."""

from __future__ import annotations

import json

import openpyxl
from conftest import ROOT
from helpers import unbroken

from jobs.app import create_app
from reporting.core.model import Answer, QuarterResult
from reporting.documents import xlsx_style as st
from reporting.merge import summary as sm
from reporting.merge.judge import row_skeleton


def _result(app) -> QuarterResult:
    rows = []
    for r in app.assignments.rows[:3]:
        row = row_skeleton(r)
        row.lead_reports = [Answer(r.lead_units[0], "长" * 1500, 61.5, "超序时")]
        row.percent = 61.5
        row.coop_feedback = [
            Answer(
                f"配合单位{i}",
                f"配合{i}：" + "按要求报送材料，" * 20,
                40.0 + i,
                "序时推进",
                f"问题{i}",
                f"打算{i}",
                {"新增就业人员": 100.0 + i},
            )
            for i in range(16)
        ]
        rows.append(row)
    return QuarterResult(
        "2024Q2", "2024年第二季度", 50, "2024-07-05T17:30", "2024-07-06T09:00", rows
    )


def _returns() -> list[dict]:
    warn = {
        "level": "warning",
        "sheet": "配合任务",
        "cell": "H6",
        "column": "累计完成进度（%）",
        "task": "24.2",
        "text": "本季度工作进展与上季度报送的内容一字不差",
    }
    return [
        {
            "state": "accepted",
            "unit": f"单位{i}",
            "source": f"{i}.xlsx",
            "received_at": "2024-07-02T10:00:00",
            "problems": json.dumps([warn, {**warn, "task": "1", "text": f"提醒{i}"}]),
        }
        for i in range(3)
    ]


def test_summary_keeps_numbers_long_text_cooperation_and_warnings(tmp_path):
    app = create_app(ROOT / "config.toml", data_dir=tmp_path / "data", env={})
    path = tmp_path / "汇总表.xlsx"
    sm.write_summary(_result(app), _returns(), path, app.settings)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["汇总表", "配合单位反馈", "报送情况", "退回清单", "校验提醒", "全文"]
    ws = wb["汇总表"]
    # each task named as the report names it, beside its number
    from reporting.taskbook.short_names import short_title_of

    assert [ws.cell(3, c).value for c in (2, 3, 4)] == ["任务编号", "任务（简称）", "任务内容"]
    rows = _result(app).rows
    assert [unbroken(ws.cell(4 + i, 3).value) for i in range(len(rows))] == [
        short_title_of(r) for r in rows
    ]
    pct = ws.cell(4, 8)
    assert (
        pct.value == 61.5 and pct.data_type == "n" and pct.number_format == "General"
    )  # 61 prints as 61, not "61."
    for r in range(4, ws.max_row + 1):
        # a row at the cap would hide text: long cells are cut with a link to 全文
        assert ws.row_dimensions[r].height < st.MAX_ROW_PT, r
    progress = ws.cell(4, 7)
    assert "全文见“全文”表第4行起" in progress.value and progress.hyperlink.location
    # the units centred in their 8 字 (as in the narrower columns), the progress left-aligned
    assert ws.cell(3, 6).value == "牵头单位" and ws.cell(4, 6).alignment.horizontal == "center"
    assert progress.alignment.horizontal in (None, "general", "left")
    full = wb["全文"]
    texts = [unbroken(full.cell(r, 4).value) for r in range(4, full.max_row + 1)]
    assert "".join(texts[:2]) == "长" * 1500  # in chunks that fit a row, nothing dropped
    # every cooperating unit's answer, every field, on its own row
    coop = wb["配合单位反馈"]
    rows = [tuple(map(unbroken, r)) for r in coop.iter_rows(min_row=4, values_only=True)]
    assert len(rows) == 3 * 16
    assert rows[5][3:] == (
        "配合单位5",
        "配合5：" + "按要求报送材料，" * 20,
        45,
        "序时推进",
        "新增就业人员105",  # not an indicator of these rows: no unit known
        "问题5",
        "打算5",
    )
    # a linked cell prints on one line in LibreOffice: the text fits its column (CJK 2 wide)
    assert ws.cell(4, 17).value == "16个单位反馈"
    width = ws.column_dimensions["Q"].width
    assert sum(2 if ord(ch) > 0x2E80 else 1 for ch in ws.cell(4, 17).value) <= width
    assert ws.cell(5, 17).hyperlink.location == "'配合单位反馈'!A20"
    warnings = [
        tuple(map(unbroken, r)) for r in wb["校验提醒"].iter_rows(min_row=4, values_only=True)
    ]
    assert len(warnings) == 6
    assert warnings[0][4] == "配合任务表第6行“累计完成进度（%）”"
    assert {w[6] for w in warnings} >= {"提醒0", "提醒1", "提醒2"}
    header = wb["汇总表"].row_dimensions[3].height
    assert header >= st.row_height(list(sm.ROW_COLUMNS), 30)


def test_a_responsible_persons_name_is_never_cut_across_lines():
    """The 牵头单位 cell (8 字 a line): "责任人：黄副主任" shares a line, a longer name goes on
    a line of its own (the cell printed "责任人：黄副" above "主任")."""
    from reporting.merge.summary import owner_text

    assert owner_text("王五") == "责任人：王五"
    assert owner_text("黄副主任") == "责任人：黄副主任"
    assert owner_text("李明（副主任）") == "责任人：\n李明（副主任）"
    # not "（副主" / "任）"
    assert owner_text("欧阳明月（副主任）") == "责任人：\n欧阳明月\n（副主任）"


def test_the_lead_units_column_holds_eight_names_characters_and_the_page_its_width():
    """牵头单位 is 8 字 wide (16): whole names a line, a longer one in equal parts; the 4 it
    gained came from 序号, 预警 and 配合单位反馈, so the sheet is as wide as before (287)."""
    from reporting.merge.summary import ROW_COLUMNS, units_text

    widths = dict(ROW_COLUMNS)
    assert widths["牵头单位"] == 16 and sum(widths.values()) == 287
    assert (widths["序号"], widths["预警"], widths["配合单位反馈"]) == (4, 4, 14)
    assert units_text(["区农业农村水利局"], 16) == "区农业农村水利局"
    assert units_text(["测试单位0001"], 16) == "测试单位0001"  # the synthetic city's
    assert units_text(["区文旅局", "长青乡"], 16) == "区文旅局、长青乡"
    assert units_text(["区自然资源规划分局"], 16) == "区自然资源\n规划分局"
    assert units_text(["区招商和经济发展服务中心"], 16) == "区招商和经济\n发展服务中心"
    assert units_text(["区住建交通局", "区自然资源规划分局"], 16) == (
        "区住建交通局、\n区自然资源\n规划分局"
    )
    assert units_text(["区人社局", "区医保局"], 16) == "区人社局、\n区医保局"


def test_unit_names_in_the_missing_and_partner_columns_break_between_names(tmp_path):
    """未报送单位 (7 字 a line) and the 配合单位反馈 sheet's 牵头单位 (5 字) and 配合单位
    (6 字) hold whole names a line, a name longer than a line in equal parts."""
    import openpyxl
    from test_summary_direct import _demo

    from reporting.merge.summary import write_summary

    app = create_app(ROOT / "config.toml", data_dir=tmp_path / "data", env={})
    result, returns = _demo()
    long_lead = ["区招商和经济发展服务中心", "区住建交通局", "区委党校"]
    result.rows[0].missing_units = ["区自然资源规划分局", "区人大办", "区委组织部"]
    result.rows[1].missing_units = long_lead
    path = tmp_path / "汇总表.xlsx"
    write_summary(result, returns, path, app.settings)
    wb = openpyxl.load_workbook(path)
    ws = wb["汇总表"]
    heads = [c.value for c in ws[3]]
    col = heads.index("未报送单位")
    first, second = (ws.cell(r, col + 1).value for r in (4, 5))
    assert first == "区自然资源\n规划分局、\n区人大办、\n区委组织部"
    assert second == "区招商和经济\n发展服务中心、\n区住建交通局、\n区委党校"
    coop = wb["配合单位反馈"]
    lines = []
    for row in coop.iter_rows(min_row=4, values_only=True):
        if row[0] is None or row[0] == "（无）":
            continue
        lead, partner = row[2], row[3]
        lines += [(line, 5) for line in lead.split("\n")] + [(p, 6) for p in partner.split("\n")]
        names = next(r.lead_units for r in result.rows if r.label == row[1].replace("\n", ""))
        assert lead.replace("\n", "") == "、".join(names)
    assert lines and all(len(line.rstrip("、")) <= room for line, room in lines)
    assert ("区自然资源", 6) in lines and ("规划分局", 6) in lines
