"""Who sent it: a form in a saved mail whose From: is not registered for its unit is held
as 待核实 — never merged, never answered — until ``duban review`` decides (who/when in
the ledger). Real saved mails with crafted headers, real forms, the real CLI."""

from __future__ import annotations

import getpass
import json
import os
from datetime import timedelta

import openpyxl
import pytest
from helpers import unbroken
from test_intake_eml import DEADLINE, NOW, SENT, TRUSTED, XLSX, filled, message, save
from test_intake_support import PERIOD, UNIT, make_forms, valid_answers

from reporting.core.ledger import Ledger
from reporting.core.model import QuarterResult
from reporting.merge.collect_merge import collect_and_merge

OTHER = "区人社局"  # its registered address (units.csv) is unit09@yuhui.example
FORGER = f"{OTHER} 李四 <unit09@yuhui.example>"
OWN = "区发改委 张三 <unit01@yuhui.example>"  # UNIT's registered address
NAME = f"2024Q1_{UNIT}_进展情况表.xlsx"  # the file name names the unit too


@pytest.fixture
def setup(app):
    forms = make_forms(app, [UNIT, OTHER])
    return app, forms, app.workspace.inbox_dir(PERIOD)


def forged(app, forms, tmp_path, inbox, *, done=True):
    """区人社局's mailbox sends 区发改委's form, with every lead row 已完成 100%."""
    answers = valid_answers(app, UNIT)
    if done:
        for (role, _), a in answers.items():
            if role == "lead":
                a["percent"], a["status"] = 100, "已完成"
    data, _ = filled(app, forms, tmp_path, answers=answers, name="forged.xlsx")
    return save(message([(NAME, data, XLSX)], sender=FORGER), inbox / "forged.eml")


def take_in(app, now=NOW):
    with Ledger(app.workspace.ledger_path) as ledger:
        return collect_and_merge(
            app.settings, app.assignments, app.workspace, PERIOD, now=now, ledger=ledger
        )


def merged_units(app) -> dict[str, str]:
    result = QuarterResult.load(app.workspace.merged_json(PERIOD))
    return {u.unit: u.state for u in result.units}


def sheet_rows(app, title):
    wb = openpyxl.load_workbook(app.workspace.merged_xlsx(PERIOD))
    return [[unbroken(c.value) for c in row] for row in wb[title].iter_rows()]


def test_a_form_from_another_units_address_is_held_and_never_merged(setup, tmp_path, duban):
    app, forms, inbox = setup
    forged(app, forms, tmp_path, inbox)
    s = take_in(app)
    (f,) = s.new
    assert (f.unit, f.state) == (UNIT, "held")
    assert "unit09@yuhui.example" in f.problems[-1].text and "待核实" in f.problems[-1].text
    # not in merged.json's rows: the unit is 待核实, neither reported nor missing
    assert merged_units(app)[UNIT] == "held"
    data = json.loads(app.workspace.merged_json(PERIOD).read_text(encoding="utf-8"))
    lead = [r for row in data["rows"] for r in row.get("lead_reports", []) if r["unit"] == UNIT]
    assert lead == []
    counts = QuarterResult.load(app.workspace.merged_json(PERIOD)).unit_counts()
    assert (counts["held"], counts["missing"]) == (1, counts["due"] - 1)
    # the 汇总表 shows it: 报送情况 says 待核实, 退回清单 names the sender and the file
    status_rows = [r for r in sheet_rows(app, "报送情况") if r[1] == UNIT]
    assert status_rows and status_rows[0][3] == "待核实"
    rejects = [r for r in sheet_rows(app, "退回清单") if r[1] == UNIT]
    assert rejects and "unit09@yuhui.example" in rejects[0][-1] and NAME in rejects[0][2]
    # duban status lists it with its number and the way to decide
    r = duban("status", "--period", "2024Q1")
    assert r.code == 0, r.output
    assert f"待核实（编号 1）：{UNIT}，发件人 {FORGER}" in r.out
    assert "duban review --period 2024Q1 --accept 编号" in r.out
    r = duban("review", "--period", "2024Q1")
    assert r.code == 0 and r.out.startswith(f"编号 1：{UNIT}，发件人 {FORGER}")


