"""Whole things are whole: an indicator counted in 个, 家, 户 … takes only whole numbers (a
decimal is sent back naming the cell and the unit), the sample returns type whole numbers,
and every printed indicator value carries its unit of measure."""

from __future__ import annotations

import random
from datetime import datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from conftest import ROOT
from helpers import unbroken, write_task_table
from test_intake_support import col_of, fill, make_forms, row_of, run_examine, valid_answers

from jobs.app import create_app
from reporting.core.exceptions import TaskTableError
from reporting.core.model import Answer, UnitAnswers
from reporting.taskbook.tasks import load_tasks

TZ = ZoneInfo("Asia/Shanghai")
UNIT = "区科技经信局"  # leads 13.2: 省级绿色工厂…=5家；新增高新技术企业=20家；…=6家
# the count units of the bundled table's indicators, as the notice writes them
COUNTS = {"个", "家", "户", "项", "套", "人"}


@pytest.fixture(scope="module")
def forms(tmp_path_factory):
    app = create_app(ROOT / "config.toml", data_dir=tmp_path_factory.mktemp("data"), env={})
    return app, make_forms(app, [UNIT])


def test_a_decimal_count_is_sent_back_naming_the_cell_and_the_unit(forms, tmp_path):
    app, paths = forms
    answers = valid_answers(app, UNIT)
    answers[("lead", "13.2")]["indicators"]["省级绿色工厂、数字化车间、工业设计中心"] = 4.2
    ex = run_examine(app, fill(paths[UNIT], tmp_path / "back.xlsx", answers))
    assert ex.state == "rejected"
    (problem,) = [p for p in ex.problems if p.code == "indicator_whole"]
    row = row_of(app, UNIT, "lead", "13.2")
    assert problem.cell == f"{col_of('ind1_value')}{row}" and problem.task == "13.2"
    assert problem.level == "error"
    assert "完成值为 4.2，但以“家”计，只能填整数" in problem.text
    # the 退回通知 names the place as the unit sees it: sheet, row and column header
    assert f"牵头任务表第{row}行“指标1完成值”（任务 13（2））" in problem.message
    assert problem.message.endswith("请按实际完成的家数填写")


def test_whole_counts_and_amounts_with_decimals_are_accepted(forms, tmp_path):
    app, paths = forms
    answers = valid_answers(app, UNIT)
    answers[("lead", "13.2")]["indicators"]["新增高新技术企业"] = "12家"
    answers[("lead", "12.3")]["indicators"]["新增规上企业"] = 14.0  # 14.0 is a whole 14
    ex = run_examine(app, fill(paths[UNIT], tmp_path / "back.xlsx", answers))
    assert ex.state == "accepted", [p.message for p in ex.problems]
    assert ex.answers.lead["13.2"].indicators["新增高新技术企业"] == 12
    assert ex.answers.lead["12.3"].indicators["新增规上企业"] == 14


def test_the_form_lets_only_whole_numbers_into_a_count_cell(forms):
    app, paths = forms
    ws = openpyxl.load_workbook(paths[UNIT])["牵头任务"]
    row = row_of(app, UNIT, "lead", "13.2")
    cell = f"{col_of('ind1_value')}{row}"
    kinds = {dv.type for dv in ws.data_validations.dataValidation if cell in dv.sqref}
    assert kinds == {"whole"}
    amount = f"{col_of('ind1_value')}{row_of(app, UNIT, 'lead', '2')}"  # 规上工业增加值=增长10%
    kinds = {dv.type for dv in ws.data_validations.dataValidation if amount in dv.sqref}
    assert kinds == {"decimal"}


def test_the_sample_returns_type_whole_numbers_for_counts(app):
    from reporting.core.periods import Period
    from reporting.sample.returns import unit_answers

    seen = 0
    for unit in app.assignments.by_unit:
        for q in (1, 2, 3, 4):
            answers = unit_answers(app.assignments, unit, Period(2024, q), random.Random(q))
            for (_role, tid), answer in answers.items():
                for ind in app.assignments.by_id[tid].task.indicators:
                    value = answer["indicators"].get(ind.name)
                    if ind.unit in COUNTS and not ind.growth and value is not None:
                        assert float(value).is_integer(), (unit, tid, ind.name, value)
                        seen += 1
    assert seen > 100


def test_the_task_table_refuses_a_count_target_with_decimals(tmp_path):
    row = {"id": "1", "section": "2", "content": "某任务。", "lead_units": "区发改委"}
    path = write_task_table(tmp_path / "tasks.csv", [{**row, "indicators": "新增规上企业=14.9户"}])
    with pytest.raises(TaskTableError, match="“新增规上企业=14.9户”以“户”计，目标值应为整数"):
        load_tasks(path)
    path = write_task_table(tmp_path / "ok.csv", [{**row, "indicators": "园区面积=1.5万平方米"}])
    assert load_tasks(path)[0].indicators[0].target == 1.5


def test_the_partners_workbook_prints_each_value_with_its_unit(app, tmp_path):
    from reporting.core.periods import Period
    from reporting.feedback.compile import compile_feedback, write_workbook

    row = app.assignments.by_id["8.2"]  # 重点项目计划总投资=400亿元；储备项目=116个；…=808.2亿元
    partner = row.coop_units[0]
    answer = Answer(partner, progress="配合推进", percent=60, status="序时推进")
    answer.indicators = {"重点项目计划总投资": 252.5, "储备项目": 60.0, "储备项目计划总投资": None}
    answers = {partner: UnitAnswers(partner, coop={"8.2": answer})}
    now = datetime(2024, 7, 4, 9, tzinfo=TZ)
    due = datetime(2024, 7, 3, 17, 30, tzinfo=TZ)
    feedback = compile_feedback(app.assignments, answers, {partner: due.isoformat()}, due)
    lead = next(f for f in feedback if f.unit == "区发改委")
    path = tmp_path / "配合单位反馈.xlsx"
    write_workbook(
        lead,
        path,
        settings=app.settings,
        period=Period(2024, 2),
        coop_deadline="7月3日17:30",
        update=0,
        changed=set(),
        now=now,
    )
    cells = [unbroken(c.value) for r in openpyxl.load_workbook(path).active.iter_rows() for c in r]
    assert (
        "重点项目计划总投资：252.5亿元；储备项目：60个" in cells
    )  # feedback.compile.indicator_shown
    assert not any(isinstance(v, str) and "=252.5" in v for v in cells)
