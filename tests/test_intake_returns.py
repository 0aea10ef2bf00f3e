"""Examining returned files: generated forms filled with openpyxl as units would, valid and
broken or hostile in many ways; every case has its own state, code and Chinese message."""

from __future__ import annotations

import io
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT
from openpyxl.packaging.custom import CustomPropertyList
from test_intake_support import (
    HEADER,
    PERIOD,
    UNIT,
    col_of,
    edit,
    errors,
    fill,
    make_forms,
    rezip,
    row_of,
    run_examine,
    valid_answers,
    warnings_of,
)

from jobs.app import create_app
from reporting.core.model import Answer
from reporting.core.periods import Period
from reporting.forms import formspec as fs


@pytest.fixture(scope="module")
def forms(tmp_path_factory):
    """One app and the generated forms of three units (and 区发改委's 2023Q4 form)."""
    data = tmp_path_factory.mktemp("data")
    app = create_app(ROOT / "config.toml", data_dir=data, env={})
    paths = make_forms(app, [UNIT, "长青乡", "区人社局"])
    old = make_forms(app, [UNIT], Period(2023, 4), out_dir=data / "old")
    return app, paths, old[UNIT]


@dataclass
class Ctx:
    app: object
    form: Path
    old_form: Path
    tmp: Path

    def answers(self) -> dict:
        return valid_answers(self.app, UNIT)

    def filled(
        self,
        answers: dict | None = None,
        name: str = "2024Q1_区发改委_进展情况表.xlsx",
        header=None,
    ) -> Path:
        return fill(self.form, self.tmp / name, answers or self.answers(), header)

    @staticmethod
    def ref(app, role: str, task_id: str, key: str) -> str:
        rows = app.assignments.by_unit[UNIT]
        slots = max(len(r.task.indicators) for r in (rows.lead if role == "lead" else rows.coop))
        return f"{col_of(key, slots)}{row_of(app, UNIT, role, task_id)}"

    def cell(self, role: str, task_id: str, key: str) -> str:
        return self.ref(self.app, role, task_id, key)


@pytest.fixture
def ctx(forms, tmp_path) -> Ctx:
    app, paths, old = forms
    return Ctx(app, paths[UNIT], old, tmp_path)


def test_valid_return_is_accepted_with_the_values_filled_in(ctx):
    answers = ctx.answers()
    ex = run_examine(ctx.app, ctx.filled(answers))
    assert ex.state == "accepted", errors(ex)
    assert ex.unit == UNIT and ex.period == "2024Q1" and ex.identified_by == "hidden_sheet"
    assert ex.form_id == fs.form_id(PERIOD, UNIT) and ex.schema_version == fs.SCHEMA_VERSION
    assert errors(ex) == [] and warnings_of(ex) == []
    assert ex.header == HEADER
    rows = ctx.app.assignments.by_unit[UNIT]
    assert list(ex.answers.lead) == [r.id for r in rows.lead]
    assert list(ex.answers.coop) == [r.id for r in rows.coop]
    for (role, tid), a in answers.items():
        got = (ex.answers.lead if role == "lead" else ex.answers.coop)[tid]
        assert got.unit == UNIT
        assert got.progress == a["progress"]
        assert got.problems == a["problems"] and got.next_steps == a["next_steps"]
        assert got.percent == (float(a["percent"]) if a["percent"] != "" else None)
        assert got.status == (a["status"] or None)
        assert {k: v for k, v in got.indicators.items()} == {
            k: float(v) for k, v in a["indicators"].items()
        }


