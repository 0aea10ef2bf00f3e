"""One pace rule on a hand-built year: 落实方案 节点, the line to a task's own deadline,
其它 and 一次性 tasks; the same basis and number in merged.json, the report, the 通报, the
leader brief, the 汇总表 and the form's 填报说明.

Every expected number below is worked out by hand from the table this file writes.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from conftest import ROOT
from docx import Document
from helpers import unbroken, write_task_table

from jobs.app import create_app
from reporting.core.config import MergeSettings
from reporting.core.exceptions import TaskTableError
from reporting.core.model import Answer, UnitAnswers
from reporting.core.pace import reportable, row_pace
from reporting.core.periods import Period
from reporting.merge.judge import build_row
from reporting.merge.tally import light_reason
from reporting.taskbook.tasks import load_tasks

TZ = ZoneInfo("Asia/Shanghai")
Q1, Q2, Q3, Q4 = (Period(2024, q) for q in (1, 2, 3, 4))
SECTION = {"section": "2", "section_title": "以项目攻坚为抓手"}
TABLE = [
    {
        **SECTION,
        "id": "1",
        "content": "推进项目甲开工建设。",
        "lead_leaders": "崔海锋",
        "lead_units": "区发改委",
        "deadline": "2024-12-31",
        "kind": "节点",
        "plan_q1": "20",
        "plan_q2": "40",
        "plan_q3": "70",
        "plan_q4": "100",
        "plan_note": "6月底前完成土地征收，9月底前开工",
        "owner": "张立新（副主任）",
    },
    {
        **SECTION,
        "id": "2",
        "content": "推进项目乙竣工投产。",
        "lead_leaders": "崔海锋",
        "lead_units": "区发改委",
        "deadline": "2024-12-31",
        "plan_q1": "30",
        "plan_q2": "80",
        "plan_q3": "90",
        "plan_q4": "100",
    },
    {
        **SECTION,
        "id": "3",
        "content": "坚持忠诚履职，加强作风建设。",
        "lead_leaders": "胡海波",
        "lead_units": "区科技经信局",
        "deadline": "2024-12-31",
        "kind": "其它",
    },
    {
        **SECTION,
        "id": "4",
        "content": "高水平办好产业发展大会。",
        "lead_leaders": "胡海波",
        "lead_units": "区科技经信局",
        "deadline": "2024-05-20",
        "kind": "一次性",
    },
    {
        **SECTION,
        "id": "5",
        "content": "上半年完成农贸市场改造。",
        "lead_leaders": "王宏洲",
        "lead_units": "区商务外事局",
        "deadline": "2024-06-30",
    },
    {
        **SECTION,
        "id": "6",
        "content": "全年新增规上企业20户。",
        "lead_leaders": "王宏洲",
        "lead_units": "区商务外事局",
        "deadline": "2024-12-31",
        "indicators": "新增规上企业=20户",
    },
]
DEFAULT = MergeSettings()  # yellow_gap 0, red_gap 15, ahead_points 10


@pytest.fixture
def tables(tmp_path):
    """The hand-built table as tasks.csv, and an App reading it."""
    app = create_app(ROOT / "config.toml", data_dir=tmp_path / "data", env={})
    app.settings.paths.tasks = write_task_table(tmp_path / "tasks.csv", TABLE)
    return app


# -- the rule itself -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("task", "period", "expected", "basis"),
    [
        ("1", Q1, 20, "plan"),
        ("1", Q2, 40, "plan"),
        ("1", Q4, 100, "plan"),
        ("2", Q2, 80, "plan"),
        ("3", Q1, None, "none"),
        ("3", Q4, None, "none"),
        ("4", Q1, None, "none"),  # a one-off before its date has no pace
        ("4", Q2, 100, "line"),  # in the quarter of its date: done or not
        ("5", Q1, 50, "line"),  # due in June: the line reaches 100 at the end of Q2
        ("5", Q2, 100, "line"),
        ("5", Q3, 100, "line"),
        ("6", Q1, 25, "line"),
        ("6", Q3, 75, "line"),
    ],
)
def test_expected_progress_and_its_basis(tables, task, period, expected, basis):
    pace = row_pace(tables.assignments.by_id[task].task, period)
    assert (pace.expected, pace.basis) == (expected, basis)


def test_a_quarter_without_a_milestone_falls_back_to_the_line(tmp_path):
    row = {**TABLE[1], "plan_q1": "", "plan_q3": "", "plan_q4": ""}
    task = load_tasks(write_task_table(tmp_path / "t.csv", [row]))[0]
    got = [(row_pace(task, p).expected, row_pace(task, p).basis) for p in (Q1, Q2, Q3, Q4)]
    assert got == [(25, "line"), (80, "plan"), (75, "line"), (100, "line")]


def test_a_one_off_task_needs_no_report_after_the_quarter_of_its_date(tables):
    task = tables.assignments.by_id["4"].task
    assert [reportable(task, p) for p in (Q1, Q2, Q3, Q4)] == [True, True, False, False]
    q3 = tables.assignments.for_period(Q3)
    assert "4" not in q3.by_id and [r.id for r in q3.for_unit("区科技经信局").lead] == ["3"]
    assert tables.assignments.for_period(Q2) is tables.assignments  # nothing left out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"plan_q2": "30"}, "第2季度节点30%低于第1季度节点50%"),
        ({"plan_q3": "120"}, "plan_q3 为 120，应在 0–100 之间"),
        ({"plan_q4": "全年"}, "plan_q4“全年”应为 0–100 的数字"),
        ({"kind": "重点"}, "任务类别（kind）“重点”不对"),
        ({"kind": "其它"}, "其它类任务不按季度节点研判"),
        (
            {"kind": "一次性", "plan_q1": "", "plan_q2": "", "deadline": ""},
            "一次性任务必须填写完成时限",
        ),
    ],
)
def test_the_task_table_refuses_bad_kinds_and_milestones(tmp_path, change, message):
    row = {**SECTION, "id": "7", "content": "某任务。", "lead_units": "区发改委"}
    row |= {"plan_q1": "50", "plan_q2": "60"} | change
    path = write_task_table(tmp_path / "tasks.csv", [row])
    with pytest.raises(TaskTableError, match="第 2 行") as err:
        load_tasks(path)
    assert message in str(err.value)


def test_kind_other_spelled_with_its_common_variant_is_read(tmp_path):
    row = {**SECTION, "id": "7", "content": "某任务。", "lead_units": "区发改委", "kind": "其他"}
    assert load_tasks(write_task_table(tmp_path / "tasks.csv", [row]))[0].kind == "其它"


# -- the judgement of one row ----------------------------------------------------------------
def judged(app, task: str, period: Period, percent: float, status: str, **indicators):
    unit = app.assignments.by_id[task].lead_units[0]
    answer = Answer(unit=unit, progress="进展", percent=percent, status=status)
    answer.indicators = dict(indicators)
    return build_row(
        app.assignments.by_id[task], {unit: UnitAnswers(unit, lead={task: answer})}, period, DEFAULT
    )


def test_on_its_milestone_a_task_is_green(tables):
    r = judged(tables, "1", Q2, 40, "序时推进")
    assert (r.expected_progress, r.pace_basis, r.gap, r.light) == (40, "plan", 0, "绿")
    assert r.judged_status == "序时推进" and light_reason(r) == "" and not r.status_conflict


def test_behind_its_milestone_a_task_says_so_against_its_milestone(tables):
    r = judged(tables, "2", Q2, 60, "滞后")
    assert (r.expected_progress, r.pace_basis, r.gap) == (80, "plan", 20)
    assert r.light == "红"  # 20 points behind: more than red_gap (15)
    assert light_reason(r) == "累计完成60%，低于落实方案节点20个百分点"
    # by the line (50 %) the same 60 % would have been 超序时
    said = judged(tables, "2", Q2, 60, "超序时")
    assert "未达到90%（落实方案节点80%再高10个百分点）" in said.status_conflict


@pytest.mark.parametrize(
    ("status", "light"), [("序时推进", "绿"), ("滞后", "黄"), ("未启动", "黄")]
)
def test_an_other_task_never_gets_a_pace_gap(tables, status, light):
    for period in (Q1, Q2, Q3, Q4):
        r = judged(tables, "3", period, 0 if status == "未启动" else 10, status)
        assert (r.expected_progress, r.pace_basis, r.gap) == (None, "none", None)
        assert r.light == light and "序时" not in light_reason(r) and "节点" not in light_reason(r)


def test_a_one_off_task_is_judged_done_or_not_in_the_quarter_of_its_date(tables):
    before = judged(tables, "4", Q1, 30, "序时推进")
    assert (before.gap, before.light, before.pace_basis) == (None, "绿", "none")
    done = judged(tables, "4", Q2, 100, "已完成")
    assert (done.expected_progress, done.gap, done.light) == (100, 0, "绿")
    missed = judged(tables, "4", Q2, 60, "滞后")
    assert (missed.gap, missed.light) == (40, "红")
    assert light_reason(missed) == "累计完成60%，未在完成时限（5月20日）前完成"


def test_a_task_due_in_june_expects_100_in_the_second_quarter(tables):
    r = judged(tables, "5", Q2, 80, "滞后")
    assert (r.expected_progress, r.gap, r.pace_basis) == (100, 20, "line")
    assert light_reason(r) == "累计完成80%，低于序时进度20个百分点"
    assert judged(tables, "5", Q1, 50, "序时推进").gap == 0  # half way to June


def test_indicators_follow_the_rows_pace(tables):
    r = judged(tables, "6", Q2, 50, "序时推进", 新增规上企业=8)
    (ind,) = r.indicators
    assert ind.expected == 10 and ind.on_track is False  # 20 × 50 %
    assert ind.text == "新增规上企业完成8户，为目标20户的40%，低于序时进度（50%）10个百分点"


# -- one year through forms, intake, merge and every document --------------------------------
ANSWERS = {
    # (period, task) → (percent, status)
    (Q1, "1"): (20, "序时推进"),
    (Q1, "2"): (30, "序时推进"),
    (Q1, "3"): (20, "序时推进"),
    (Q1, "4"): (30, "序时推进"),
    (Q1, "5"): (50, "序时推进"),
    (Q1, "6"): (25, "序时推进"),
    (Q2, "1"): (40, "序时推进"),
    (Q2, "2"): (60, "序时推进"),  # 20 behind its 节点 of 80, reported as on pace
    (Q2, "3"): (40, "序时推进"),
    (Q2, "4"): (100, "已完成"),
    (Q2, "5"): (100, "已完成"),
    (Q2, "6"): (50, "序时推进"),
}
INDICATOR = {Q1: 5, Q2: 10}  # 新增规上企业, whole 户


def fill(form, dest, period: Period) -> None:
    wb = openpyxl.load_workbook(form)
    ws = wb["牵头任务"]
    heads = {str(c.value).replace("\n", ""): c.column for c in ws[5] if c.value}
    for row in range(6, ws.max_row + 1):
        task = ws.cell(row, heads["任务编号"]).value
        if (period, task) not in ANSWERS:
            continue
        percent, status = ANSWERS[(period, task)]
        ws.cell(row, heads["本季度工作进展"]).value = f"{period.label}推进任务{task}的工作。"
        ws.cell(row, heads["累计完成进度（%）"]).value = percent
        ws.cell(row, heads["推进状态"]).value = status
        ws.cell(row, heads["存在问题"]).value = "无"
        ws.cell(row, heads["下步打算"]).value = "继续推进。"
        if task == "6":
            ws.cell(row, heads["指标1完成值"]).value = INDICATOR[period]
    wb.save(dest)


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    from reporting.forms.build import build_forms
    from reporting.merge.collect_merge import collect_and_merge

    base = tmp_path_factory.mktemp("pace")
    app = create_app(ROOT / "config.toml", data_dir=base / "data", env={})
    app.settings.paths.tasks = write_task_table(base / "tasks.csv", TABLE)
    forms = {}
    for period in (Q1, Q2, Q3):
        built = datetime(period.year, period.start.month, 2, 9, tzinfo=TZ)
        summary = build_forms(
            app.settings, app.assignments, app.workspace, period, now=built, workers=1
        )
        forms[period] = {f.unit: f.path for f in summary.built}
        inbox = app.workspace.inbox_dir(period)
        inbox.mkdir(parents=True, exist_ok=True)
        if period != Q3:  # the third quarter: nobody has returned yet
            for unit, path in forms[period].items():
                fill(path, inbox / f"{unit}.xlsx", period)
        collect_and_merge(
            app.settings,
            app.assignments,
            app.workspace,
            period,
            now=datetime(period.year, period.end.month, 28, 9, tzinfo=TZ),
        )
    return app, forms


def merged(app, period: Period) -> dict[str, dict]:
    data = json.loads(app.workspace.merged_json(period).read_text(encoding="utf-8"))
    return {r["id"]: r for r in data["rows"]}


def test_merged_json_carries_expected_progress_and_basis_for_every_row(year):
    app, _ = year
    want = {
        Q1: {"1": (20, "plan"), "2": (30, "plan"), "3": (None, "none"), "4": (None, "none")},
        Q2: {"1": (40, "plan"), "2": (80, "plan"), "3": (None, "none"), "4": (100, "line")},
    }
    want[Q1] |= {"5": (50, "line"), "6": (25, "line")}
    want[Q2] |= {"5": (100, "line"), "6": (50, "line")}
    for period, rows in want.items():
        got = {
            tid: (r["expected_progress"], r["pace_basis"]) for tid, r in merged(app, period).items()
        }
        assert got == rows, period
    q2 = merged(app, Q2)
    assert (q2["2"]["percent"], q2["2"]["gap"], q2["2"]["light"]) == (60, 20, "红")


def test_a_one_off_done_in_its_quarter_is_on_no_later_form_and_carried(year):
    app, forms = year
    q3_form = openpyxl.load_workbook(forms[Q3]["区科技经信局"])["牵头任务"]
    listed = [q3_form.cell(r, 2).value for r in range(6, q3_form.max_row + 1)]
    assert "4" not in listed and "3" in listed
    row = merged(app, Q3)["4"]
    assert row["carried_from"] == "2024Q2" and row["status"] == "已完成"
    assert row["missing_units"] == [] and row["light"] == "绿"
    assert merged(app, Q3)["3"]["missing_units"] == ["区科技经信局"]  # still due


def test_intake_checks_the_status_against_the_milestone(year):
    app, _ = year
    with app.ledger() as ledger:
        rows = [r for r in ledger.returns(str(Q2)) if r["unit"] == "区发改委"]
        problems = [p["text"] for p in ledger.problems_of(rows[-1])]
    assert (
        "报“序时推进”，但累计完成进度60%低于落实方案节点80%；请按填报说明中的规则核实推进状态或累计完成进度"
        in problems
    )
    assert not any("任务1" in p or "40%" in p for p in problems)  # on its 节点: no remark


def test_the_form_tells_each_unit_its_milestones_and_owner(year):
    _, forms = year
    guide = openpyxl.load_workbook(forms[Q2]["区发改委"])["填报说明"]
    notes = " ".join(str(c.value) for row in guide.iter_rows() for c in row if c.value)
    assert "1 落实方案节点 40%（6月底前完成土地征收，9月底前开工）；2 落实方案节点 80%" in notes
    other = openpyxl.load_workbook(forms[Q2]["区科技经信局"])["填报说明"]
    notes = " ".join(str(c.value) for row in other.iter_rows() for c in row if c.value)
    assert "3 其它类任务，不按进度研判" in notes
    assert "4 一次性任务，完成时限 5月20日，本季度应全部完成" in notes
    assert "换成该任务的节点" not in notes  # none of its rows has a 节点
    plain = openpyxl.load_workbook(forms[Q1]["区商务外事局"])["填报说明"]
    notes = " ".join(str(c.value) for row in plain.iter_rows() for c in row if c.value)
    assert "5 完成时限 6月30日，本季度应达到 50%" in notes and "6 " not in notes.split("研判")[-1]
    lead = openpyxl.load_workbook(forms[Q2]["区发改委"])["牵头任务"]
    duty = [str(lead.cell(r, 11).value) for r in (6, 7)]
    assert "责任人：张立新（副主任）" in duty[0] and "责任人" not in duty[1]


def docx_text(path) -> str:
    doc = Document(path)
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts += [c.text for c in row.cells]
    return "\n".join(parts)


def test_every_document_prints_the_same_basis_and_gap(year, tmp_path):
    from reporting.assess.bulletin import render_bulletin
    from reporting.report.render import render_report

    app, _ = year
    now = datetime(2024, 7, 10, 9, tzinfo=TZ)
    as_of = {"now": now, "today": date(2024, 7, 10), "assignments": app.assignments}
    out = render_report(
        app.settings, app.workspace, Q2, out_dir=tmp_path / "report", by_leader=True, **as_of
    )
    with app.ledger() as ledger:
        bulletin = render_bulletin(
            app.settings, app.workspace, ledger, Q2, now=now, assignments=app.assignments
        )
    brief = next(p for p in out.briefs if "崔海锋" in p.name)
    # task 2: 60 % against its 节点 of 80 — the same words and number everywhere
    gap = "低于落实方案节点20个百分点"
    report = docx_text(out.docx)
    # the report's narrow table of tasks behind pace names the basis short: 节点, not 序时
    assert (
        "完成60%，低于节点20个百分点" in report and "对照第二季度序时进度或落实方案节点" in report
    )
    assert f"累计完成进度60%，{gap}" in docx_text(bulletin.docx)
    assert f"累计完成60%，{gap}" in docx_text(brief)
    # annex 1's heading names the rows judged otherwise than by the 序时进度
    note = "2项按落实方案节点、1项按各自完成时限的序时进度、1项一次性任务按完成时限研判，1项其它类任务不按进度研判"
    assert f"\n（{note}）\n" in report  # a line of its own under the count
    for text in (report, docx_text(bulletin.docx), docx_text(brief)):
        for wrong in ("低于序时进度20", "低于序时进度30", "低于序时20", "低于序时30"):
            assert wrong not in text
    ws = openpyxl.load_workbook(app.workspace.merged_xlsx(Q2))["汇总表"]
    heads = {ws.cell(3, c).value: c for c in range(1, ws.max_column + 1)}
    row = next(r for r in range(4, ws.max_row + 1) if ws.cell(r, 2).value == "2")
    cell = {h: ws.cell(row, c).value for h, c in heads.items()}
    assert (cell["累计完成进度（%）"], cell["应达进度（%）"], cell["进度依据"]) == (
        60,
        80,
        "落实方案节点",
    )
    assert cell["应达进度（%）"] - cell["累计完成进度（%）"] == 20
    other = next(r for r in range(4, ws.max_row + 1) if ws.cell(r, 2).value == "3")
    assert ws.cell(other, heads["应达进度（%）"]).value == "—"
    assert ws.cell(other, heads["进度依据"]).value == "不按进度研判"
    lead = next(r for r in range(4, ws.max_row + 1) if ws.cell(r, 2).value == "1")
    assert unbroken(ws.cell(lead, heads["牵头单位"]).value) == "区发改委责任人：张立新（副主任）"


def test_check_warns_about_a_milestone_task_without_milestones(tmp_path):
    from reporting.taskbook.assignments import Assignments

    row = {**SECTION, "id": "7", "content": "某任务。", "lead_units": "区发改委", "kind": "节点"}
    app = create_app(ROOT / "config.toml", data_dir=tmp_path / "data", env={})
    tasks = load_tasks(write_task_table(tmp_path / "tasks.csv", [TABLE[0], row]))
    problems = [p for p in Assignments(tasks, app.registry).check() if "节点" in p.message]
    assert [(p.where, p.error) for p in problems] == [("任务表 第 3 行（7）", False)]
    assert "没有填写季度节点（plan_q1–plan_q4），暂按序时进度研判" in problems[0].message