def test_accepting_a_held_return_merges_it_and_records_who_and_when(setup, tmp_path, duban):
    app, forms, inbox = setup
    forged(app, forms, tmp_path, inbox)
    take_in(app)
    r = duban("review", "--period", "2024Q1", "--reject", "1")
    assert r.code == 1 and "--reason" in r.err and "程序内部出错" not in r.output
    r = duban("review", "--period", "2024Q1", "--accept", "7")
    assert r.code == 1 and "没有编号为 7 的待核实报送" in r.err
    r = duban("review", "--period", "2024Q1", "--accept", "1")
    assert r.code == 0, r.output
    assert "已采用编号 1" in r.out and "汇总结果已更新" in r.out
    assert merged_units(app)[UNIT] == "accepted"
    with Ledger(app.workspace.ledger_path) as ledger:
        (row,) = ledger.reviews(PERIOD)
        assert (row["decision"], row["decided_by"]) == ("accepted", getpass.getuser())
        assert row["decided_at"].startswith("20")
        assert ledger.latest_accepted(PERIOD)[UNIT]["id"] == 1
    r = duban("review", "--period", "2024Q1", "--reject", "1", "--reason", "x")
    assert r.code == 1 and "已于" in r.err and "处理过" in r.err


def test_rejecting_a_held_return_records_the_reason(setup, tmp_path, duban):
    app, forms, inbox = setup
    forged(app, forms, tmp_path, inbox)
    take_in(app)
    r = duban("review", "--period", "2024Q1", "--reject", "1", "--reason", "电话核实非本单位报送")
    assert r.code == 0, r.output
    assert merged_units(app)[UNIT] == "rejected"
    rejects = [r for r in sheet_rows(app, "退回清单") if r[1] == UNIT]
    assert any("电话核实非本单位报送" in str(r[-1]) for r in rejects)


def test_a_genuine_correction_received_later_wins_over_a_forged_future_date(setup, tmp_path):
    """The forged mail says it was sent in the future; the genuine one, collected after it,
    is the latest received and is the one in force."""
    app, forms, inbox = setup
    app.settings.intake.senders = {UNIT: ["unit09@yuhui.example"]}  # registered: no hold
    answers = valid_answers(app, UNIT)
    data, _ = filled(app, forms, tmp_path, answers=answers, name="a.xlsx")
    m = message([(NAME, data, XLSX)], sender=FORGER, date=NOW + timedelta(days=30), arrived=None)
    save(m, inbox / "first.eml", when=SENT)
    take_in(app)
    fixed = valid_answers(app, UNIT)
    first_lead = next(k for k in fixed if k[0] == "lead")
    fixed[first_lead]["progress"] = "更正后的进展：已完成招标。"
    data2, _ = filled(app, forms, tmp_path, answers=fixed, name="b.xlsx")
    m2 = message([(NAME, data2, XLSX)], sender=OWN, date=SENT, arrived=None)
    save(m2, inbox / "second.eml", when=SENT + timedelta(hours=1))
    take_in(app, now=NOW + timedelta(hours=1))
    with Ledger(app.workspace.ledger_path) as ledger:
        latest = ledger.latest_accepted(PERIOD)[UNIT]
        assert latest["source"].endswith(NAME) and "张三" in latest["source"]
    result = QuarterResult.load(app.workspace.merged_json(PERIOD))
    row = next(r for r in result.rows if r.id == first_lead[1])
    (mine,) = [x for x in row.lead_reports if x.unit == UNIT]
    assert mine.progress == "更正后的进展：已完成招标。"


@pytest.mark.parametrize("mode", ["warn", "off"])
def test_warn_accepts_with_a_warning_and_off_checks_nothing(setup, tmp_path, mode):
    app, forms, inbox = setup
    app.settings.intake.sender_check = mode
    forged(app, forms, tmp_path, inbox)
    (f,) = take_in(app).new
    assert f.state == "accepted"
    warned = [p for p in f.problems if p.code == "sender_unverified"]
    assert (len(warned), warned[0].level if warned else None) == (
        (1, "warning") if mode == "warn" else (0, None)
    )


