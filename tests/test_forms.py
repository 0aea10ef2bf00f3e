"""duban forms: per-unit progress workbooks, read back with openpyxl (and LibreOffice)."""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import asdict, replace
from datetime import datetime

import openpyxl
import pytest
from conftest import ROOT, office
from helpers import form_column, write_task_table
from openpyxl.utils import get_column_letter

from jobs.app import create_app
from reporting.core.calendar import TZ
from reporting.core.config import RegistrySettings
from reporting.core.ledger import Ledger
from reporting.core.model import Answer, QuarterResult
from reporting.core.periods import Period
from reporting.core.workspace import Workspace
from reporting.forms import formspec as fs
from reporting.forms.build import build_forms
from reporting.merge.judge import row_skeleton
from reporting.taskbook.assignments import Assignments
from reporting.taskbook.registry import Registry, Unit
from reporting.taskbook.tasks import Task

Q1 = Period(2024, 1)
NOW = datetime(2024, 3, 25, 9, 0, tzinfo=TZ)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """All forms of 2024Q1 for the bundled data, built once for the module."""
    app = create_app(ROOT / "config.toml", data_dir=tmp_path_factory.mktemp("data"), env={})
    summary = build_forms(app.settings, app.assignments, app.workspace, Q1, now=NOW)
    return app, summary


@pytest.fixture(scope="module")
def fdw(built):
    """区发改委's form: lead rows with up to three indicators, and coop rows."""
    app, _ = built
    return openpyxl.load_workbook(app.workspace.form_path(Q1, "区发改委"))


def data_rows(ws):
    row = fs.FIRST_DATA_ROW
    while fs.parse_task_label(ws.cell(row=row, column=fs.column_index("task_id")).value):
        yield row
        row += 1


def cell(ws, key, row):
    return ws.cell(row=row, column=form_column(ws, key))


# -- one workbook per unit, with exactly its rows ---------------------------------------
def test_every_unit_with_rows_gets_one_form(built):
    app, summary = built
    a = app.assignments
    assert summary.ok and not summary.skipped_sent
    assert {f.unit for f in summary.built} == set(a.by_unit)
    files = sorted(p.name for p in app.workspace.forms_dir(Q1).iterdir())
    assert files == sorted(app.workspace.form_path(Q1, u).name for u in a.by_unit)
    # units in the registry that only appear through collective references get nothing
    without = set(a.registry.units) - set(a.by_unit)
    for unit in without:
        assert not app.workspace.form_path(Q1, unit).exists()
    assert summary.lines()[0].startswith(
        f"已生成 {len(a.by_unit)} 个单位的2024年第一季度进展情况表"
    )
    with Ledger(app.workspace.ledger_path) as ledger:
        recorded = ledger.forms(Q1)
        assert ledger.step_done(Q1, "forms") is None  # only jobs/ records steps
    assert set(recorded) == set(a.by_unit)
    assert recorded["区发改委"]["form_id"] == fs.form_id(Q1, "区发改委")


# A task table as an office types it: an alias (区发改委（区营商环境办）), a group (各乡镇),
# a collective reference that gets no form, a lead unit also named as partner, ids out of
# order. The expected rows are read back from this file with the csv module and resolved
# with config.toml's [registry] (the fixture's own settings), not by the code under test.
OWN_TABLE = [
    ("10", "长青乡", "区发改委", "长青乡人居环境整治，完成10个村。"),
    ("2", "区发改委（区营商环境办）", "区财政局、区政府各部门", "优化营商环境，开展“一网通办”。"),
    ("1", "区发改委", "区财政局、各乡镇", "地区生产总值增长8%左右。"),
    ("8.2", "区财政局", "区发改委、区财政局", "盘活存量资产 <20亿元> & 更多。"),
    ("8.1", "昇荣集团", "", "集团改革，完成混改。"),
]


@pytest.fixture(scope="module")
def own_table(tmp_path_factory):
    """Forms of 2024Q1 built from ``OWN_TABLE``: (tasks.csv, registry settings, app)."""
    import tomllib

    base = tmp_path_factory.mktemp("own")
    path = write_task_table(
        base / "tasks.csv",
        [
            {"id": i, "section": i.split(".")[0], "content": c, "lead_units": lu, "coop_units": cu}
            for i, lu, cu, c in OWN_TABLE
        ],
    )
    app = create_app(ROOT / "config.toml", data_dir=base / "data", env={})
    app.settings.paths.tasks = path
    summary = build_forms(app.settings, app.assignments, app.workspace, Q1, now=NOW)
    assert summary.ok, summary.lines()
    config = tomllib.loads((ROOT / "config.toml").read_text(encoding="utf-8"))
    return path, config["registry"], app


def expected_rows(path, registry: dict, unit: str) -> dict[str, list[tuple[str, str]]]:
    """(task id, content) of each sheet of ``unit``'s form, read from the task table:
    lead rows, then rows it cooperates on without leading them, each by task id."""
    import csv

    def resolve(text: str) -> list[str]:
        out: list[str] = []
        for name in filter(None, text.split("、")):
            name = registry["aliases"].get(name, name)
            if name in registry["collectives"]:
                continue
            out += registry["groups"].get(name, [name])
        return out

    with open(path, encoding="utf-8", newline="") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: [int(p) for p in r["id"].split(".")])
    lead = [r for r in rows if unit in resolve(r["lead_units"])]
    coop = [r for r in rows if unit in resolve(r["coop_units"]) and r not in lead]
    return {
        sheet: [(r["id"], r["content"]) for r in part]
        for sheet, part in ((fs.SHEET_LEAD, lead), (fs.SHEET_COOP, coop))
        if part
    }


@pytest.mark.parametrize("unit", ["区发改委", "区财政局", "长青乡", "马城镇", "昇荣集团"])
def test_each_form_has_exactly_the_units_rows_of_the_task_table(own_table, unit):
    path, registry, app = own_table
    expected = expected_rows(path, registry, unit)
    wb = openpyxl.load_workbook(app.workspace.form_path(Q1, unit))
    got = {
        sheet: [
            (
                fs.parse_task_label(cell(wb[sheet], "task_id", r).value),
                cell(wb[sheet], "content", r).value,
            )
            for r in data_rows(wb[sheet])
        ]
        for sheet in (fs.SHEET_LEAD, fs.SHEET_COOP)
        if sheet in wb.sheetnames
    }
    assert got == expected


