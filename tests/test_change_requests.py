"""Requests on the form: the 「销号延期调整申请」 sheet offers the unit's lead rows, intake
reads it back (also after LibreOffice re-saved the file, and from a mail), checks it like
the rest of the form and registers each request with its evidence archived."""

from __future__ import annotations

import json
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest
from conftest import office
from helpers import unbroken
from test_intake_support import fill, valid_answers

from reporting.core.periods import Period
from reporting.forms import formspec as fs
from reporting.forms.request_sheet import REQUEST_FIRST_ROW

Q1 = Period(2024, 1)
UNIT = "区发改委"
EVIDENCE = b"%PDF-1.4\n% acceptance report of 8(2)\n%%EOF\n"


@pytest.fixture
def forms(app, duban, monkeypatch):
    monkeypatch.setenv("DUBAN_FAKE_NOW", "2024-03-29T09:00:00+08:00")
    r = duban("forms", "--period", "2024Q1", "--unit", UNIT, "--unit", "区数据资源局")
    assert r.code == 0, r.output
    monkeypatch.setenv("DUBAN_FAKE_NOW", "2024-04-08T09:00:00+08:00")
    return app


def with_requests(app, dest: Path, rows: list[tuple[str, str, str, str, str]]) -> Path:
    """UNIT's valid return with 8.2 reported done, and ``rows`` in the request sheet."""
    answers = valid_answers(app, UNIT)
    answers[("lead", "8.2")].update(percent=100, status="已完成")
    fill(app.workspace.form_path(Q1, UNIT), dest, answers)
    wb = openpyxl.load_workbook(dest)
    ws = wb[fs.SHEET_REQUESTS]
    for i, values in enumerate(rows):
        for col, value in enumerate(values, 2):
            ws.cell(row=REQUEST_FIRST_ROW + i, column=col, value=value)
    wb.save(dest)
    return dest


ROWS = [
    ("8（2）", "销号", "重点项目全部开工", "已通过验收", "验收报告.pdf"),
    ("9（2）", "延期", "2025年6月底前", "征迁未完成", ""),
    ("25（4）", "销号", "已完成", "已完成", ""),  # not reported done: cannot stand
    ("9（2）", "延期", "2024年6月底前", "提前", ""),  # not later than 2024-12-31
    ("23（1）", "调整", "新目标", "", ""),  # another unit's task
]


def test_the_sheet_offers_exactly_the_units_lead_rows(forms):
    app = forms
    wb = openpyxl.load_workbook(app.workspace.form_path(Q1, UNIT))
    assert wb.sheetnames == [s for s in fs.SHEET_ORDER if s != fs.SHEET_PREVIOUS]  # Q1
    ws = wb[fs.SHEET_REQUESTS]
    (task, kind) = ws.data_validations.dataValidation
    assert kind.formula1 == '"销号,延期,调整"'
    name = wb.defined_names[task.formula1].attr_text
    sheet, cells = name.split("!")
    lookup = wb[sheet.strip("'")]
    first, last = (int(c.split("$")[-1]) for c in cells.split(":"))
    offered = [lookup.cell(row=r, column=2).value for r in range(first, last + 1)]
    lead = [r.task.label for r in app.assignments.by_unit[UNIT].lead]
    assert offered == lead and "8（2）" in offered
    assert ws.protection.sheet
    assert not ws.cell(row=REQUEST_FIRST_ROW, column=2).protection.locked
    assert ws.cell(row=REQUEST_FIRST_ROW, column=1).protection.locked


def listed(duban, period="2024Q1") -> list[dict]:
    r = duban("changes", "--period", period, "--json")
    assert r.code == 0, r.output
    return json.loads(r.out)


def check_registered(app, duban, evidence_name: str) -> None:
    items = listed(duban)
    assert [(i["task_id"], i["kind"], i["unit"]) for i in items] == [
        ("8.2", "销号", UNIT),
        ("9.2", "延期", UNIT),
    ]
    close, extend = items
    assert extend["deadline"] == "2025-06-30" and extend["reason"] == "征迁未完成"
    assert close["verdict"] == "待审批"
    (evidence,) = close["evidence"]
    assert evidence.startswith(f"{evidence_name}（archive/")
    kept = app.workspace.root / evidence.split("（", 1)[1].rstrip("）")
    assert kept.read_bytes() == EVIDENCE


