"""The 落实方案 round on a hand-built year: one 落实方案表 per lead unit (protected, validated,
identified), returns through the same intake (folder, .eml, hand-over between rounds,
sender check, versions, 退回 with reasons), mail over a real SMTP server, the accepted plans
as the year's 节点 (the office's tasks.csv values win), status and the 落实方案汇总表.

Expected values come from the table this file writes and the values it types.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from conftest import ROOT
from helpers import unbroken, write_task_table
from imap_helpers import dovecot, imap_env
from plan_helpers import GOOD, SENT, TABLE, fill, form_of, rows_of
from remind_helpers import Handler, SmtpServers, free_port
from test_intake_support import fill as fill_form
from test_intake_support import valid_answers

from jobs.app import create_app
from reporting.core.ledger import Ledger
from reporting.core.pace import row_pace
from reporting.core.periods import Period
from reporting.forms import plan_spec as ps
from reporting.sample.mails import reply_mail

TZ = ZoneInfo("Asia/Shanghai")
YEAR = 2024
KEY = "2024plan"
BUILT = datetime(2024, 1, 8, 9, tzinfo=TZ)
RUN = datetime(2024, 1, 15, 11, tzinfo=TZ)


@pytest.fixture
def year(tmp_path):
    """An App on the hand-built table, its 落实方案表 built."""
    from reporting.merge.plan_round import run_plan_round

    app = create_app(ROOT / "config.toml", data_dir=tmp_path / "data", env={})
    app.settings.paths.tasks = write_task_table(tmp_path / "tasks.csv", TABLE)
    with Ledger(app.workspace.ledger_path, create=True) as ledger:
        run_plan_round(
            app.settings, app.table_assignments, app.workspace, YEAR, ledger=ledger, now=BUILT
        )
    return app


def take_in(app, now=RUN):
    from reporting.merge.plan_round import run_plan_round

    with app.ledger() as ledger:
        return run_plan_round(
            app.settings, app.table_assignments, app.workspace, YEAR, ledger=ledger, now=now
        )


def returns(app) -> list:
    with app.ledger() as ledger:
        return [dict(r) for r in ledger.returns(KEY)]


def problems(row) -> list[dict]:
    return json.loads(row["problems"] or "[]")


# -- the form -------------------------------------------------------------------------------
def test_one_protected_identified_form_per_lead_unit(year):
    forms = sorted(p.name for p in (year.workspace.plan_dir(YEAR) / "forms").glob("*.xlsx"))
    assert forms == ["2024年_区发改委_落实方案表.xlsx", "2024年_区商务外事局_落实方案表.xlsx"]
    wb = openpyxl.load_workbook(form_of(year, "区发改委"))
    assert wb.sheetnames == ["填报说明", "落实方案", "表单标识"]
    assert wb["表单标识"].sheet_state == "hidden" and wb.security.lockStructure
    ident = {wb["表单标识"].cell(r, 1).value: wb["表单标识"].cell(r, 2).value for r in range(2, 12)}
    assert ident["period"] == KEY and ident["unit"] == "区发改委" and ident["lead_ids"] == "1,2,3"
    assert ident["form_id"].startswith("2024plan-")
    # printed: a number a clerk reads out, the year as a year
    number = "2024年落实方案-" + ident["form_id"].split("-", 1)[1]
    ws = wb["落实方案"]
    assert ws[ps.FORM_ID_CELL].value == f"表单编号：{number}"
    assert ws.oddHeader.right.text == f"表单编号：{number}"
    guide = [(r[0].value, r[1].value) for r in wb["填报说明"].iter_rows(max_col=2)]
    assert ("表单编号", number) in guide and ("报送年度", "2024年度落实方案") in guide
    assert not any("plan" in str(v) for r in guide for v in r if "识别码" not in str(r[0]))
    # read back from a header cell kept as printed; a quarter's number untouched
    assert ps.form_id_of("2024年落实方案-4D732C30F7") == "2024plan-4D732C30F7"
    assert ps.printed_form_id("2024Q2-4D732C30F7") == "2024Q2-4D732C30F7"
    assert ws.protection.sheet
    at = rows_of(ws)
    assert list(at) == ["1", "2", "3"]
    col = {c.key: ps.column_index(c.key) for c in ps.COLUMNS}
    # what the unit fills: open and empty; what the office gave: locked
    for key in ("owner", "q1", "q2", "q3", "q4", "note"):
        cell = ws.cell(at["1"], col[key])
        assert cell.value is None and not cell.protection.locked, key
    assert ws.cell(at["1"], col["content"]).protection.locked
    # row 2: the office's 节点 and 责任人 in tasks.csv hold: shown, locked
    decided = [ws.cell(at["2"], col[k]).value for k in ("q1", "q2", "q3", "q4")]
    assert decided == [5, 15, 60, 100]
    assert ws.cell(at["2"], col["owner"]).value == "王五（主任）"
    assert all(ws.cell(at["2"], col[k]).protection.locked for k in ("owner", "q1", "note"))
    assert ws.cell(at["3"], col["deadline"]).value == "2024年6月30日"
    rules = {dv.type: dv for dv in ws.data_validations.dataValidation}
    q1_cell = ws.cell(at["1"], col["q1"]).coordinate
    assert q1_cell in rules["decimal"].sqref
    assert (rules["decimal"].formula1, rules["decimal"].formula2) == ("0", "100")
    guide = " ".join(str(c.value) for row in wb["填报说明"].iter_rows() for c in row if c.value)
    assert (
        "2024年1月22日" in guide and "节点逐季减少、超过 100 或责任人未填写的，将退回修改" in guide
    )
    assert "任务2的季度节点已由区督查考核办确定" in guide
    assert "） 的" not in guide and "任务 2" not in guide  # no stray space by task numbers


def test_forms_written_by_workers_are_the_serial_ones_and_an_unrecorded_one_is_built_again(
    tmp_path,
):
    """Two worker processes write the same files and the ledger the same records as one
    process; a form on disk the ledger does not record (killed between the two) was never
    sent: the next run builds it again, and keeps the recorded one."""
    import sqlite3

    from reporting.forms.plan_form import build_plan_forms

    def built(name: str, workers: int):
        app = create_app(ROOT / "config.toml", data_dir=tmp_path / name, env={})
        app.settings.paths.tasks = write_task_table(tmp_path / f"{name}.csv", TABLE)
        with Ledger(app.workspace.ledger_path, create=True) as ledger:
            done = build_plan_forms(
                app.settings, app.table_assignments, app.workspace, YEAR,
                now=BUILT, ledger=ledger, workers=workers,
            )  # fmt: skip
            records = {u: (r.form_id, Path(r.path).name) for u, r in ledger.forms(KEY).items()}
        files = {
            p.name: p.read_bytes() for p in app.workspace.plan_form_path(YEAR, "x").parent.glob("*")
        }
        return app, done, records, files

    _, one, one_records, one_files = built("serial", 1)
    app, two, two_records, two_files = built("workers", 2)
    units = ["区发改委", "区商务外事局"]
    assert [f.unit for f in one.built] == [f.unit for f in two.built] == units
    assert one_records == two_records and len(one_records) == 2
    assert one_files == two_files and len(one_files) == 2
    lost = form_of(app, "区发改委")
    lost.write_bytes(b"half a file")
    with sqlite3.connect(app.workspace.ledger_path) as db:
        db.execute("DELETE FROM forms WHERE period = ? AND unit = ?", (KEY, "区发改委"))
    with app.ledger() as ledger:
        again = build_plan_forms(
            app.settings, app.table_assignments, app.workspace, YEAR,
            now=BUILT, ledger=ledger, workers=2,
        )  # fmt: skip
        assert set(ledger.forms(KEY)) == set(units)
    assert [f.unit for f in again.built] == ["区发改委"] and again.kept == ["区商务外事局"]
    assert lost.read_bytes() == one_files[lost.name]


def test_the_printed_form_and_summary(year, tmp_path):
    """What was looked at, page by page (LibreOffice → PDF): the 填报说明 on a portrait page,
    the plan on landscape pages one page wide with the column heads repeated, the 完成时限
    on one line; the 汇总表 and its 报送情况 each on their own page, titled."""
    from pdf_pages import page_count, page_texts, render_all

    fill(year, "区发改委", GOOD)
    done = take_in(year)
    form = form_of(year, "区发改委")
    wb = openpyxl.load_workbook(form)
    ws, guide = wb[ps.SHEET_PLAN], wb["填报说明"]
    assert (ws.page_setup.orientation, guide.page_setup.orientation) == ("landscape", "portrait")
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    assert ws.page_setup.fitToHeight == 0  # as many pages down as the rows need
    assert ws.print_title_rows == f"${ps.HEADER_ROW}:${ps.HEADER_ROW}"
    assert ws.print_area == f"'{ps.SHEET_PLAN}'!$A$1:$K${ps.FIRST_DATA_ROW + 2}"
    letter = openpyxl.utils.get_column_letter(ps.column_index("deadline"))
    assert ws.column_dimensions[letter].width >= 15  # 2024年12月31日 unbroken
    assert ws.freeze_panes == f"D{ps.FIRST_DATA_ROW}"
    summary = openpyxl.load_workbook(done.summary)
    assert summary.sheetnames == ["落实方案汇总表", "报送情况"]
    for sheet in summary.worksheets:
        assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows
    pdfs = render_all([form, done.summary], tmp_path)
    assert [page_count(p) for p in pdfs] == [2, 2]
    guide_page, plan_page = page_texts(pdfs[0])
    assert "填报说明" in guide_page and "识别码" not in guide_page  # the identification: off paper
    for text in ("区发改委2024年落实方案表", "责任人（姓名、职务）", "节点说明", "2024年12月31日"):
        assert text in plan_page, text
    for task in TABLE[:3]:  # the unit's three lead rows
        assert task["content"] in plan_page
    table, units = page_texts(pdfs[1])
    assert "落实方案汇总表" in table and "区发改委落实方案" in table and "按序时进度" in table
    assert "2024年落实方案报送情况" in units and "按时报送" in units and "未报送" in units


# -- intake --------------------------------------------------------------------------------
def test_an_accepted_plan_becomes_the_years_milestones_and_the_table_wins(year):
    fill(year, "区发改委", GOOD)
    done = take_in(year)
    assert [r["state"] for r in returns(year)] == ["accepted"]
    year.reload_tasks()
    tasks = {t.id: t for t in year.tasks}
    assert (tasks["1"].plan, tasks["1"].plan_by, tasks["1"].owner) == (
        (10, 30, 60, 100),
        "区发改委",
        "张三（副主任）",
    )
    assert tasks["1"].plan_note == "下半年开工"
    assert tasks["2"].plan == (5, 15, 60, 100) and tasks["2"].plan_by == ""  # tasks.csv wins
    assert tasks["2"].owner == "王五（主任）"
    # task 3 is led by 区商务外事局 first: its own plan would hold; until then 区发改委's
    assert (tasks["3"].plan, tasks["3"].plan_by) == ((40, 100, None, None), "区发改委")
    # judged by them from the first quarter on
    pace = row_pace(tasks["1"], Period(2024, 2))
    assert (pace.expected, pace.basis) == (30, "plan")
    ws = openpyxl.load_workbook(done.summary)["落实方案汇总表"]
    heads = {ws.cell(3, c).value: c for c in range(1, ws.max_column + 1)}
    by_label = {ws.cell(r, 2).value: r for r in range(4, ws.max_row + 1)}
    row1 = [ws.cell(by_label["1"], heads[f"{q}季度末节点（%）"]).value for q in "一二三四"]
    assert row1 == [10, 30, 60, 100]
    assert ws.cell(by_label["1"], heads["节点来源"]).value == "区发改委落实方案"
    assert ws.cell(by_label["2"], heads["节点来源"]).value == "任务表"
    assert ws.cell(by_label["4"], heads["节点来源"]).value == "按序时进度"
    assert unbroken(ws.cell(by_label["1"], heads["责任人"]).value) == "张三（副主任）"


def test_a_one_off_task_takes_a_owner_but_no_milestones(year):
    """一次性 (and 其它) tasks are not judged by pace: the form shows no 节点 to fill, a 节点
    typed there anyway is not taken, the 汇总表 says why."""
    ws = openpyxl.load_workbook(form_of(year, "区商务外事局"))[ps.SHEET_PLAN]
    r = rows_of(ws)["5"]
    cells = [ws.cell(r, ps.column_index(k)) for k in ps.MILESTONES]
    assert [c.value for c in cells] == ["—"] * 4 and all(c.protection.locked for c in cells)
    assert not ws.cell(r, ps.column_index("owner")).protection.locked
    typed = {"owner": "赵六（科长）", "note": "5月下旬举办", "q1": 50, "q2": 100}
    fill(year, "区商务外事局", {"3": GOOD["3"], "4": GOOD["3"], "5": typed})
    done = take_in(year)
    assert [r["state"] for r in returns(year)] == ["accepted"]
    year.reload_tasks()
    five = {t.id: t for t in year.tasks}["5"]
    assert (five.plan, five.owner, five.plan_note) == ((None,) * 4, "赵六（科长）", "5月下旬举办")
    ws = openpyxl.load_workbook(done.summary)["落实方案汇总表"]
    heads = {ws.cell(3, c).value: c for c in range(1, ws.max_column + 1)}
    (row,) = [r for r in range(4, ws.max_row + 1) if ws.cell(r, 2).value == "5"]
    assert ws.cell(row, heads["节点来源"]).value == "一次性类，不设节点"


def test_duban_tasks_says_which_milestones_hold(year, duban, tmp_path, monkeypatch):
    fill(year, "区发改委", GOOD)
    take_in(year)
    monkeypatch.setenv("DUBAN_PATHS_TASKS", str(tmp_path / "tasks.csv"))
    r = duban("tasks", "--unit", "区发改委", data=year.workspace.root)
    assert r.code == 0, r.output
    assert "季度节点 10/30/60/100（区发改委落实方案）；责任人：张三（副主任）" in r.out
    assert "类别：节点；季度节点 5/15/60/100（任务表）；责任人：王五（主任）" in r.out
    listed = {
        row["id"]: row for row in json.loads(duban("tasks", "--json", data=year.workspace.root).out)
    }
    assert listed["1"]["plan"] == {
        "kind": "",
        "milestones": [10, 30, 60, 100],
        "note": "下半年开工",
        "owner": "张三（副主任）",
        "source": "区发改委落实方案",
    }
    assert listed["2"]["plan"]["source"] == "任务表" and "plan" not in listed["4"]


@pytest.mark.parametrize(
    ("typed", "code", "cell_key", "words"),
    [
        (
            {"q2": 50, "q3": 40},
            "milestone_decreasing",
            "q3",
            "三季度末节点 40%（{q3}）低于二季度末节点 50%（{q2}）",
        ),
        ({"q4": 120}, "milestone_value", "q4", "四季度末节点“120”超出 0–100"),
        ({"owner": None}, "owner_missing", "owner", "责任人未填写"),
    ],
)
def test_a_bad_plan_is_sent_back_naming_the_cells(year, typed, code, cell_key, words):
    values = {"1": {**GOOD["1"], **typed}, "3": GOOD["3"]}
    fill(year, "区发改委", values)
    take_in(year)
    (row,) = returns(year)
    assert row["state"] == "rejected"
    ws = openpyxl.load_workbook(form_of(year, "区发改委"))[ps.SHEET_PLAN]
    r = rows_of(ws)["1"]
    cells = {
        k: ws.cell(r, ps.column_index(k)).coordinate for k in ("owner", "q1", "q2", "q3", "q4")
    }
    (problem,) = [p for p in problems(row) if p["code"] == code]
    assert problem["cell"] == cells[cell_key] and problem["task"] == "1"
    assert words.format(**cells) in problem["text"]
    year.reload_tasks()
    assert {t.id: t for t in year.tasks}["1"].plan == (None,) * 4  # nothing of it applied


def test_a_resent_plan_is_the_one_in_force_and_status_says_so(year, duban):
    fill(year, "区发改委", {"1": {**GOOD["1"], "q2": 70, "q3": 60}}, name="第一版.xlsx")
    take_in(year)
    fill(year, "区发改委", GOOD, name="第二版.xlsx", when=datetime(2024, 1, 16, 9, tzinfo=TZ))
    take_in(year, now=datetime(2024, 1, 16, 10, tzinfo=TZ))
    assert [r["state"] for r in returns(year)] == ["rejected", "accepted"]
    from reporting.intake.plan_intake import plan_status

    with year.ledger() as ledger:
        status = plan_status(year.settings, year.table_assignments, ledger, YEAR, now=RUN)
    mine = {u.unit: u for u in status.units}
    assert (mine["区发改委"].state, mine["区发改委"].versions) == ("按时报送", 2)
    assert mine["区商务外事局"].state == "未报送"
    text = "\n".join(status.lines())
    assert "应报 2 个牵头单位，已接收 1（逾期 0），退回待重报 0，未报送 1" in text


def test_a_quarterly_form_and_a_plan_of_another_year_are_told_apart(year):
    from reporting.forms.plan_form import plan_context, write_plan_form

    old = write_plan_form(
        year.workspace.plan_inbox(YEAR) / "2023年的.xlsx",
        plan_context(year.settings, 2023, BUILT),
        2023,
        "区商务外事局",
        year.table_assignments.by_unit["区商务外事局"].lead,
    )
    assert old.form_id.startswith("2023plan-")
    take_in(year)
    (row,) = returns(year)
    assert row["state"] == "rejected" and row["unit"] == "区商务外事局"
    assert "这是2024年落实方案表" not in row["problems"]
    assert "这是2023年落实方案表，本次收取的是2024年落实方案" in problems(row)[0]["text"]


def test_plans_examined_by_workers_are_recorded_as_one_process_records_them(year, tmp_path):
    import shutil

    from reporting.forms.plan_form import plan_context, write_plan_form
    from reporting.intake.plan_intake import collect_plans

    fill(year, "区发改委", GOOD)
    fill(year, "区商务外事局", {"4": {"owner": "赵六", "q1": 30, "q2": 20}})  # 节点 going down
    write_plan_form(
        year.workspace.plan_inbox(YEAR) / "2023年的.xlsx",
        plan_context(year.settings, 2023, BUILT),
        2023,
        "区商务外事局",
        year.table_assignments.by_unit["区商务外事局"].lead,
    )
    (year.workspace.plan_inbox(YEAR) / "说明.xlsx").write_bytes(b"not a workbook")
    copy = create_app(ROOT / "config.toml", data_dir=tmp_path / "copy", env={})
    copy.settings.paths.tasks = year.settings.paths.tasks
    shutil.copytree(year.workspace.root, copy.workspace.root, dirs_exist_ok=True)
    seen = []
    for app, workers in ((year, 1), (copy, 2)):
        with app.ledger() as ledger:
            done = collect_plans(
                app.settings, app.table_assignments, app.workspace, YEAR,
                now=RUN, ledger=ledger, workers=workers,
            )  # fmt: skip
            assert len(done.new) == 4
            keep = ("sha256", "source", "unit", "state", "received_at", "problems", "form_id")
            seen.append(
                [
                    {**{k: r[k] for k in keep}, "answers": ledger.answers_of(KEY, r["sha256"])}
                    for r in ledger.returns(KEY)
                ]
            )
    assert seen[0] == seen[1]
    (good,) = [r for r in seen[0] if r["state"] == "accepted"]
    assert good["answers"]["plans"]["1"]["plan"] == [10, 30, 60, 100]
    states = sorted((r["source"], r["state"]) for r in seen[0])
    assert states == [
        ("2023年的.xlsx", "rejected"),
        ("区发改委落实方案.xlsx", "accepted"),
        ("区商务外事局落实方案.xlsx", "rejected"),
        ("说明.xlsx", "unidentified"),
    ]


def test_plans_and_quarterly_forms_are_handed_to_their_own_round(year):
    from reporting.forms.build import build_forms
    from reporting.intake.collect import collect

    q1 = Period(2024, 1)
    built = build_forms(
        year.settings,
        year.table_assignments,
        year.workspace,
        q1,
        now=datetime(2024, 3, 29, 9, tzinfo=TZ),
        workers=1,
    )
    quarterly = {f.unit: f.path for f in built.built}["区商务外事局"]
    # a quarter's filled form put into the 落实方案 inbox, a 落实方案表 into the quarter's inbox
    inbox = year.workspace.plan_inbox(YEAR)
    inbox.mkdir(parents=True, exist_ok=True)
    fill_form(quarterly, inbox / "误放的季度表.xlsx", valid_answers(year, "区商务外事局", q1))
    plan = fill(year, "区发改委", GOOD)
    q1_inbox = year.workspace.inbox_dir(q1)
    q1_inbox.mkdir(parents=True, exist_ok=True)
    plan.rename(q1_inbox / plan.name)
    first = take_in(year)  # the quarter's form goes on to the quarter's inbox
    (source, why), *_ = first.collected.set_aside
    assert (
        source == "误放的季度表.xlsx" and "这是2024年第一季度的报送，已转到该季度的收件目录" in why
    )
    with year.ledger() as ledger:
        done = collect(
            year.settings,
            year.table_assignments,
            year.workspace,
            q1,
            now=datetime(2024, 4, 1, 9, tzinfo=TZ),
            ledger=ledger,
            workers=1,
        )
    handed = {s: why for s, why in done.set_aside}
    assert "这是2024年落实方案的报送，已转到落实方案的收件目录" in handed[plan.name]
    take_in(year, now=datetime(2024, 4, 1, 10, tzinfo=TZ))  # the 落实方案 round takes its own
    with year.ledger() as ledger:
        by_key = {k: [(r["unit"], r["state"]) for r in ledger.returns(k)] for k in (KEY, str(q1))}
    assert by_key[KEY] == [("区发改委", "accepted")]
    assert by_key[str(q1)] == [("区商务外事局", "accepted")]  # recorded in its own quarter


def test_a_plan_by_mail_from_a_stranger_waits_for_the_office(year, duban, monkeypatch, tmp_path):
    import os

    inbox = year.workspace.plan_inbox(YEAR)
    registered = year.registry.units["区发改委"].email
    for name, sender, note, when in (
        ("unit.eml", registered, "下半年开工", SENT),
        ("other.eml", "someone@elsewhere.example", "另一个版本", SENT.replace(hour=10, minute=30)),
    ):
        path = fill(year, "区发改委", {"1": {**GOOD["1"], "note": note}, "3": GOOD["3"]})
        mail = reply_mail(
            sender, "落实方案", SENT, f"<{name}@x>", [("落实方案.xlsx", path.read_bytes())]
        )
        path.unlink()
        (inbox / name).write_bytes(mail)
        os.utime(inbox / name, (when.timestamp(), when.timestamp()))  # first seen then
    take_in(year)
    by_state = {r["state"]: r for r in returns(year)}
    assert set(by_state) == {"accepted", "held"}
    assert by_state["accepted"]["received_at"] == "2024-01-15T10:00:00+08:00"  # our time
    held = by_state["held"]
    assert "someone@elsewhere.example" in held["problems"]
    monkeypatch.setenv("DUBAN_PATHS_TASKS", str(tmp_path / "tasks.csv"))
    r = duban("plan", "--year", "2024", "--accept", str(held["id"]), data=year.workspace.root)
    assert r.code == 0, r.output
    assert [r["state"] for r in returns(year)].count("accepted") == 2
    year.reload_tasks()
    # once the office accepts it, the later version is the one in force
    assert {t.id: t for t in year.tasks}["1"].plan_note == "另一个版本"


def test_recover_rebuilds_the_round_from_the_files_on_disk(year):
    from reporting.recover.rebuild import rebuild_ledger

    fill(year, "区发改委", {"1": {**GOOD["1"], "q2": 70, "q3": 60}}, name="第一版.xlsx")
    take_in(year)
    fill(year, "区发改委", GOOD, name="第二版.xlsx", when=datetime(2024, 1, 16, 9, tzinfo=TZ))
    take_in(year, now=datetime(2024, 1, 16, 10, tzinfo=TZ))
    seen = [
        ("区发改委", "rejected", SENT.isoformat()),
        ("区发改委", "accepted", "2024-01-16T09:00:00+08:00"),
    ]
    assert [(r["unit"], r["state"], r["received_at"]) for r in returns(year)] == seen
    for p in year.workspace.ledger_path.parent.glob(year.workspace.ledger_path.name + "*"):
        p.unlink()  # the ledger lost
    done = rebuild_ledger(
        year.settings,
        year.table_assignments,
        year.workspace,
        now=datetime(2024, 1, 17, 9, tzinfo=TZ),
    )
    assert any(
        "2024年落实方案：表格 2 份，报送记录 2 条（已采用 1 个单位）" in n for n in done.notes
    )
    assert [(r["unit"], r["state"], r["received_at"]) for r in returns(year)] == seen
    year.reload_tasks()
    assert {t.id: t for t in year.tasks}["1"].plan == (10, 30, 60, 100)


server = pytest.fixture(dovecot)  # a private IMAP server (the office mailbox)


def test_plans_come_from_the_office_mailbox(year, server, duban, monkeypatch, tmp_path):
    """duban plan fetches the mailbox first: a plan replied by mail is taken in at the
    server's arrival time; a quarterly form found there goes on to its quarter's inbox."""
    from reporting.forms.build import build_forms

    for k, v in imap_env(server, DUBAN_IMAP_SINCE="2024-01-01").items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("DUBAN_PATHS_TASKS", str(tmp_path / "tasks.csv"))
    monkeypatch.setenv("DUBAN_FAKE_NOW", "2024-01-17T09:00:00+08:00")
    plan = fill(year, "区发改委", GOOD).read_bytes()
    for p in year.workspace.plan_inbox(YEAR).iterdir():
        p.unlink()  # only the mailbox brings it
    q1 = Period(2024, 1)
    built = build_forms(
        year.settings, year.table_assignments, year.workspace, q1, now=BUILT, workers=1
    )
    quarterly = {f.unit: f.path for f in built.built}["区商务外事局"]
    arrived = datetime(2024, 1, 16, 15, 20, tzinfo=TZ)
    sender = year.registry.units["区发改委"].email
    other = year.registry.units["区商务外事局"].email
    server.append(
        [
            (reply_mail(sender, "落实方案", arrived, "<p1@x>", [("落实方案.xlsx", plan)]), arrived),
            (
                reply_mail(
                    other, "季度表", arrived, "<q1@x>", [("季度表.xlsx", quarterly.read_bytes())]
                ),
                arrived,
            ),
        ]
    )
    r = duban("plan", "--year", "2024", data=year.workspace.root)
    assert r.code == 0, r.output
    assert "新收报送邮件 2 封" in r.out
    (row,) = returns(year)
    assert (row["unit"], row["state"], row["received_at"]) == (
        "区发改委",
        "accepted",
        arrived.isoformat(),
    )
    assert "已转到该季度的收件目录" in r.out
    assert list((year.workspace.inbox_dir(q1) / "转自2024plan").iterdir())


# -- mail over a real SMTP server ------------------------------------------------------------
@pytest.fixture
def smtp(monkeypatch):
    port = free_port()
    servers = SmtpServers(port)
    yield servers, port
    servers.stop()


def test_notice_reminders_and_receipts_go_once_to_the_right_units(year, smtp):
    from reporting.notify.plan_notice import send_plan_notices

    servers, port = smtp
    handler = servers(Handler())
    s = year.settings
    s.smtp.host, s.smtp.port, s.smtp.security, s.smtp.sender, s.smtp.retries = (
        "127.0.0.1",
        port,
        "none",
        "duban@yuhui.example",
        0,
    )
    a = year.table_assignments
    with year.ledger() as ledger:
        send_plan_notices(s, a, year.workspace, YEAR, stage="通知", ledger=ledger, now=BUILT)
        send_plan_notices(
            s, a, year.workspace, YEAR, stage="通知", ledger=ledger, now=BUILT
        )  # nothing twice
    mails = handler.by_rcpt()
    address = {u: year.registry.units[u].email for u in ("区发改委", "区商务外事局")}
    assert len(handler.messages) == 2 and set(mails) == set(address.values())
    mine = mails[address["区发改委"]]
    assert mine["Subject"] == "2024年落实方案表（请于1月22日17:30前报送）"
    (att,) = list(mine.iter_attachments())
    assert att.get_filename() == "2024年_区发改委_落实方案表.xlsx"
    assert "牵头的 3 项任务" in mine.get_body(("plain",)).get_content()
    # 区发改委 returns a bad plan: a 退回通知 with the reason; the 提醒 to both (neither has a
    # plan that passed)
    fill(year, "区发改委", {"1": {**GOOD["1"], "q2": 50, "q3": 40}, "3": GOOD["3"]})
    take_in(year)
    with year.ledger() as ledger:
        later = datetime(2024, 1, 17, 9, tzinfo=TZ)
        send_plan_notices(s, a, year.workspace, YEAR, stage="提醒", ledger=ledger, now=later)
    after = [(rcpts[0], m) for _, rcpts, m in handler.messages[2:]]
    assert [(r, m["Subject"]) for r, m in after] == [
        (
            address["区发改委"],
            "【退回】2024年落实方案表未通过校验，请修改后于2024年1月22日前重新报送",
        ),
        (address["区发改委"], "【提醒】2024年落实方案表（1月22日17:30截止）"),
        (address["区商务外事局"], "【提醒】2024年落实方案表（1月22日17:30截止）"),
    ]
    fill(year, "区发改委", GOOD, name="改好的.xlsx")
    take_in(year, now=datetime(2024, 1, 18, 9, tzinfo=TZ))
    with year.ledger() as ledger:
        urge = datetime(2024, 1, 19, 9, tzinfo=TZ)
        send_plan_notices(s, a, year.workspace, YEAR, stage="催报", ledger=ledger, now=urge)
    last = [(rcpts[0], m["Subject"]) for _, rcpts, m in handler.messages[5:]]
    assert last == [
        (address["区发改委"], "【回执】2024年落实方案表已收到，校验通过"),
        (address["区商务外事局"], "【催报】2024年落实方案表（1月22日17:30截止）"),
    ]
    body = after[0][1].get_body(("plain",)).get_content()
    assert "三季度末节点 40%" in body and "低于二季度末节点 50%" in body


# -- the command ----------------------------------------------------------------------------
def test_cli_plan_status_and_calendar(duban, tmp_path):
    r = duban("plan", "--year", "2024")
    assert r.code == 0, r.output
    assert "已生成 31 个牵头单位的2024年落实方案表" in r.out and "落实方案汇总表：" in r.out
    r = duban("plan", "--year", "2024", "--status", "--json")
    data = json.loads(r.out)
    assert data["counts"]["due"] == 31 and data["counts"]["missing"] == 31
    assert data["deadline"].startswith("2024年1月22日")
    r = duban("plan", "--year", "2024", "--send", "通知", "--dry-run")
    assert r.code == 0 and "【演练】2024年落实方案通知" in r.out
    r = duban("calendar", "--year", "2024")
    assert "2024年落实方案（duban plan）" in r.out and "截止  2024年1月22日 星期一 17:30" in r.out


# -- the demo year ---------------------------------------------------------------------------
def typed_plans(path) -> dict[str, tuple]:
    """task id → the four 节点 typed into a filled 落实方案表 (what the unit sent)."""
    ws = openpyxl.load_workbook(path)[ps.SHEET_PLAN]
    cols = [ps.column_index(k) for k in ps.MILESTONES]
    return {
        tid: tuple(ws.cell(r, c).value for c in cols)
        for tid, r in rows_of(ws).items()
        if ws.cell(r, cols[0]).value is not None
    }


def test_the_demo_year_opens_with_the_round(demo_year, duban):
    import csv
    import re

    outcome, text, _ = demo_year
    root = outcome.root
    with Ledger(root / "ledger.sqlite") as ledger:
        rows = [dict(r) for r in ledger.returns(KEY)]
        sends = [(s.stage, s.unit) for s in ledger.sends(KEY) if s.result == "sent"]
    (bad,) = [r for r in rows if r["state"] == "rejected"]
    spoilt = bad["unit"]
    accepted = [r["unit"] for r in rows if r["state"] == "accepted"]
    assert len(accepted) == 6 and spoilt in accepted  # sent back, then resent
    (why,) = [p for p in problems(bad) if p["code"] == "milestone_decreasing"]
    cells = re.findall(r"（([A-Z]+\d+)）", why["text"])
    assert len(cells) == 2 and why["cell"] == cells[0]  # names both cells
    # 通知 to every lead unit; 提醒 / 催报 only to those without an accepted plan then
    notice = {u for s, u in sends if s == "通知"}
    assert len(notice) == 31
    assert {u for s, u in sends if s == "提醒"} == notice - (set(accepted) - {spoilt})
    assert {u for s, u in sends if s == "催报"} == notice - set(accepted)
    assert {u for s, u in sends if s == "回执"} == set(accepted)
    r = duban("plan", "--year", "2024", "--status", data=root)
    assert r.code == 0, r.output
    assert "应报 31 个牵头单位，已接收 6（逾期 0），退回待重报 0，未报送 25" in r.out
    assert re.search(rf"{spoilt}（牵头 \d+ 项）：按时报送，.*共 2 份", r.out)
    # the accepted plans are the quarters' 节点: a row the unit leads first, that tasks.csv
    # gives no 节点, due at the year's end, is judged in Q2 against what the unit typed
    with open(ROOT / "tasks.csv", encoding="utf-8-sig") as f:
        table = {t["id"]: t for t in csv.DictReader(f)}
    merged = json.loads((root / "2024Q2" / "merged.json").read_text(encoding="utf-8"))
    q2 = {row["id"]: row for row in merged["rows"]}
    inbox = root / "2024" / "落实方案" / "inbox"
    checked = 0
    for path in inbox.glob("*（已填）.xlsx"):
        unit = path.name.split("_")[1]
        for tid, plan in typed_plans(path).items():
            t = table[tid]
            first = re.split(r"[、，,]", t["lead_units"])[0]
            plain = not t.get("plan_q2") and t.get("kind", "") in ("", "进度", "节点")
            if first == unit and plain and t["deadline"] == "2024-12-31" and tid in q2:
                assert (q2[tid]["expected_progress"], q2[tid]["pace_basis"]) == (plan[1], "plan")
                checked += 1
    assert checked >= 10
    assert outcome.paths["落实方案汇总表"].exists()