def test_only_units_named_in_the_task_table_get_a_form(own_table):
    path, registry, app = own_table
    built = sorted(p.name for p in app.workspace.forms_dir(Q1).iterdir())
    named = [u for u in app.assignments.registry.units if expected_rows(path, registry, u)]
    assert built == sorted(app.workspace.form_path(Q1, u).name for u in named)
    assert len(built) == 5  # 区发改委, 区财政局, 长青乡, 马城镇, 昇荣集团


def test_sheet_order_active_and_hidden(fdw):
    # the first quarter has no last quarter: no 上季度全文 sheet
    assert fdw.sheetnames == [s for s in fs.SHEET_ORDER if s != fs.SHEET_PREVIOUS]
    assert fdw.active.title == fs.SHEET_GUIDE
    states = {ws.title: ws.sheet_state for ws in fdw.worksheets}
    assert states == {
        fs.SHEET_GUIDE: "visible",
        fs.SHEET_LEAD: "visible",
        fs.SHEET_COOP: "visible",
        fs.SHEET_REQUESTS: "visible",
        fs.SHEET_ID: "hidden",
        fs.SHEET_LOOKUP: "hidden",
    }
    for name in fs.HIDDEN_SHEETS:
        assert not fdw[name].sheet_view.tabSelected
    assert fdw.security.lockStructure


# -- what is locked, what is editable -------------------------------------------------------
def test_locked_and_editable_cells(built, fdw):
    by_id = built[0].assignments.by_id
    ws = fdw[fs.SHEET_LEAD]
    assert ws.protection.sheet is True
    assert not ws.protection.password  # no password by default
    assert ws.protection.formatRows is False  # rows may be made taller
    n = (ws.max_column - len(fs.BASE_COLUMNS)) // 2
    assert n == 3  # 8（2）has three indicators
    cols = fs.columns(n)
    header = [ws.cell(row=fs.HEADER_ROW, column=i).value for i in range(1, len(cols) + 1)]
    assert header == [fs.printed_header(c) for c in cols]
    assert header[fs.column_index("ind1_target", n) - 1] == "指标1（目标）"
    # the values print beside the answers, the targets after 责任分工
    assert header[9:12] == ["指标1\n完成值", "指标2\n完成值", "指标3\n完成值"]
    assert header[12:] == [
        "配合单位反馈（供参考）",
        "责任分工",
        "指标1（目标）",
        "指标2（目标）",
        "指标3（目标）",
    ]
    # narrow headers break between words, and intake still knows every column
    assert header[fs.column_index("status") - 1] == "推进\n状态"
    assert [fs.column_for_header(h) for h in header] == [c.key for c in cols]
    for row in data_rows(ws):
        task = fs.parse_task_label(cell(ws, "task_id", row).value)
        n_ind = len(by_id[task].task.indicators)
        for col in cols:
            c = cell(ws, col.key, row)
            if col.kind == "indicator_value":
                has = col.indicator <= n_ind
                assert c.protection.locked is (not has), (task, col.key)
            else:
                assert c.protection.locked is (not col.editable), (task, col.key)
    for h in fs.HEADER_CELLS:
        assert ws[h.value_cell].protection.locked is (not h.editable), h.key
        assert ws[h.label_cell].value.replace("\n", "") == f"{h.label}："  # may break
    for name in (fs.SHEET_GUIDE, fs.SHEET_ID, fs.SHEET_LOOKUP, fs.SHEET_COOP):
        assert fdw[name].protection.sheet is True


def test_password_from_environment(tmp_path):
    app = create_app(
        ROOT / "config.toml", data_dir=tmp_path, env={"DUBAN_FORMS_PASSWORD": "s3cret"}
    )
    build_forms(app.settings, app.assignments, app.workspace, Q1, units=["区财政局"], now=NOW)
    wb = openpyxl.load_workbook(app.workspace.form_path(Q1, "区财政局"))
    ws = wb[wb.sheetnames[1]]
    assert ws.protection.sheet and ws.protection.password  # stored hashed, never in clear
    assert "s3cret" not in ws.protection.password
    assert wb.security.workbookPassword


# -- validations ---------------------------------------------------------------------
def test_validations_and_their_ranges(fdw):
    ws = fdw[fs.SHEET_LEAD]
    rows = list(data_rows(ws))
    first, last = rows[0], rows[-1]

    def col_range(key):
        letter = get_column_letter(fs.column_index(key))
        return f"{letter}{first}:{letter}{last}"

    dvs = {dv.errorTitle: dv for dv in ws.data_validations.dataValidation}
    assert len(dvs) == len(ws.data_validations.dataValidation) == 5
    status = dvs["推进状态填写有误"]
    assert status.formula1 == fs.STATUS_NAME
    assert str(status.sqref) == col_range("status")
    assert status.showErrorMessage and status.errorTitle and "已完成" in status.error
    assert fdw.defined_names[fs.STATUS_NAME].attr_text == fs.LOOKUP_RANGE
    lookup = fdw[fs.SHEET_LOOKUP]
    assert [lookup.cell(row=i, column=1).value for i in range(1, 6)] == list(fs.STATUS_CHOICES)

    percent = dvs["累计完成进度（%）填写有误"]
    assert percent.type == "decimal" and percent.operator == "between"
    assert str(percent.sqref) == col_range("percent")
    assert (percent.formula1, percent.formula2) == ("0", "100")
    assert "0 到 100" in percent.error and percent.promptTitle == "累计完成进度（%）"

    text = dvs["内容过长"]
    assert (text.type, text.operator, text.formula1) == ("textLength", "lessThanOrEqual", "2000")
    assert set(str(text.sqref).split()) == {
        col_range(k) for k in ("progress", "problems", "next_steps")
    }

    # indicator values: a whole-number rule over the counts (个, 项 …), a decimal rule over
    # the rest, together exactly the unlocked indicator cells
    ind, whole = dvs["指标完成值填写有误"], dvs["指标完成值（整数）填写有误"]
    assert ind.type == "decimal" and "数字" in ind.error
    assert whole.type == "whole" and "整数" in whole.error
    covered = {str(rng) for rng in ind.sqref.ranges}  # single cells
    counted = {str(rng) for rng in whole.sqref.ranges}
    unlocked = {
        cell(ws, f"ind{k}_value", r).coordinate
        for r in rows
        for k in range(1, 4)
        if not cell(ws, f"ind{k}_value", r).protection.locked
    }
    counts = {  # the cells whose target, as the form prints it, counts 个 or 项
        cell(ws, f"ind{k}_value", r).coordinate
        for r in rows
        for k in range(1, 4)
        if re.search(r"\d(个|项)$", str(cell(ws, f"ind{k}_target", r).value or ""))
    }
    assert covered | counted == unlocked and len(unlocked) == 7 and not covered & counted
    assert counted == counts and len(counts) == 2  # 储备项目=116个, 民生实事=50项