def test_a_file_dropped_by_hand_is_the_offices_own_act(setup, tmp_path):
    app, forms, inbox = setup
    data, _ = filled(app, forms, tmp_path)
    (inbox / NAME).parent.mkdir(parents=True, exist_ok=True)
    (inbox / NAME).write_bytes(data)
    (f,) = take_in(app).new
    assert f.state == "accepted"


def test_a_held_return_gets_no_receipt(setup, tmp_path):
    from reporting.notify.recipients import due_receipts

    app, forms, inbox = setup
    forged(app, forms, tmp_path, inbox)
    take_in(app)
    with Ledger(app.workspace.ledger_path) as ledger:
        dues, _ = due_receipts(app.assignments, ledger, PERIOD)
    assert dues == []
    assert DEADLINE  # the deadline fixture is shared with test_intake_eml


def test_a_held_return_is_pending_in_every_document_never_a_fault(setup, tmp_path, duban):
    """The unit's only return is held: the report, the 通报, the scores, the year workbook
    and ``duban status`` all say 待核实 — never 退回后未重报, never 未报送 — and nothing
    is deducted, while the units that sent nothing are 未报送 everywhere."""
    from docx import Document

    from reporting.annual.workbook import run_year
    from reporting.assess.bulletin import render_bulletin
    from reporting.assess.score_sheet import SHEET_SCORES, run_score
    from reporting.report.render import render_report

    app, forms, inbox = setup
    forged(app, forms, tmp_path, inbox)
    take_in(app)
    # what this test wrote: one held return (UNIT), nothing from anyone else
    due = list(app.assignments.by_unit)
    silent = len(due) - 1

    def text(path) -> str:
        doc = Document(path)
        cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
        return "\n".join([p.text for p in doc.paragraphs] + cells)

    docx = render_report(app.settings, app.workspace, PERIOD, now=NOW).docx
    report = text(docx)
    assert f"报送待核实1个，未报送{silent}个" in report
    assert "被退回待重新报送" not in report
    pairs = [[c.text for c in row.cells] for t in Document(docx).tables for row in t.rows]
    assert any(UNIT in row and "待核实" in row for row in pairs)

    with Ledger(app.workspace.ledger_path) as ledger:
        bulletin = text(render_bulletin(app.settings, app.workspace, ledger, PERIOD, now=NOW).docx)
        sheet = run_score(app.settings, app.workspace, ledger, 2024, now=NOW).path
    assert f"退回后未重报0个，未报送{silent}个，报送待核实1个。" in bulletin
    assert "退回后未按要求修改重报的单位" not in bulletin
    named = bulletin.split("未报送的单位：")[1].split("\n")[0]
    assert UNIT not in named and OTHER in named

    sc = app.settings.scoring
    ws = openpyxl.load_workbook(sheet)[SHEET_SCORES]
    header = [c.value for c in ws[3]]
    col = next(i for i, h in enumerate(header) if str(h).startswith("报送质量"))
    scores = {r[1]: r[col] for r in ws.iter_rows(min_row=4, values_only=True)}
    assert scores[UNIT] == sc.report_points  # pending: nothing deducted
    assert scores[OTHER] == max(0, sc.report_points - sc.missing_deduction)

    year = openpyxl.load_workbook(run_year(app.settings, app.workspace, app.assignments, 2024).path)
    rows = {r[1]: r for r in year["单位×季度"].iter_rows(min_row=4, values_only=True)}
    assert rows[UNIT][3] == "待核实" and rows[OTHER][3] == "未报送"

    r = duban("status", "--period", "2024Q1", "--all")
    line = next(x for x in r.out.splitlines() if x.startswith(UNIT))
    assert "待核实" in line and "未报送" not in line and "退回" not in line
    assert f"退回待重报 0，未报送 {silent}" in r.out