def test_variants_units_type_are_normalised(ctx):
    answers = ctx.answers()
    answers[("lead", "1")].update(
        percent="８０％", status="正常推进", indicators={"地区生产总值": "增长7.5%"}
    )
    answers[("lead", "3")].update(percent="80%")
    answers[("lead", "8.2")].update(
        indicators={
            "重点项目计划总投资": "1,234.5亿元",
            "储备项目": "１１６",
            "储备项目计划总投资": "约300",
        }
    )
    answers[("lead", "26.1")].update(percent=" 35 ", status="超序时进度")
    ex = run_examine(ctx.app, ctx.filled(answers))
    assert ex.state == "accepted", errors(ex)
    lead = ex.answers.lead
    assert (lead["1"].percent, lead["1"].status) == (80.0, "序时推进")
    assert lead["1"].indicators == {"地区生产总值": 7.5}
    assert lead["3"].percent == 80.0
    assert lead["8.2"].indicators == {
        "重点项目计划总投资": 1234.5,
        "储备项目": 116.0,
        "储备项目计划总投资": 300.0,
    }
    assert (lead["26.1"].percent, lead["26.1"].status) == (35.0, "超序时")


def test_percent_formatted_cell_reads_as_percent(ctx):
    path = ctx.filled()
    ref = ctx.cell("lead", "3", "percent")

    def change(wb):
        ws = wb[fs.SHEET_LEAD]
        ws[ref] = 0.8
        ws[ref].number_format = "0%"

    ex = run_examine(ctx.app, edit(path, change))
    assert ex.state == "accepted", errors(ex)
    assert ex.answers.lead["3"].percent == 80.0


def test_fraction_without_percent_format_is_taken_as_typed_with_a_warning(ctx):
    answers = ctx.answers()
    answers[("lead", "3")].update(percent=0.8, status="滞后", problems="资金未到位")
    ex = run_examine(ctx.app, ctx.filled(answers))
    assert ex.state == "accepted"
    assert ex.answers.lead["3"].percent == 0.8
    (warning,) = [p for p in ex.problems if p.code == "percent_fraction"]
    assert warning.cell == ctx.cell("lead", "3", "percent")
    assert "如意为 80%，请改填 80" in warning.message


def test_unchanged_prefill_is_marked_and_warned(ctx):
    answers = ctx.answers()
    prev = {(UNIT, "lead", "1"): Answer(unit=UNIT, progress=answers[("lead", "1")]["progress"])}
    ex = run_examine(ctx.app, ctx.filled(answers), previous=prev)
    assert ex.state == "accepted"
    assert ex.answers.lead["1"].prefilled and not ex.answers.lead["3"].prefilled
    assert any("与上季度报送的内容一字不差" in w for w in warnings_of(ex))


def test_a_row_identical_to_last_quarter_is_returned_when_intake_says_reject(ctx):
    answers = ctx.answers()
    prev = {(UNIT, "lead", "1"): Answer(unit=UNIT, progress=answers[("lead", "1")]["progress"])}
    ctx.app.settings.intake.same_as_last_quarter = "reject"
    try:
        ex = run_examine(ctx.app, ctx.filled(answers), previous=prev)
    finally:
        ctx.app.settings.intake.same_as_last_quarter = "warn"
    assert ex.state == "rejected"
    (p,) = [p for p in ex.problems if p.code == "prefilled_unchanged"]
    assert p.level == "error" and p.cell == ctx.cell("lead", "1", "progress")


def test_the_untouched_q2_form_sent_back_is_not_taken_as_an_answer(ctx):
    """Nothing is pre-filled, so the blank form sent back is refused, never merged."""
    ex = run_examine(ctx.app, ctx.form)
    assert ex.state == "rejected" and ex.answers is None
    assert [p.code for p in ex.problems if p.level == "error"] == ["blank_form"]


def test_a_status_that_contradicts_percentage_and_pace_is_a_warning(ctx):
    """Q1 pace 25, ahead_points 10: 52 % reported as 序时推进 breaks the rule (≥ 35 % = 超序时);
    30 % reported as 超序时 too."""
    answers = ctx.answers()
    answers[("lead", "3")].update(percent=52, status="序时推进")
    answers[("lead", "1")].update(percent=30, status="超序时")
    ex = run_examine(ctx.app, ctx.filled(answers))
    assert ex.state == "accepted"
    found = {p.task: p for p in ex.problems if p.code == "status_pace"}
    assert set(found) == {"1", "3"}
    assert found["3"].cell == ctx.cell("lead", "3", "status")
    assert "累计完成进度52%已达到35%，按规则应为“超序时”" in found["3"].text
    assert "未达到35%" in found["1"].text