def test_indicator_targets_are_shown(fdw):
    ws = fdw[fs.SHEET_LEAD]
    labels = {fs.parse_task_label(cell(ws, "task_id", r).value): r for r in data_rows(ws)}
    assert cell(ws, "ind1_target", labels["1"]).value == "地区生产总值：增长8%（填增速）"
    assert cell(ws, "ind1_target", labels["8.2"]).value == "重点项目计划总投资：400亿元"
    assert cell(ws, "ind3_target", labels["8.2"]).value.startswith("储备项目计划总投资：")
    # and the 任务内容 cell lists them under the task's text, for the printed page
    content = cell(ws, "content", labels["8.2"]).value.split("\n")
    assert content[0] == (
        "谋划推进蚌埠港现代物流国际集装箱码头产业园等重点项目，计划总投资近 400 亿元；"
        "储备蚌埠闸水源地保护等项目 116 个，计划总投资 808.2 亿元。"
    )
    assert content[1:] == [
        "【指标1】重点项目计划总投资：400亿元",
        "【指标2】储备项目：116个",
        "【指标3】储备项目计划总投资：808.2亿元",
    ]
    plain = [r for r in labels.values() if not cell(ws, "ind1_target", r).value]
    assert plain and all("【指标" not in cell(ws, "content", r).value for r in plain)


# -- print setup ---------------------------------------------------------------------
def test_print_settings(fdw):
    for name in (fs.SHEET_LEAD, fs.SHEET_COOP):
        ws = fdw[name]
        ps = ws.page_setup
        assert ps.orientation == "landscape" and str(ps.paperSize) == "9"
        assert not ws.sheet_properties.pageSetUpPr.fitToPage  # a fixed, legible scale
        assert ws.print_title_rows == f"${fs.HEADER_ROW}:${fs.HEADER_ROW}"
        assert ws.oddFooter.center.text == "第 &P 页 共 &N 页"
        assert 0.3 <= ws.page_margins.left <= 1
        rows = list(data_rows(ws))
        assert all(ws.row_dimensions[r].height >= 45 for r in rows)
        assert cell(ws, "content", rows[0]).alignment.wrap_text
        assert cell(ws, "content", rows[0]).border.left.style == "thin"
    guide = fdw[fs.SHEET_GUIDE]
    assert guide.page_setup.orientation == "portrait"


def assert_prints_legibly(ws, unit: str, period_label: str) -> None:
    """≥ 9 pt on paper: each printed page's visible columns fit A4 landscape at the sheet's
    scale (columns measured as the widest office program reads them), the answer columns
    and the 指标完成值 on the first page; 责任分工 and the targets (listed in 任务内容) on
    no printed page unless the partners' feedback is there; a running header naming the
    unit."""
    from reporting.documents import xlsx_style as st

    name = ws.title
    scale = ws.page_setup.scale
    sizes = {cell(ws, k, fs.FIRST_DATA_ROW).font.sz for k in ("content", "progress")}
    assert min(sizes) * scale / 100 >= st.MIN_EFFECTIVE_PT, (unit, name, scale)
    headers = [
        fs.column_for_header(str(ws.cell(row=fs.HEADER_ROW, column=c).value or ""))
        for c in range(1, ws.max_column + 1)
    ]
    first = max(i for i, k in enumerate(headers, 1) if k == "next_steps" or k.endswith("_value"))
    assert headers[first : first + 1] in (["partners"], [])  # the answers end the first page

    def fits(cols) -> None:
        letters = [get_column_letter(c) for c in cols]
        width = sum(
            st.column_points(ws.column_dimensions[x].width)
            for x in letters
            if not ws.column_dimensions[x].hidden
        )
        assert width * scale / 100 <= st.printable_width(), (unit, name, cols)

    breaks = [b.id for b in ws.col_breaks.brk]
    partners = get_column_letter(headers.index("partners") + 1)
    if not breaks:  # nothing but 责任分工 and targets after the answers: one page wide
        area = ws.print_area
        assert "," not in area and f"!$A$1:${get_column_letter(first)}$" in area, area
        assert ws.column_dimensions[partners].hidden
        fits(range(1, first + 1))
    else:
        assert breaks[0] == first and not ws.column_dimensions[partners].hidden
        edges = [0, *breaks, ws.max_column]
        for i, (a, b) in enumerate(zip(edges, edges[1:], strict=False)):
            fits(range(a + 1, b + 1) if i == 0 else [1, 2, 3, *range(a + 1, b + 1)])
        assert ws.print_title_cols == "$A:$C"
        # the later pages are their own print range from the header row down: the title,
        # header fields and note (merged over the first page) would print cut there
        later = get_column_letter(first + 1)
        assert ws.print_area.split(",")[1].startswith(f"'{name}'!${later}${fs.HEADER_ROW}:")
    assert ws.oddHeader.left.text == f"{unit}　{period_label}进展情况表（{name[:4]}）"
    # 序号, 任务编号, 任务内容 stay in view when scrolling right
    assert ws.freeze_panes == f"D{fs.FIRST_DATA_ROW}"
    prev = get_column_letter(fs.column_index("previous"))
    for h in fs.HEADER_CELLS:
        for coord in (h.label_cell, h.value_cell):
            assert not coord.startswith(prev) and coord[0] <= get_column_letter(first)


def test_every_form_prints_legibly_at_a_fixed_scale(built):
    app, summary = built
    for form in summary.built:
        wb = openpyxl.load_workbook(form.path)
        for name in (fs.SHEET_LEAD, fs.SHEET_COOP):
            if name not in wb.sheetnames:
                continue
            ws = wb[name]
            assert_prints_legibly(ws, form.unit, "2024年第一季度")
            # Q1 has no last quarter: the reference column is there but hidden
            prev = get_column_letter(fs.column_index("previous"))
            assert ws.column_dimensions[prev].hidden