@pytest.mark.parametrize(
    "sender", ["<>", "区发改委 <>", "undisclosed-recipients:;", None, "区发改委"]
)
def test_a_mail_without_a_readable_sender_address_is_held(setup, tmp_path, duban, sender):
    """A valid form in a mail whose From: gives no address to check (empty, a group, no
    From: at all, a bare name) is not from a registered address: held as 待核实."""
    app, forms, inbox = setup
    data, _ = filled(app, forms, tmp_path, name="form.xlsx")
    m = message([(NAME, data, XLSX)], sender=sender or OWN)
    if sender is None:
        del m["From"]
    save(m, inbox / "no-address.eml")
    (f,) = take_in(app).new
    assert (f.unit, f.state) == (UNIT, "held")
    assert [p.code for p in f.problems if p.level == "error"] == ["sender_unverified"]
    assert merged_units(app)[UNIT] == "held"
    result = QuarterResult.load(app.workspace.merged_json(PERIOD))
    assert [a for row in result.rows for a in row.lead_reports if a.unit == UNIT] == []
    r = duban("status", "--period", "2024Q1")
    assert r.code == 0 and f"待核实（编号 1）：{UNIT}" in r.out


def test_the_same_mail_from_the_registered_address_is_merged(setup, tmp_path):
    app, forms, inbox = setup
    data, _ = filled(app, forms, tmp_path, name="form.xlsx")
    save(message([(NAME, data, XLSX)], sender=OWN), inbox / "own.eml")
    (f,) = take_in(app).new
    assert (f.unit, f.state) == (UNIT, "accepted")
    assert merged_units(app)[UNIT] == "accepted"


def test_two_from_headers_registered_first_and_foreign_second_are_held(setup, tmp_path):
    app, forms, inbox = setup
    data, _ = filled(app, forms, tmp_path, name="form.xlsx")
    path = save(message([(NAME, data, XLSX)], sender=OWN), inbox / "two-from.eml")
    raw = path.read_bytes()  # the registered From: first, a foreign one after it
    stat = path.stat()
    head, rest = raw.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    at = next(i for i, line in enumerate(lines) if line.startswith(b"From: "))
    lines.insert(at + 1, b"From: someone <x@evil.example>")
    path.write_bytes(b"\r\n".join(lines) + b"\r\n\r\n" + rest)
    os.utime(path, (stat.st_atime, stat.st_mtime))
    (f,) = take_in(app).new
    assert (f.unit, f.state) == (UNIT, "held")
    (problem,) = [p for p in f.problems if p.level == "error"]
    assert "2 个发件人" in problem.text and "x@evil.example" in problem.text


@pytest.mark.parametrize("server", [f"mx1.{TRUSTED}", "mx.evil.example"])
def test_our_servers_failed_authentication_holds_the_form(setup, tmp_path, server):
    """Authentication-Results of the office's own server (``[intake] trusted_hosts``) with
    spf/dmarc fail: held, the verdict named. The same header from anyone else is ignored
    (anyone can write it)."""
    app, forms, inbox = setup
    app.settings.intake.trusted_hosts = [TRUSTED]
    data, _ = filled(app, forms, tmp_path, name="form.xlsx")
    m = message([(NAME, data, XLSX)], sender=OWN)
    m["Authentication-Results"] = (
        f"{server}; spf=fail smtp.mailfrom=evil.example; dkim=none; dmarc=fail header.from=yuhui.example"
    )
    save(m, inbox / "spoofed.eml")
    (f,) = take_in(app).new
    if server.endswith(TRUSTED):
        assert (f.unit, f.state) == (UNIT, "held")
        (problem,) = [p for p in f.problems if p.level == "error"]
        assert f"本办邮件服务器 {server}" in problem.text
        assert "spf=fail" in problem.text and "dmarc=fail" in problem.text
    else:
        assert (f.unit, f.state) == (UNIT, "accepted")


def test_a_long_sender_name_folded_over_two_lines_is_still_read(setup, tmp_path):
    """A From: whose encoded name is folded over two header lines (a long unit name) is the
    registered address, not "no readable address"."""
    app, forms, inbox = setup
    data, _ = filled(app, forms, tmp_path, name="form.xlsx")
    sender = f"{UNIT}办公室综合科张三丰李四王五赵六 <unit01@yuhui.example>"
    path = save(message([(NAME, data, XLSX)], sender=sender), inbox / "long.eml")
    assert b"\r\n =?utf-8?" in path.read_bytes().split(b"\r\n\r\n")[0]  # really folded
    (f,) = take_in(app).new
    assert (f.unit, f.state) == (UNIT, "accepted")