def test_lagging_without_reason_and_missing_header_are_warnings(ctx):
    answers = ctx.answers()
    answers[("lead", "9.2")].update(percent=10, status="滞后", problems="")
    ex = run_examine(ctx.app, ctx.filled(answers, header={}))
    assert ex.state == "accepted"
    codes = sorted(p.code for p in ex.problems)
    assert codes == ["header_missing", "header_missing", "lagging_no_reason"]
    assert any("表头“填报人”未填写" in w for w in warnings_of(ex))


# -- broken and hostile returns: (build, state, code, text, cell) -----------------------------
CASES: dict[str, tuple] = {}


def case(state: str, code: str, text: str, cell: str | None = None):
    def register(fn):
        CASES[fn.__name__] = (fn, state, code, text, cell)
        return fn

    return register


def _answers_with(c: Ctx, role: str, tid: str, **values) -> Path:
    answers = c.answers()
    answers[(role, tid)].update(values)
    return c.filled(answers)


@case("rejected", "empty", "是空文件（0 字节）")
def empty_file(c):
    p = c.tmp / "2024Q1_区发改委_进展情况表.xlsx"
    p.write_bytes(b"")
    return p


@case("rejected", "not_spreadsheet", "是 JPG 图片")
def jpeg_renamed(c):
    p = c.tmp / "区发改委.xlsx"
    p.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(200))
    return p


@case("rejected", "not_spreadsheet", "是 Word 文档（.docx）")
def docx_renamed(c):
    import docx

    p = c.tmp / "区发改委进展.xlsx"
    d = docx.Document()
    d.add_paragraph("一季度进展情况")
    d.save(p)
    return p


@case("rejected", "not_spreadsheet", "是 PDF 文件")
def pdf_file(c):
    p = c.tmp / "区发改委.pdf"
    p.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    return p


@case("rejected", "not_spreadsheet", "是纯文本/CSV 文件")
def csv_file(c):
    p = c.tmp / "区发改委.csv"
    p.write_text("任务编号,本季度工作进展\n1,完成\n", encoding="utf-8")
    return p


@case("rejected", "not_spreadsheet", "是网页（HTML）格式")
def html_as_xls(c):
    p = c.tmp / "区发改委.xls"
    p.write_text("<html><body><table><tr><td>1</td></tr></table></body></html>", encoding="utf-8")
    return p


@case("rejected", "truncated", "文件不完整或已损坏")
def truncated_zip(c):
    path = c.filled()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


@case("rejected", "encrypted", "设置了打开密码")
def password_encrypted(c):
    from msoffcrypto.format.ooxml import OOXMLFile

    src = c.filled()
    out = io.BytesIO()
    with open(src, "rb") as f:
        OOXMLFile(f).encrypt("secret", out)
    src.write_bytes(out.getvalue())
    return src


@case("rejected", "zip_bomb", "疑似“压缩炸弹”")
def zip_bomb_ratio(c):
    p = c.tmp / "区发改委.xlsx"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\x00" * (30 * 1024 * 1024))
    return p


@case("rejected", "zip_members", "超过 200 个的上限")
def zip_too_many_members(c):
    path = c.filled()
    return rezip(path, {f"xl/media/image{i}.png": b"x" for i in range(300)})


@case("rejected", "bad_xml", "被禁止的结构")
def xml_entity_bomb(c):
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>'
    )
    return rezip(c.filled(), {"xl/worksheets/sheet2.xml": bomb})


@case("rejected", "archive", "是一个压缩包，里面含有表格")
def zip_of_returns(c):
    src = c.filled()
    p = c.tmp / "区发改委报送材料.zip"
    with zipfile.ZipFile(p, "w") as zf:
        zf.write(src, "2024Q1_区发改委_进展情况表.xlsx")
    return p


@case("rejected", "wrong_period", "这是2023年第四季度的表单")
def last_quarters_form(c):
    return fill(c.old_form, c.tmp / "区发改委.xlsx", c.answers())