@pytest.fixture(scope="module")
def built_q2(tmp_path_factory):
    """All forms of 2024Q2 after a Q1 in which every unit answered every row at length:
    the 上季度报送情况 column is shown on every task sheet."""
    app = create_app(ROOT / "config.toml", data_dir=tmp_path_factory.mktemp("q2"), env={})
    text = (
        "（一季度）"
        + "围绕目标任务细化工作安排，召开专题调度会，协调解决用地、资金等要素保障。" * 3
    )
    rows = [
        replace(
            row_skeleton(r),
            lead_reports=[Answer(u, text, 30, "序时推进", "无", "继续推进") for u in r.lead_units],
            coop_feedback=[Answer(u, text, 30, "序时推进") for u in r.coop_units],
        )
        for r in app.assignments.rows
    ]
    result = QuarterResult("2024Q1", "2024年第一季度", 25, "", "", rows=rows)
    app.ledger().close()  # the ledger first, as in a real data dir (else it counts as lost)
    path = app.workspace.merged_json(Q1)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(asdict(result), ensure_ascii=False), encoding="utf-8")
    summary = build_forms(app.settings, app.assignments, app.workspace, "2024Q2", now=NOW)
    return app, summary


def test_forms_showing_last_quarter_print_legibly(built_q2):
    """Seen on the 区人社局 Q2 render: with the reference column shown, 下步打算 spilled onto
    a page of its own. Every Q2 form keeps its answer columns on the first page at ≥ 9 pt."""
    app, summary = built_q2
    sheets = 0
    for form in summary.built:
        assert form.reference_rows > 0, form.unit
        wb = openpyxl.load_workbook(form.path)
        for name in (fs.SHEET_LEAD, fs.SHEET_COOP):
            if name in wb.sheetnames:
                ws = wb[name]
                prev = get_column_letter(fs.column_index("previous"))
                assert not ws.column_dimensions[prev].hidden
                assert_prints_legibly(ws, form.unit, "2024年第二季度")
                sheets += 1
    assert sheets > len(summary.built)


def test_answer_rows_grow_with_the_text(built):
    """Data rows carry a starting height but are not marked custom, so Excel and WPS grow
    them as the unit types; header rows keep their fixed height."""
    import re

    app, _ = built
    path = app.workspace.form_path(Q1, "区发改委")
    with zipfile.ZipFile(path) as z:
        wb = openpyxl.load_workbook(path)
        index = wb.sheetnames.index(fs.SHEET_LEAD) + 1
        xml = z.read(f"xl/worksheets/sheet{index}.xml").decode("utf-8")
    rows = dict(re.findall(r'<row r="(\d+)"([^>]*)>', xml))
    n = len(app.assignments.by_unit["区发改委"].lead)
    for r in range(fs.FIRST_DATA_ROW, fs.FIRST_DATA_ROW + n):
        assert 'ht="' in rows[str(r)] and "customHeight" not in rows[str(r)], r
    assert 'customHeight="1"' in rows[str(fs.HEADER_ROW)]


def test_fonts_are_chinese_in_styles_xml(built):
    app, _ = built
    path = app.workspace.form_path(Q1, "区发改委")
    styles = zipfile.ZipFile(path).read("xl/styles.xml").decode("utf-8")
    assert '<name val="宋体"/><charset val="134"/>' in styles
    assert '<name val="黑体"/>' in styles
    assert "Calibri" not in styles and "scheme" not in styles
    ws = openpyxl.load_workbook(path)[fs.SHEET_LEAD]
    assert ws["A1"].font.name == "黑体"
    assert cell(ws, "content", fs.FIRST_DATA_ROW).font.name == "宋体"


# -- identification ------------------------------------------------------------------
def identity_places(wb) -> dict[str, fs.FormIdentity | None]:
    """Every place a form carries its identity (the same reading intake will do)."""
    out: dict[str, fs.FormIdentity | None] = {}
    guide = wb[fs.SHEET_GUIDE]
    out["visible_cell"] = fs.FormIdentity.decode(guide[fs.GUIDE_CELLS["ident"]].value)
    if fs.SHEET_ID in wb.sheetnames:
        ws = wb[fs.SHEET_ID]
        pairs = {
            ws.cell(row=r, column=1).value: ws.cell(row=r, column=2).value for r in range(2, 20)
        }
        out["hidden_sheet"] = fs.FormIdentity.from_pairs(pairs) if pairs.get("form_id") else None
    props = {p.name: p.value for p in wb.custom_doc_props}
    out["custom_props"] = (
        fs.FormIdentity.from_pairs({k: props.get(v) for k, v in fs.CUSTOM_PROPS.items()})
        if props.get(fs.CUSTOM_PROPS["form_id"])
        else None
    )
    name = wb.defined_names.get(fs.IDENT_NAME)
    out["defined_name"] = fs.FormIdentity.decode(name.attr_text) if name else None
    return out


def test_identification_in_every_place(built, fdw):
    app, _ = built
    rows = app.assignments.by_unit["区发改委"]
    expected = fs.FormIdentity.build(
        Q1, "区发改委", rows.lead, rows.coop, NOW.isoformat(timespec="seconds")
    )
    places = identity_places(fdw)
    assert places["hidden_sheet"] == expected
    short = ("form_id", "unit", "period", "fingerprint", "schema_version")
    for where, ident in places.items():
        assert ident is not None, where
        assert {k: getattr(ident, k) for k in short} == {k: getattr(expected, k) for k in short}, (
            where
        )
    assert expected.form_id.startswith("2024Q1-") and expected.schema_version == fs.SCHEMA_VERSION
    assert fdw[fs.SHEET_GUIDE][fs.GUIDE_CELLS["form_id"]].value == expected.form_id
    for sheet in (fs.SHEET_LEAD, fs.SHEET_COOP):
        ws = fdw[sheet]
        assert ws[fs.HEADER_BY_KEY["form_id"].value_cell].value == expected.form_id
        assert ws[fs.HEADER_BY_KEY["unit"].value_cell].value == "区发改委"
        assert ws[fs.HEADER_BY_KEY["form_id"].value_cell].protection.locked
    # per-row fingerprints under the key/value block of the hidden sheet
    ws = fdw[fs.SHEET_ID]
    head = fs.ID_ROWS_HEADER_ROW
    assert tuple(ws.cell(row=head, column=c).value for c in range(1, 5)) == fs.ID_ROWS_HEADER
    first = [ws.cell(row=head + 1, column=c).value for c in range(1, 5)]
    task = app.assignments.by_id[expected.lead_ids[0]].task
    assert first == [fs.SHEET_LEAD, fs.FIRST_DATA_ROW, task.id, task.fingerprint()]
    with Ledger(app.workspace.ledger_path) as ledger:
        assert ledger.forms(Q1)["区发改委"]["fingerprint"] == expected.fingerprint