@office
def test_requests_on_a_form_resaved_by_libreoffice_arrive_with_evidence(forms, duban, tmp_path):
    from reporting.documents.office import convert

    app = forms
    filled = with_requests(app, tmp_path / f"2024Q1_{UNIT}_进展情况表.xlsx", ROWS)
    resaved = convert(filled, "xlsx", tmp_path / "resaved")
    inbox = app.workspace.inbox_dir(Q1) / UNIT
    inbox.mkdir(parents=True)
    resaved.rename(inbox / resaved.name)
    (inbox / "验收报告.pdf").write_bytes(EVIDENCE)
    r = duban("collect", "--period", "2024Q1")
    assert r.code == 0, r.output
    check_registered(app, duban, "验收报告.pdf")
    # the three that cannot stand are 校验提醒 naming the sheet's rows, the form accepted
    with_warnings = app.workspace.merged_xlsx(Q1)
    assert with_warnings.exists()
    text = " ".join(
        unbroken(str(c.value))
        for row in openpyxl.load_workbook(with_warnings)["校验提醒"].iter_rows()
        for c in row
        if c.value
    )
    assert "销号延期调整申请第7行" in text and "没有填报“已完成”" in text
    assert "不晚于现在的完成时限2024年12月" in text
    assert "“23（1）”不是本单位本季度牵头的任务" in text
    # collected again: nothing registered twice
    assert duban("collect", "--period", "2024Q1").code == 0
    assert len(listed(duban)) == 2


def mail_with_requests(app, tmp_path, sender: str) -> Path:
    """UNIT's return with two requests and the evidence, as a saved mail in the inbox."""
    filled = with_requests(app, tmp_path / f"2024Q1_{UNIT}_进展情况表.xlsx", ROWS[:2])
    m = EmailMessage()
    m["From"] = sender
    m["To"] = "duban@yuhui.example"
    m["Subject"] = "区发改委第一季度进展情况表及销号申请"
    m["Date"] = "Mon, 08 Apr 2024 09:00:00 +0800"
    m["Message-ID"] = "<req-1@yuhui.example>"
    m.set_content("附件是进展情况表和验收报告。")
    m.add_attachment(
        filled.read_bytes(),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=filled.name,
    )
    m.add_attachment(EVIDENCE, maintype="application", subtype="pdf", filename="项目验收报告.pdf")
    inbox = app.workspace.inbox_dir(Q1)
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / "reply.eml").write_bytes(m.as_bytes())
    return inbox / "reply.eml"


def test_requests_in_a_mail_arrive_with_its_other_attachments(forms, duban, tmp_path):
    app = forms
    mail_with_requests(app, tmp_path, "联络员 <unit01@yuhui.example>")
    r = duban("collect", "--period", "2024Q1")
    assert r.code == 0, r.output
    check_registered(app, duban, "项目验收报告.pdf")
    r = duban("status", "--period", "2024Q1")
    assert f"销号、延期、调整申请待审批 2 项：{UNIT}任务8（2）销号、{UNIT}任务9（2）延期" in r.out
    assert (
        duban("changes", "--period", "2024Q1", "--approve", "1", "--doc", "禹政秘〔2024〕12号").code
        == 0
    )
    assert "待审批 1 项" in duban("status", "--period", "2024Q1").out


def test_a_held_returns_requests_wait_for_the_office(forms, duban, tmp_path):
    """From an address not registered for the unit: held, its requests too, until accepted."""
    from reporting.core.ledger import Ledger

    app = forms
    mail_with_requests(app, tmp_path, "某人 <someone@elsewhere.example>")
    assert duban("collect", "--period", "2024Q1").code == 0
    assert listed(duban) == []
    with Ledger(app.workspace.ledger_path) as ledger:
        (held,) = [row for row in ledger.returns(Q1) if row.state == "held"]
    r = duban("review", "--period", "2024Q1", "--accept", str(held.id))
    assert r.code == 0, r.output
    check_registered(app, duban, "项目验收报告.pdf")


def test_reject_setting_returns_the_form(forms, duban, tmp_path, monkeypatch):
    monkeypatch.setenv("DUBAN_INTAKE_CHANGE_REQUESTS", "reject")
    app = forms
    filled = with_requests(app, tmp_path / f"2024Q1_{UNIT}_进展情况表.xlsx", ROWS[2:3])
    inbox = app.workspace.inbox_dir(Q1)
    inbox.mkdir(parents=True, exist_ok=True)
    filled.rename(inbox / filled.name)
    r = duban("collect", "--period", "2024Q1")
    assert r.code == 0, r.output
    assert "退回" in r.out
    assert listed(duban) == []