@case("unidentified", "unknown_unit", "表单中的填报单位“区发展改革委员会”不在单位名录中")
def unit_not_in_registry(c):
    def change(wb):
        ws = wb[fs.SHEET_ID]
        for row in ws.iter_rows(min_row=fs.ID_FIRST_ROW, max_col=2):
            if row[0].value == "unit":
                row[1].value = "区发展改革委员会"

    return edit(c.filled(name="附件.xlsx"), change)


@case("unidentified", "unidentified", "无法识别填报单位")
def plain_workbook_neutral_name(c):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active["A1"] = "一季度工作总结"
    p = c.tmp / "新建 Microsoft Excel 工作表.xlsx"
    wb.save(p)
    return p


@case("rejected", "schema_version", "表单格式版本为 9")
def future_schema_version(c):
    def change(wb):
        ws = wb[fs.SHEET_ID]
        for row in ws.iter_rows(min_row=fs.ID_FIRST_ROW, max_col=2):
            if row[0].value == "schema_version":
                row[1].value = "9"

    return edit(c.filled(), change)


@case("rejected", "percent", "“150”超出 0–100", "lead:1:percent")
def percent_over_100(c):
    return _answers_with(c, "lead", "1", percent=150)


@case("rejected", "percent", "“八十”不是百分数", "lead:3:percent")
def percent_in_words(c):
    return _answers_with(c, "lead", "3", percent="八十")


@case("rejected", "percent", "被表格软件当成了日期", "lead:3:percent")
def percent_became_a_date(c):
    import datetime

    return _answers_with(c, "lead", "3", percent=datetime.datetime(2024, 3, 30))


@case("rejected", "status", "“进行中”不是规定的推进状态", "lead:8.1:status")
def status_not_in_list(c):
    return _answers_with(c, "lead", "8.1", status="进行中")


@case("rejected", "indicator_value", "“待统计”不是数字", "lead:8.2:ind2_value")
def indicator_not_numeric(c):
    answers = c.answers()
    answers[("lead", "8.2")]["indicators"]["储备项目"] = "待统计"
    return c.filled(answers)


@case("rejected", "required", "指标“民生实事”的完成值未填写", "lead:26.1:ind1_value")
def indicator_missing(c):
    return _answers_with(c, "lead", "26.1", indicators={})


@case("rejected", "required", "本季度工作进展未填写", "lead:9.2:progress")
def lead_progress_missing(c):
    return _answers_with(c, "lead", "9.2", progress="")


@case("rejected", "required", "累计完成进度（%）未填写", "lead:22.2:percent")
def lead_percent_missing(c):
    return _answers_with(c, "lead", "22.2", percent="")


@case("rejected", "progress_placeholder", "本季度工作进展只填了“无”", "lead:24.2:progress")
def lead_progress_placeholder(c):
    return _answers_with(c, "lead", "24.2", progress="无")


@case("rejected", "done_not_100", "推进状态为“已完成”，但累计完成进度只有 80%", "lead:25.4:percent")
def done_but_not_100(c):
    return _answers_with(c, "lead", "25.4", percent=80, status="已完成")


@case(
    "rejected",
    "not_started_with_text",
    "推进状态为“未启动”，但“本季度工作进展”写了工作内容",
    "lead:22.1:status",
)
def not_started_with_progress_text(c):
    return _answers_with(c, "lead", "22.1", percent=0, status="未启动")


@case("rejected", "text_too_long", "超过 2000 字的上限", "lead:3:problems")
def text_too_long(c):
    return _answers_with(c, "lead", "3", problems="资金" * 1200)


@case("rejected", "row_deleted", "该任务的行被删除")
def row_deleted(c):
    r = row_of(c.app, UNIT, "lead", "8.2")
    return edit(c.filled(), lambda wb: wb[fs.SHEET_LEAD].delete_rows(r))