def test_fingerprint_changes_with_content():
    t = Task(
        id="1",
        section=1,
        section_title="",
        task_no="1",
        task_title="",
        content="甲",
        lead_units="x",
    )
    t2 = Task(
        id="1",
        section=1,
        section_title="",
        task_no="1",
        task_title="",
        content="甲乙",
        lead_units="x",
    )
    assert fs.rows_fingerprint([t]) != fs.rows_fingerprint([t2])
    assert fs.form_fingerprint([t], []) != fs.form_fingerprint([], [t])
    assert (
        fs.form_id(Q1, "区发改委") == fs.form_id("2024Q1", "区发改委") != fs.form_id(Q1, "区财政局")
    )
    assert fs.parse_task_label("8（1）") == fs.parse_task_label("8(1)") == "8.1"


def test_guide_sheet(fdw, built):
    app, _ = built
    ws = fdw[fs.SHEET_GUIDE]
    assert ws["A1"].value.startswith("禹会区2024年《政府工作报告》重点任务第一季度推进情况表")
    assert ws[fs.GUIDE_CELLS["unit"]].value == "区发改委"
    assert ws[fs.GUIDE_CELLS["deadline"]].value == "2024年4月8日（星期一）17:30 前"
    assert (
        ws[fs.GUIDE_CELLS["counts"]].value
        == "牵头任务 10 项（见“牵头任务”表），配合任务 7 项（见“配合任务”表）"
    )
    assert "区督查考核办" in ws[fs.GUIDE_CELLS["contact"]].value
    notes = [ws.cell(row=r, column=1).value for r in range(fs.GUIDE_FIRST_NOTE_ROW, ws.max_row + 1)]
    assert notes[0] == "填报要求"
    assert any("序时进度为 25%" in n for n in notes)
    assert not any("浅黄色" in n for n in notes)  # nothing pre-filled in Q1


# -- names that are not safe in file names -------------------------------------------------
def test_unsafe_unit_names(tmp_path):
    names = ["区/某局", "区_某局", "区:某中心", "区*某办?", "=区某所"]
    registry = Registry([Unit(n) for n in names], RegistrySettings())
    tasks = [
        Task(
            id=str(i),
            section=1,
            section_title="",
            task_no=str(i),
            task_title="",
            content=f"任务{i}<&>",
            lead_units=n,
        )
        for i, n in enumerate(names, 1)
    ]
    a = Assignments(tasks, registry)
    app = create_app(ROOT / "config.toml", data_dir=tmp_path, env={})
    ws_ = Workspace(tmp_path)
    summary = build_forms(app.settings, a, ws_, Q1, now=NOW)
    assert summary.ok, summary.lines()
    paths = [f.path for f in summary.built]
    assert len(set(paths)) == len(names)  # 区/某局 and 区_某局 do not overwrite each other
    for form in summary.built:
        assert form.path.parent == ws_.forms_dir(Q1) and form.path.exists()
        assert not set(form.path.name) & set('\\/:*?"<>|')
        wb = openpyxl.load_workbook(form.path)
        shown = wb[fs.SHEET_LEAD][fs.HEADER_BY_KEY["unit"].value_cell]
        assert shown.data_type == "s"
        assert shown.value.lstrip("'") == form.unit
        assert identity_places(wb)["hidden_sheet"].unit == form.unit
        assert identity_places(wb)["defined_name"].unit == form.unit
        assert cell(wb[fs.SHEET_LEAD], "content", fs.FIRST_DATA_ROW).value.endswith("<&>")


# -- pre-fill from last quarter ------------------------------------------------------
def test_prefill_from_previous_merged_json(app):
    a = app.assignments
    mine = a.by_unit["区发改委"]
    lead_row, coop_row = mine.lead[0], mine.coop[0]  # task 1 (GDP indicator) and a coop row
    other_lead = next(r for r in a.rows if "区发改委" not in r.lead_units + r.coop_units)

    def row_result(r, lead=(), coop=()):
        return replace(row_skeleton(r), lead_reports=list(lead), coop_feedback=list(coop))

    result = QuarterResult(
        period="2024Q1",
        period_label="2024年第一季度",
        expected_progress=25,
        deadline="",
        generated_at="",
        rows=[
            row_result(
                lead_row,
                lead=[
                    Answer(
                        "区发改委",
                        "一季度GDP增长7.9%",
                        25,
                        "序时推进",
                        "无",
                        "=加强调度",
                        {"地区生产总值": 7.9},
                    )
                ],
            ),
            row_result(
                coop_row,
                lead=[Answer(coop_row.lead_units[0], "别人的进展", 30, "超序时")],
                coop=[Answer("区发改委", "配合提供项目清单", None, None, "", "继续配合")],
            ),
            row_result(other_lead, lead=[Answer(other_lead.lead_units[0], "无关单位", 20, "滞后")]),
        ],
    )
    app.ledger().close()  # the ledger first, as in a real data dir (else it counts as lost)
    path = app.workspace.merged_json(Q1)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(asdict(result), ensure_ascii=False), encoding="utf-8")

    summary = build_forms(
        app.settings, a, app.workspace, "2024Q2", units=["区发改委", "区财政局"], now=NOW
    )
    form = {f.unit: f for f in summary.built}
    assert form["区发改委"].reference_rows == 2 and form["区财政局"].reference_rows == 0
    assert any("上季度报送情况（供参考）" in line for line in summary.lines())
    wb = openpyxl.load_workbook(form["区发改委"].path)
    lead = wb[fs.SHEET_LEAD]
    r = fs.FIRST_DATA_ROW
    assert fs.parse_task_label(cell(lead, "task_id", r).value) == lead_row.id
    # nothing is pre-filled where the unit answers: an untouched form cannot pass as news
    for k in ("progress", "percent", "status", "problems", "next_steps", "ind1_value"):
        assert cell(lead, k, r).value is None, k
        assert not cell(lead, k, r).protection.locked
    ref = cell(lead, "previous", r)
    # a digest a printed page can hold; the whole answer on the 上季度全文 sheet
    assert ref.value == "25%，序时推进：一季度GDP增长7.9%"
    full = wb[fs.SHEET_PREVIOUS]
    assert full.protection.sheet and full.sheet_state == "visible"
    first = next(full.iter_rows(min_row=3, values_only=True))
    assert first[:6] == (
        lead_row.task.label,
        "25",
        "序时推进",
        "地区生产总值增长7.9%",  # the value with its unit
        "一季度GDP增长7.9%",
        "无",
    )
    assert "加强调度" in first[6] and not first[6].startswith("=")  # never a formula
    assert full.max_row == 2 + 2  # the lead row and the coop row answered last quarter
    assert ref.protection.locked and ref.fill.fgColor.rgb == "FFFFF2CC"
    assert not lead.column_dimensions[get_column_letter(fs.column_index("previous"))].hidden
    assert cell(lead, "previous", r + 1).value == "2024年第一季度未报送该项"
    coop = wb[fs.SHEET_COOP]
    assert cell(coop, "previous", r).value == "配合提供项目清单"
    assert cell(coop, "progress", r).value is None
    guide = [c.value for c in wb[fs.SHEET_GUIDE]["A"] if c.value]
    assert any("上季度报送情况（供参考）" in v and "2024年第一季度" in v for v in guide)
    assert wb[fs.SHEET_GUIDE]["A1"].value.startswith(
        "禹会区2024年《政府工作报告》重点任务第二季度推进情况表"
    )


def test_unreadable_previous_result_does_not_stop_forms(app):
    app.ledger().close()  # the ledger first, as in a real data dir (else it counts as lost)
    path = app.workspace.merged_json(Q1)
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    summary = build_forms(
        app.settings, app.assignments, app.workspace, "2024Q2", units=["区财政局"], now=NOW
    )
    assert summary.ok and len(summary.built) == 1
    assert any("无法读取" in line and "不列上季度报送情况" in line for line in summary.lines())


# -- CLI, already sent, --force -------------------------------------------------------
def test_cli_refuses_to_overwrite_a_sent_form_without_force(duban, app):
    r = duban("forms", "--period", "2024年第一季度", "--unit", "区发改委", "--unit", "区财政局")
    assert r.code == 0, r.output
    assert "已生成 2 个单位的2024年第一季度进展情况表" in r.out
    path = app.workspace.form_path(Q1, "区发改委")
    with Ledger(app.workspace.ledger_path) as ledger:
        ledger.record_send(Q1, "区发改委", "通知", "email", "failed", at=NOW.isoformat())
        assert not ledger.notice_sent(Q1, "区发改委")
        ledger.record_send(Q1, "区发改委", "通知", "email", "sent", at=NOW.isoformat())
        assert ledger.notice_sent(Q1, "区发改委")
    path.write_bytes(b"as sent")  # stands for the copy the unit has
    r = duban("forms", "--period", "2024Q1", "--unit", "区发改委", "--unit", "区财政局")
    assert r.code == 0, r.output
    assert path.read_bytes() == b"as sent"
    assert "跳过 1 个单位" in r.out and "区发改委" in r.out and "--force" in r.out
    assert "已生成 1 个单位" in r.out
    r = duban("forms", "--period", "2024Q1", "--unit", "区发改委", "--force")
    assert r.code == 0, r.output
    assert "跳过" not in r.out
    assert openpyxl.load_workbook(path).sheetnames[0] == fs.SHEET_GUIDE


def test_cli_out_dir_groups_and_errors(duban, tmp_path):
    out = tmp_path / "预览"
    r = duban(
        "forms",
        "--period",
        "2024Q1",
        "--unit",
        "各乡镇",
        "--unit",
        "区政府各部门",
        "--out",
        str(out),
    )
    assert r.code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == [
        "2024Q1_长青乡_进展情况表.xlsx",
        "2024Q1_马城镇_进展情况表.xlsx",
    ]
    assert "区政府各部门（泛指的提法，不单独填报）" in r.out
    r = duban("forms", "--period", "2024Q1", "--unit", "区发该委")
    assert r.code == 1 and "区发该委" in r.err and "区发改委" in r.err
    r = duban("forms", "--period", "2024Q5")
    assert r.code == 1 and "2024Q1 或 2024年第一季度" in r.err
    r = duban("forms", "--help")
    assert r.code == 0 and "duban forms --period 2024Q1" in r.out


# -- LibreOffice -------------------------------------------------------------------
@office
def test_printed_later_pages_carry_no_cut_title_or_note(built, tmp_path):
    """Seen on the 长青乡 render: the merged title and note printed as fragments
    ("禹会区2024年《政府") on every 责任分工/indicator page."""
    import subprocess

    from reporting.documents.office import convert

    app, _ = built
    pdf = convert(app.workspace.form_path(Q1, "长青乡"), "pdf", tmp_path / "pdf")
    pages = (
        subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True)
        .stdout.strip("\f")
        .split("\f")
    )
    assert len(pages) >= 6
    # the 填报说明 is read on screen, not printed: every page is a task page
    assert not any("填报要求" in p for p in pages)
    titled = [i for i, p in enumerate(pages) if "重点任务第一季度推进情况表" in p]
    assert len(titled) == 2  # the first page of each task sheet only
    # the colour note is for the screen: printed it ended up alone on a page under a
    # repeated header row; every printed task page holds task rows
    assert not any("白色单元格由本单位填写" in p for p in pages)
    assert not any("申请类别" in p for p in pages)  # the request sheet: on screen only
    for i, text in enumerate(pages):
        assert re.search(r"^\s*\d+\s+\d+(（\d+）)?(\s|$)", text, re.M), i  # 序号 任务编号
    for i, text in enumerate(pages):  # whose form, on every page
        assert "长青乡" in text.split("\n")[0] and fs.form_id(Q1, "长青乡") in text, i
        if i not in titled:
            assert "禹会区2024年" not in text and "填报单位" not in text, i
    # the indicators' values are filled on the pages of the answers, their targets listed
    # in 任务内容; the targets' and 责任分工's columns print no page of their own
    assert not any("指标1（目标）" in p or "责任分工" in p for p in pages)
    assert any("完成值" in p and "【指标1】" in p and "下步打算" in p for p in pages)