@case("rejected", "duplicate_row", "该任务出现了两次（第 7 行和第 8 行）")
def row_duplicated(c):
    src = row_of(c.app, UNIT, "lead", "3")
    dst = row_of(c.app, UNIT, "lead", "8.1")

    def change(wb):
        ws = wb[fs.SHEET_LEAD]
        for col in range(1, ws.max_column + 1):
            ws.cell(dst, col).value = ws.cell(src, col).value

    return edit(c.filled(), change)


@case("rejected", "row_without_id", "这一行没有任务编号却填写了内容")
def row_inserted_without_id(c):
    r = row_of(c.app, UNIT, "lead", "3")

    def change(wb):
        ws = wb[fs.SHEET_LEAD]
        ws.insert_rows(r)
        ws[f"{col_of('progress')}{r}"] = "补充：另有三个项目开工"

    return edit(c.filled(), change)


@case("rejected", "content_edited", "任务内容被改动", "lead:9.2:content")
def task_content_edited(c):
    ref = c.cell("lead", "9.2", "content")

    def change(wb):
        wb[fs.SHEET_LEAD][ref] = "（本单位认为应调整）" + str(wb[fs.SHEET_LEAD][ref].value)

    return edit(c.filled(), change)


@case(
    "rejected", "indicator_edited", "指标1（目标）被改为“民生实事：40项”", "lead:26.1:ind1_target"
)
def indicator_target_edited(c):
    ref = c.cell("lead", "26.1", "ind1_target")
    return edit(c.filled(), lambda wb: wb[fs.SHEET_LEAD].__setitem__(ref, "民生实事：40项"))


@case("rejected", "formula_no_value", "是公式但没有保存计算结果", "lead:8.1:percent")
def formula_without_cached_value(c):
    ref = c.cell("lead", "8.1", "percent")
    return edit(c.filled(), lambda wb: wb[fs.SHEET_LEAD].__setitem__(ref, "=20+10"))


@case("rejected", "merged_cells", "单元格与其他行合并", "lead:3:progress")
def progress_merged_over_rows(c):
    a, b = c.cell("lead", "3", "progress"), c.cell("lead", "8.2", "progress")
    return edit(c.filled(), lambda wb: wb[fs.SHEET_LEAD].merge_cells(f"{a}:{b}"))


@case("rejected", "column_missing", "缺少列：累计完成进度（%）")
def column_deleted(c):
    return edit(c.filled(), lambda wb: wb[fs.SHEET_LEAD].delete_cols(fs.column_index("percent")))


@case("rejected", "sheet_missing", "缺少工作表“配合任务”")
def task_sheet_deleted(c):
    return edit(c.filled(), lambda wb: wb.remove(wb[fs.SHEET_COOP]))


@case("rejected", "blank_form", "表单没有填写任何内容")
def blank_form_sent_back(c):
    p = c.tmp / "2024Q1_区发改委_进展情况表.xlsx"
    shutil.copy(c.form, p)
    return p


@case("rejected", "form_id_mismatch", "可能套用了其他单位的表单")
def copied_from_another_unit(c):
    """The identification is gone and the visible unit was overwritten: ids disagree."""

    def change(wb):
        _strip_identity(wb)
        for name in (fs.SHEET_LEAD, fs.SHEET_COOP):
            wb[name][fs.HEADER_BY_KEY["unit"].value_cell] = "区人社局"

    return edit(c.filled(name="报送.xlsx"), change)


@case("rejected", "sheet_too_large", "工作表过大")
def far_away_cell(c):
    return edit(c.filled(), lambda wb: wb[fs.SHEET_LEAD].__setitem__("A900000", "x"))


def _strip_identity(wb) -> None:
    wb.remove(wb[fs.SHEET_ID])
    wb.custom_doc_props = CustomPropertyList()
    del wb.defined_names[fs.IDENT_NAME]
    wb[fs.SHEET_GUIDE][fs.GUIDE_CELLS["ident"]] = None


@pytest.mark.parametrize("name", list(CASES))
def test_broken_or_hostile_return(ctx, name):
    build, state, code, text, cell = CASES[name]
    path = build(ctx)
    ex = run_examine(ctx.app, path)
    assert ex.state == state, (ex.state, errors(ex))
    assert ex.answers is None
    hits = [p for p in ex.problems if p.code == code and p.level == "error"]
    assert hits, [(p.code, p.message) for p in ex.problems]
    p = hits[0]
    assert text in p.text, p.message
    assert p.message.startswith(f"{path.name}：")
    if cell:
        role, tid, key = cell.split(":")
        assert p.sheet == fs.TASK_SHEETS[role] and p.task == tid
        assert p.cell == ctx.cell(role, tid, key)
        row = "".join(ch for ch in p.cell if ch.isdigit())
        assert f"{p.sheet}表第{row}行" in p.message
    assert "Traceback" not in p.message and "Error" not in p.message


def test_at_least_25_distinct_broken_cases():
    assert len(CASES) >= 25
    assert len({(c[2], c[3]) for c in CASES.values()}) == len(CASES)


# -- accepted with warnings --------------------------------------------------------------------
def test_identity_lost_falls_back_to_header_cells(ctx):
    ex = run_examine(ctx.app, edit(ctx.filled(name="报送.xlsx"), _strip_identity))
    assert ex.state == "accepted", errors(ex)
    assert ex.identified_by == "header_cells" and ex.unit == UNIT
    assert any("表单识别信息已丢失" in w for w in warnings_of(ex))
    assert ex.answers.lead["1"].percent == 30.0


def test_identity_and_headers_lost_falls_back_to_file_name(ctx):
    def change(wb):
        _strip_identity(wb)
        for name in (fs.SHEET_LEAD, fs.SHEET_COOP):
            for h in fs.HEADER_CELLS:
                if not h.editable:
                    wb[name][h.value_cell] = None
        for key in ("unit", "period", "form_id"):
            wb[fs.SHEET_GUIDE][fs.GUIDE_CELLS[key]] = None

    ex = run_examine(
        ctx.app, edit(ctx.filled(name="2024Q1 区发展和改革委 区发改委 报表.xlsx"), change)
    )
    assert ex.state == "accepted", errors(ex)
    assert ex.identified_by == "file_name" and ex.unit == UNIT


def test_other_stored_ids_survive_without_the_hidden_sheet(ctx):
    ex = run_examine(ctx.app, edit(ctx.filled(), lambda wb: wb.remove(wb[fs.SHEET_ID])))
    assert ex.state == "accepted" and ex.identified_by == "custom_props"

    def no_props(wb):
        wb.remove(wb[fs.SHEET_ID])
        wb.custom_doc_props = CustomPropertyList()

    ex = run_examine(ctx.app, edit(ctx.filled(), no_props))
    assert ex.state == "accepted" and ex.identified_by == "defined_name"


def test_file_name_of_another_unit_is_a_warning(ctx):
    ex = run_examine(ctx.app, ctx.filled(name="2024Q1_区人社局_进展情况表.xlsx"))
    assert ex.state == "accepted" and ex.unit == UNIT
    assert any("文件名显示为“区人社局”" in w for w in warnings_of(ex))