def plain_office_convert(src, fmt: str, outdir):
    """Convert as a user's own LibreOffice does: the machine's fonts, no font map of ours.
    Without SimSun 宋体 then falls back to a Latin face with wide digits (DejaVu Sans here),
    the widest column unit of the office programs a form meets."""
    import os
    import subprocess
    import tempfile
    from pathlib import Path

    from reporting.documents.office import soffice_path

    env = {k: v for k, v in os.environ.items() if k != "FONTCONFIG_FILE"}
    with tempfile.TemporaryDirectory() as profile:
        env["HOME"] = profile
        subprocess.run(
            [
                soffice_path(),
                "--headless",
                "--norestore",
                f"-env:UserInstallation={Path(profile).as_uri()}",
                "--convert-to",
                fmt,
                "--outdir",
                str(outdir),
                str(src),
            ],
            env=env,
            check=True,
            capture_output=True,
            timeout=180,
        )
    return Path(outdir) / f"{Path(src).stem}.{fmt}"


def ods_column_points(path, sheet: str) -> list[float]:
    """The column widths (pt) LibreOffice gave ``sheet`` when it converted a form to .ods."""
    import re

    content = zipfile.ZipFile(path).read("content.xml").decode("utf-8")
    styles = dict(
        re.findall(
            r'<style:style style:name="(co\d+)" style:family="table-column">'
            r'<style:table-column-properties [^>]*style:column-width="([\d.]+)in"',
            content,
        )
    )
    table = content.split(f'<table:table table:name="{sheet}"')[1].split("</table:table>")[0]
    out: list[float] = []
    for style, repeat in re.findall(
        r'<table:table-column table:style-name="(co\d+)"(?: table:number-columns-repeated="(\d+)")?',
        table,
    ):
        if int(repeat or 1) > 100:  # the unused columns to the sheet's end
            break
        out += [float(styles[style]) * 72] * int(repeat or 1)
    return out


@office
def test_column_widths_are_measured_as_wide_as_libreoffice_reads_them(built_q2, tmp_path):
    """The print scale rests on ``column_points``: it must never be narrower than the
    columns LibreOffice lays out, with its fonts or with ours (the report's font map)."""
    from reporting.documents import xlsx_style as st
    from reporting.documents.office import convert

    app, _ = built_q2
    src = app.workspace.form_path(Period(2024, 2), "区人社局")
    widths = [
        c.width for c in openpyxl.load_workbook(src)[fs.SHEET_LEAD].column_dimensions.values()
    ]
    assert len(widths) == len(fs.columns(1))
    for ods in (
        plain_office_convert(src, "ods", tmp_path / "plain"),
        convert(src, "ods", tmp_path / "mapped"),
    ):
        read = ods_column_points(ods, fs.SHEET_LEAD)
        assert len(read) == len(widths)
        for width, points in zip(widths, read, strict=True):
            assert st.column_points(width) >= points - 0.2, (ods, width, points)
    assert max(p / w for w, p in zip(widths, read, strict=True)) > 5.5  # read back, not zeros


@office
def test_a_form_showing_last_quarter_prints_its_answers_on_the_first_page(built_q2, tmp_path):
    """The 区人社局 Q2 render, as a user's own LibreOffice prints it: each task sheet's
    first page holds the title and every answer column through 下步打算; the later pages
    (责任分工, indicators) carry no cut title and no header boxes."""
    import subprocess

    app, _ = built_q2
    period = Period(2024, 2)
    pdf = plain_office_convert(app.workspace.form_path(period, "区人社局"), "pdf", tmp_path / "pdf")
    pages = (
        subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True)
        .stdout.strip("\f")
        .split("\f")
    )
    titled = [i for i, p in enumerate(pages) if "重点任务第二季度推进情况表" in p]
    assert len(titled) == 2  # 牵头任务 and 配合任务 (the 填报说明 is not printed)
    answers = [i for i, p in enumerate(pages) if "本季度工作进展" in p]
    # the whole answers and the request sheet are read on screen, not printed
    assert not any("已采纳的报送内容" in p or "申请类别" in p for p in pages)
    assert set(titled) <= set(answers)
    for i in answers:  # the answer columns never part: the header row is whole
        header = " ".join(pages[i].split())
        for word in ("上季度报送情况", "本季度工作进展", "存在问题", "下步打算"):
            assert word in header, (i, word)
    for i, text in enumerate(pages):
        assert "区人社局" in text.split("\n")[0] and fs.form_id(period, "区人社局") in text, i
        if i not in titled:
            assert "禹会区2024年" not in text and "填报单位" not in text, i
    # 责任分工 and the targets are no printed page; the values beside the answers
    assert not any("责任分工" in p or "（目标）" in p for p in pages)
    assert any("完成值" in p for p in pages)


@office
def test_libreoffice_converts_and_keeps_identification(built, tmp_path):
    from reporting.documents.office import convert

    app, _ = built
    src = app.workspace.form_path(Q1, "区发改委")
    pdf = convert(src, "pdf", tmp_path / "pdf")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
    resaved = convert(src, "xlsx", tmp_path / "xlsx")
    wb = openpyxl.load_workbook(resaved)
    places = identity_places(wb)
    # all four survive a LibreOffice re-save (see the report of issue #3)
    for where, ident in places.items():
        assert ident is not None and ident.form_id == fs.form_id(Q1, "区发改委"), where
        assert ident.unit == "区发改委" and ident.period == "2024Q1", where
    assert places["hidden_sheet"].lead_ids == tuple(
        r.id for r in app.assignments.by_unit["区发改委"].lead
    )
    assert wb[fs.SHEET_ID].sheet_state == "hidden" and wb.active.title == fs.SHEET_GUIDE
    ws = wb[fs.SHEET_LEAD]
    assert ws.protection.sheet
    assert not cell(ws, "progress", fs.FIRST_DATA_ROW).protection.locked
    assert cell(ws, "content", fs.FIRST_DATA_ROW).protection.locked
    kinds = {dv.type for dv in ws.data_validations.dataValidation}
    assert {"list", "decimal", "textLength"} <= kinds
    assert wb.defined_names[fs.STATUS_NAME].attr_text.endswith("$A$1:$A$5")
    # printed: the answer columns and the indicators' values together on one page wide,
    # no page of targets
    import subprocess

    pages = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")
    answer_pages = [p for p in pages if "本季度工作进展" in p]
    assert answer_pages and all("下步打算" in p for p in answer_pages)
    assert any("完成值" in p and "【指标1】" in p for p in answer_pages)
    assert not any("指标1（目标）" in p for p in pages)