def test_reordered_hidden_rows_extra_sheet_and_macros_are_warnings(ctx):
    r1, r2 = row_of(ctx.app, UNIT, "lead", "1"), row_of(ctx.app, UNIT, "lead", "3")

    def change(wb):
        ws = wb[fs.SHEET_LEAD]
        for col in range(1, ws.max_column + 1):
            a, b = ws.cell(r1, col), ws.cell(r2, col)
            a.value, b.value = b.value, a.value
        ws.row_dimensions[row_of(ctx.app, UNIT, "lead", "9.2")].hidden = True
        wb.create_sheet("说明")["A1"] = "我单位补充说明"

    path = edit(ctx.filled(), change)
    path = rezip(path, {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 not really vba"})
    ex = run_examine(ctx.app, path)
    assert ex.state == "accepted", errors(ex)
    assert ex.format == "xlsm"
    codes = {p.code for p in ex.problems}
    assert {"rows_reordered", "hidden_row", "extra_sheet", "macros"} <= codes
    assert ex.answers.lead["1"].progress.startswith(f"{UNIT}牵头1：")
    assert ex.answers.lead["3"].progress.startswith(f"{UNIT}牵头3：")


def test_renamed_task_sheet_is_read_with_a_warning(ctx):
    def change(wb):
        wb[fs.SHEET_LEAD].title = "Sheet1"

    ex = run_examine(ctx.app, edit(ctx.filled(), change))
    assert ex.state == "accepted", errors(ex)
    assert any("被改名为“Sheet1”" in w for w in warnings_of(ex))
    assert len(ex.answers.lead) == 10


def test_text_that_looks_like_a_formula_is_read_as_text(ctx):
    ref = ctx.cell("lead", "1", "problems")

    def change(wb):
        cell = wb[fs.SHEET_LEAD][ref]
        cell.value = '=HYPERLINK("http://evil.example","点我")'
        cell.data_type = "s"  # typed as text ('=… in Excel): a string, not a formula

    ex = run_examine(ctx.app, edit(ctx.filled(), change))
    assert ex.state == "accepted", errors(ex)
    assert ex.answers.lead["1"].problems == '=HYPERLINK("http://evil.example","点我")'


def test_partial_acceptance_leaves_out_only_the_bad_rows(forms, tmp_path):
    app, paths, _ = forms
    app = create_app(
        ROOT / "config.toml", data_dir=tmp_path / "d", env={"DUBAN_INTAKE_PARTIAL_ACCEPT": "true"}
    )
    answers = valid_answers(app, UNIT)
    answers[("lead", "3")]["percent"] = 150
    ex = run_examine(app, fill(paths[UNIT], tmp_path / "r.xlsx", answers))
    assert ex.state == "accepted"
    assert "3" not in ex.answers.lead and "1" in ex.answers.lead
    (w,) = [p for p in ex.problems if p.code == "percent"]
    assert w.level == "warning" and w.text.endswith("（该行未汇总）")


def test_township_with_only_coop_rows(forms, tmp_path):
    app, paths, _ = forms
    rows = app.assignments.by_unit["长青乡"]
    answers = valid_answers(app, "长青乡")
    ex = run_examine(app, fill(paths["长青乡"], tmp_path / "x.xlsx", answers))
    assert ex.state == "accepted", errors(ex)
    assert set(ex.answers.lead) == {r.id for r in rows.lead}
    assert set(ex.answers.coop) == {r.id for r in rows.coop}


# each required cell left blank is reported at its own cell (a planted bug once reported a
# blank 推进状态 at the 累计完成进度 cell and every test still passed)
REQUIRED = {
    "percent": "累计完成进度（%）未填写",
    "status": "推进状态未填写",
    "progress": "本季度工作进展未填写",
}


@pytest.mark.parametrize(
    "blank",
    [
        ("percent",),
        ("status",),
        ("progress",),
        ("percent", "status"),
        ("status", "progress"),
        ("percent", "status", "progress"),
    ],
    ids=lambda b: "+".join(b),
)
def test_each_blank_required_cell_is_named_at_its_own_cell(ctx, blank):
    answers = ctx.answers()
    tid = next(t for role, t in answers if role == "lead")
    for key in blank:
        answers[("lead", tid)][key] = ""
    ex = run_examine(ctx.app, ctx.filled(answers))
    assert ex.state == "rejected"
    required = [p for p in ex.problems if p.code == "required" and p.task == tid]
    expected = {ctx.cell("lead", tid, key): REQUIRED[key] for key in blank}
    assert len(set(expected)) == len(blank)  # three different cells
    assert {p.cell: p.text.split("；")[0] for p in required} == expected
    headers = {c.key: c.header for c in fs.BASE_COLUMNS}
    row = row_of(ctx.app, UNIT, "lead", tid)
    for key in blank:
        (p,) = [p for p in required if p.cell == ctx.cell("lead", tid, key)]
        assert p.sheet == fs.SHEET_LEAD and p.level == "error"
        # the message a person reads names the same cell, in words
        assert f"牵头任务表第{row}行“{headers[key]}”（任务 {tid}）" in p.message, p.message