def test_a_misspelt_unit_in_the_task_table_stops_the_forms(app, root, tmp_path):
    """A name the registry cannot resolve must not silently drop a row from every form."""
    text = (root / "tasks.csv").read_text(encoding="utf-8")
    bad = tmp_path / "tasks.csv"
    bad.write_text(
        text.replace(",区发改委,GDP核算基础数据承担单位", ",区发改伟,GDP核算基础数据承担单位", 1),
        encoding="utf-8",
    )
    app.settings.paths.tasks = bad
    from reporting.core.exceptions import FormError

    with pytest.raises(
        FormError,
        match="任务表有错误，未生成表单：.*“区发改伟”无法识别，可能是 区发改委？.*duban check",
    ):
        build_forms(app.settings, app.assignments, app.workspace, Period(2024, 1), now=NOW)
    assert not app.workspace.forms_dir(Period(2024, 1)).exists()


def test_the_forms_command_records_the_step_for_the_runner(duban, app):
    r = duban("forms", "--period", "2024Q1", "--unit", "区发改委")
    assert r.code == 0, r.output
    with Ledger(app.workspace.ledger_path) as ledger:
        assert ledger.step_done(Q1, "forms") is None  # some units only: the step is not done
    r = duban("forms", "--period", "2024Q1")
    assert r.code == 0, r.output
    with Ledger(app.workspace.ledger_path) as ledger:
        assert ledger.step_done(Q1, "forms")["detail"] == f"{len(app.assignments.by_unit)} 个单位"


# -- written over the cores, the same as one by one ---------------------------------------
def test_forms_written_in_parallel_equal_the_serial_ones(tmp_path):
    """Workers write the workbooks, the parent records them: same bytes, same ledger rows
    in the same order, whatever the number of processes."""
    outcomes = {}
    for workers in (1, 2):
        app = create_app(ROOT / "config.toml", data_dir=tmp_path / f"w{workers}", env={})
        progress: list[str] = []
        summary = build_forms(
            app.settings,
            app.assignments,
            app.workspace,
            Q1,
            now=NOW,
            workers=workers,
            progress=progress.append,
        )
        assert summary.ok and len(summary.built) == len(app.assignments.by_unit)
        files = {f.unit: f.path.read_bytes() for f in summary.built}
        with Ledger(app.workspace.ledger_path) as ledger:
            rows = [
                (r["unit"], r["form_id"], r["fingerprint"], r["created_at"])
                for r in ledger.conn.execute("SELECT * FROM forms ORDER BY rowid")
            ]
        outcomes[workers] = (progress, [f.unit for f in summary.built], files, rows)
    serial, parallel = outcomes[1], outcomes[2]
    assert parallel[0] == serial[0] == parallel[1]  # progress and summary in the serial order
    assert parallel[2].keys() == serial[2].keys()
    for unit, data in serial[2].items():
        assert parallel[2][unit] == data, unit
    assert parallel[3] == serial[3] and len(serial[3]) == len(serial[2])


def test_a_failing_form_is_reported_and_the_others_recorded(tmp_path):
    """A worker's error is the unit's failure in the summary; the batch and the ledger go on."""
    app = create_app(ROOT / "config.toml", data_dir=tmp_path / "data", env={})
    out = tmp_path / "out"
    out.mkdir()
    units = list(app.assignments.by_unit)
    blocked = Workspace(tmp_path / "data").form_path(Q1, units[3]).name
    (out / blocked).mkdir()  # a folder where the form should go: replacing it fails
    summary = build_forms(
        app.settings, app.assignments, app.workspace, Q1, now=NOW, out_dir=out, workers=2
    )
    assert [u for u, _ in summary.failed] == [units[3]]
    assert "无法写入" in summary.failed[0][1]
    assert len(summary.built) == len(units) - 1
    with Ledger(app.workspace.ledger_path) as ledger:
        assert set(ledger.forms(Q1)) == set(units) - {units[3]}


def test_the_reference_cell_is_a_digest_of_last_quarter():
    """Percent, status and about 40 characters of the progress, ending at a clause."""
    from reporting.forms.sheets import DIGEST_CHARS, reference_text

    long = "围绕目标任务细化工作安排，召开专题调度会，协调解决用地、资金等要素保障。" * 3
    text = reference_text(Answer("区发改委", long, 30, "序时推进"), "2024年第一季度")
    head, rest = text.split("：", 1)
    assert head == "30%，序时推进"
    assert len(rest) <= DIGEST_CHARS * 1.25 and rest.endswith("。") and long.startswith(rest[:-1])
    assert reference_text(None, "2024年第一季度") == "2024年第一季度未报送该项"


@office
def test_a_small_form_prints_one_page_per_sheet(built_q2, tmp_path):
    """A unit with at most three rows and no indicators: one page per task sheet (the
    填报说明 is read on screen; 责任分工 is no page of its own); the 识别码 on none of them."""
    from pdf_pages import page_texts, render_all

    app, summary = built_q2
    small = [
        f
        for f in summary.built
        if f.lead_rows + f.coop_rows <= 3
        and not any(
            r.task.indicators
            for r in [
                *app.assignments.for_unit(f.unit).lead,
                *app.assignments.for_unit(f.unit).coop,
            ]
        )
    ][:3]
    assert small
    pdfs = render_all([f.path for f in small], tmp_path)
    for form, pdf in zip(small, pdfs, strict=True):
        pages = page_texts(pdf)
        sheets = bool(form.lead_rows) + bool(form.coop_rows)
        # the 上季度全文 and the 销号延期调整申请 are read on screen, not printed
        assert len(pages) == sheets, (form.unit, len(pages))
        assert not any("DUBAN|" in p for p in pages), form.unit
        assert all("责任分工" not in p for p in pages), form.unit
