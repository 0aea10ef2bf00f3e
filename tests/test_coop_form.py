"""The lead unit's form with its partners' feedback: the 配合反馈 mail carries a copy of the
lead unit's form whose locked 配合单位反馈（供参考） column holds, per task, exactly the
partners' accepted rows at that moment (unit, progress %, status, short text) and who has
not reported; intake takes that copy as the unit's form (old and new copy both accepted,
the latest wins); a lead unit that already returned is told so."""

from __future__ import annotations

import email
import re
from datetime import timedelta
from email import policy
from io import BytesIO

import openpyxl
import pytest
from conftest import ROOT, office
from helpers import form_column
from remind_helpers import Handler, SmtpServers, free_port

from jobs.app import create_app
from reporting.core.calendar import period_calendar
from reporting.core.ledger import Ledger
from reporting.core.numbers import num
from reporting.core.pace import judge_status, row_pace
from reporting.core.periods import Period
from reporting.documents import xlsx_style as st
from reporting.feedback.send import send_feedback
from reporting.forms import formspec as fs
from reporting.forms.build import build_forms
from reporting.merge.collect_merge import collect_and_merge
from reporting.sample.returns import fill_form

PERIODS = [Period(2024, q) for q in (1, 2, 3, 4)]
LEAD = "区发改委"
HEADER = "配合单位反馈（供参考）"
COPY_SUFFIX = "进展情况表（含配合单位反馈）.xlsx"
SENDER = "duban@yuhui.example"


def form_copy(mail) -> tuple[str, openpyxl.Workbook]:
    (part,) = [p for p in mail.iter_attachments() if p.get_filename().endswith(COPY_SUFFIX)]
    return part.get_filename(), openpyxl.load_workbook(BytesIO(part.get_payload(decode=True)))


def partner_cells(wb) -> dict[str, object]:
    """task id → the cell of the 配合单位反馈（供参考） column on the 牵头任务 sheet."""
    ws = wb[fs.SHEET_LEAD]
    header = [c.value for c in ws[fs.HEADER_ROW]]
    col = header.index(HEADER) + 1
    out = {}
    r = fs.FIRST_DATA_ROW
    while (tid := fs.parse_task_label(ws.cell(r, 2).value)) is not None:
        out[tid] = ws.cell(r, col)
        r += 1
    return out


def in_force_at(ledger: Ledger, period: Period, moment) -> dict[str, dict]:
    """unit → the answers of its latest accepted return received by ``moment``, read
    straight from the ledger's rows (not through the code that compiles the feedback)."""
    out: dict[str, dict] = {}
    for r in ledger.returns(period):  # received order
        if r["state"] == "accepted" and r["received_at"] <= moment.isoformat():
            out[r["unit"]] = ledger.answers_of(period, r["sha256"])
    return out


def check_cells(wb, assignments, lead: str, answers: dict[str, dict]) -> int:
    """Every lead row's reference cell lists exactly its partners' accepted rows and the
    partners without one; returns how many partner lines were checked."""
    cells = partner_cells(wb)
    checked = 0
    for row in assignments.for_unit(lead).lead:
        cell = cells[row.id]
        if not row.coop_units:
            assert cell.value is None, row.id
            continue
        assert cell.protection.locked and cell.fill.fgColor.rgb == st.PARTNER_FILL.fgColor.rgb
        # a line per partner, short ones side by side two ideographic spaces apart
        lines = [e for ln in cell.value.split("\n") for e in ln.split("\u3000\u3000")]
        reported = {
            u: answers[u]["coop"][row.id]
            for u in row.coop_units
            if row.id in answers.get(u, {}).get("coop", {})
        }
        missing = [u for u in row.coop_units if u not in reported]
        shown = [ln for ln in lines if not ln.startswith("未报送：")]
        assert len(shown) == len(reported), (row.id, lines)
        for unit, a in reported.items():
            head = "，".join(
                x
                for x in (
                    f"{num(a['percent'])}%" if a["percent"] is not None else "",
                    a["status"] or "",
                )
                if x
            )
            assert any(ln.startswith(f"{unit}（{head}）") or ln == unit for ln in shown), (
                row.id,
                unit,
                lines,
            )
            checked += 1
        if missing:
            assert lines[-1] == "未报送：" + "、".join(missing), (row.id, lines)
        else:
            assert not any(ln.startswith("未报送：") for ln in lines)
    return checked


# -- the simulated year: the first 配合反馈 of every lead unit, every quarter -----------------


@pytest.mark.parametrize("period", PERIODS, ids=str)
def test_the_form_copy_shows_exactly_the_partners_accepted_rows(demo_year, period):
    outcome, _, app = demo_year
    cal = period_calendar(period, app.settings.deadline)
    outbox = outcome.root / "outbox"
    checked = 0
    with Ledger(outcome.root / "ledger.sqlite") as ledger:
        answers = in_force_at(ledger, period, cal.coop_deadline)
        returned = in_force_at(ledger, period, cal.coop_deadline)
        leads = sorted(ledger.feedback_sent(period))
    assert LEAD in leads
    for lead in leads:
        mails = sorted(
            (
                email.message_from_bytes(p.read_bytes(), policy=policy.default)
                for p in outbox.glob(f"{period}_配合反馈_{lead}_*.eml")
            ),
            key=lambda m: m["Date"].datetime,
        )
        name, wb = form_copy(mails[0])
        assert name == f"{period}_{lead}_{COPY_SUFFIX}"
        ws = wb[fs.SHEET_LEAD]
        assert ws.protection.sheet
        letter = openpyxl.utils.get_column_letter(form_column(ws, "partners"))
        assert not ws.column_dimensions[letter].hidden
        if fs.SHEET_COOP in wb.sheetnames:  # a partner's own sheet never shows the column
            coop = wb[fs.SHEET_COOP]
            letter = openpyxl.utils.get_column_letter(form_column(coop, "partners"))
            assert coop.column_dimensions[letter].hidden
        book = app.book(period)  # the period's task book: tasks closed before it are off
        # a 一次性 task is on no form after the quarter of its deadline (core.pace.reportable)
        checked += check_cells(wb, book.for_period(period), lead, answers)
        closed = {r.id for r in app.assignments.for_unit(lead).lead} - {
            r.id for r in book.for_unit(lead).lead
        }
        assert not closed & set(partner_cells(wb)), closed
        body = mails[0].get_body(("plain",)).get_content()
        assert ("你单位已于" in body) == (lead in returned), lead
    assert checked > 20


# -- one quarter by hand: real SMTP, then intake of the copy --------------------------------


@pytest.fixture
def smtp():
    port = free_port()
    servers = SmtpServers(port)
    yield port, servers
    servers.stop()


def answers_for(app, unit: str, period: Period, percent: float, text: str) -> dict:
    """Every row of the unit's form (both sheets) answered at ``percent``, its status by the rule."""
    rows = app.assignments.for_unit(unit)
    out = {}
    for role, r in [("lead", r) for r in rows.lead] + [("coop", r) for r in rows.coop]:
        expected = row_pace(r.task, period).expected  # None: a row not judged by pace
        status = judge_status(percent, expected, app.settings.merge) or "序时推进"
        out[(role, r.id)] = {
            "progress": f"{text}（{r.task.label}）。",
            "percent": percent,
            "status": str(status),
            "problems": "无",
            "next_steps": "继续推进",
            "indicators": {i.name: 1.0 for i in r.task.indicators},
        }
    return out


def test_mailed_copy_over_smtp_and_intake_takes_either_copy_latest_wins(tmp_path, smtp):
    port, servers = smtp
    handler = servers(Handler())
    env = {
        "DUBAN_SMTP_HOST": "127.0.0.1",
        "DUBAN_SMTP_PORT": str(port),
        "DUBAN_SMTP_SECURITY": "none",
        "DUBAN_SMTP_SENDER": SENDER,
        "DUBAN_SMTP_RETRIES": "0",
    }
    app = create_app(ROOT / "config.toml", data_dir=tmp_path / "data", env=env)
    period = Period(2024, 1)
    cal = period_calendar(period, app.settings.deadline)
    partners = ["长青乡", "马城镇"]
    build_forms(
        app.settings,
        app.assignments,
        app.workspace,
        period,
        units=[LEAD, *partners],
        now=cal.coop_due - timedelta(days=10),
    )
    inbox = app.workspace.inbox_dir(period)
    inbox.mkdir(parents=True, exist_ok=True)
    header = {"filler": "张三", "phone": "0552-1234567"}

    def give(unit: str, src, name: str, answers: dict, when) -> None:
        fill_form(src, inbox / name, answers, header)
        collect_and_merge(app.settings, app.assignments, app.workspace, period, now=when)

    before = cal.coop_due - timedelta(hours=5)
    give(
        "长青乡",
        app.workspace.form_path(period, "长青乡"),
        "长青乡.xlsx",
        answers_for(app, "长青乡", period, 5.0, "长青乡配合"),
        before,
    )
    give(
        LEAD,
        app.workspace.form_path(period, LEAD),
        "原表.xlsx",
        {**answers_for(app, LEAD, period, 45.0, "第一版")},
        before + timedelta(hours=1),
    )

    after = cal.coop_due + timedelta(minutes=5)
    with Ledger(app.workspace.ledger_path) as ledger:
        summary = send_feedback(
            app.settings, app.assignments, app.workspace, period, ledger=ledger, now=after
        )
        answers = in_force_at(ledger, period, after)
    assert set(answers) == {"长青乡", LEAD}
    mine = [m for _, rcpts, m in handler.messages if app.registry.units[LEAD].email in rcpts]
    assert len(mine) == 1
    mail = mine[0]
    names = sorted(p.get_filename() for p in mail.iter_attachments())
    assert names == sorted([f"{period}_{LEAD}_配合单位反馈.xlsx", f"{period}_{LEAD}_{COPY_SUFFIX}"])
    name, wb = form_copy(mail)
    assert check_cells(wb, app.assignments, LEAD, answers) >= 5
    cells = partner_cells(wb)
    assert "长青乡（5%，滞后）：长青乡配合（3）" in cells["3"].value
    assert "马城镇" in cells["3"].value.split("\n")[-1]  # not reported yet
    body = mail.get_body(("plain",)).get_content()
    assert "你单位已于" in body and "已接收" in body
    # the copy named by what it is, not by our file name
    assert "含配合单位反馈" in body and name not in body and str(period) not in body
    # 说法不一 (区发改委 超序时 vs 长青乡 滞后) listed for the office
    assert any(
        d.startswith("3：牵头单位区发改委报“超序时”，配合单位长青乡报“滞后”")
        for d in summary.disagreements
    )

    # the copy, filled and returned, replaces the first version; the old copy again replaces it
    copy = tmp_path / name
    copy.write_bytes(
        next(p for p in mail.iter_attachments() if p.get_filename() == name).get_payload(
            decode=True
        )
    )
    give(
        LEAD,
        copy,
        "含配合反馈.xlsx",
        answers_for(app, LEAD, period, 45.0, "第二版"),
        after + timedelta(hours=1),
    )
    give(
        LEAD,
        app.workspace.form_path(period, LEAD),
        "原表第三版.xlsx",
        answers_for(app, LEAD, period, 45.0, "第三版"),
        after + timedelta(hours=2),
    )
    with Ledger(app.workspace.ledger_path) as ledger:
        mine_returns = [r for r in ledger.returns(period) if r["unit"] == LEAD]
        assert [r["state"] for r in mine_returns] == ["accepted"] * 3
        assert [r["source"].rsplit("/", 1)[-1] for r in mine_returns][1] == "含配合反馈.xlsx"
        versions = [
            ledger.answers_of(period, r["sha256"])["lead"]["3"]["progress"] for r in mine_returns
        ]
        assert versions == ["第一版（3）。", "第二版（3）。", "第三版（3）。"]
        latest = ledger.latest_accepted(period)[LEAD]
        assert (
            ledger.answers_of(period, latest["sha256"])["lead"]["3"]["progress"] == "第三版（3）。"
        )


# -- print ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def copy_form(tmp_path_factory):
    """区发改委's Q1 form copy with a long partners' cell on every lead task with partners."""
    from reporting.forms.build import refresh_form

    tmp = tmp_path_factory.mktemp("copy")
    app = create_app(ROOT / "config.toml", data_dir=tmp / "data", env={})
    period = Period(2024, 1)
    cells = {}
    for row in app.assignments.for_unit(LEAD).lead:
        if row.coop_units:
            lines = [
                f"{u}（{20 + i}%，序时推进）：已对接牵头单位。"
                for i, u in enumerate(row.coop_units[1:])
            ]
            cells[row.id] = "\n".join([*lines, f"未报送：{row.coop_units[0]}"])
    path = tmp / "copy.xlsx"
    form = refresh_form(
        app.settings,
        app.assignments,
        app.workspace,
        period,
        LEAD,
        cells,
        path=path,
        as_of="截至3月27日17时",
        now=period_calendar(period, app.settings.deadline).coop_due,
    )
    assert form.partner_rows == len(cells) > 5
    return path, cells


def test_the_copy_keeps_the_print_rules(copy_form):
    """≥ 9 pt on paper; the partners' column starts the second printed page, after 下步打算
    and the indicators' values; every printed page fits A4 landscape at the sheet's scale;
    task number and content frozen."""
    path, cells = copy_form
    ws = openpyxl.load_workbook(path)[fs.SHEET_LEAD]
    scale = ws.page_setup.scale
    assert st.BODY_PT * scale / 100 >= 9
    breaks = [b.id for b in ws.col_breaks.brk]
    assert breaks[0] == form_column(ws, "ind3_value") == form_column(ws, "partners") - 1
    assert form_column(ws, "ind1_value") == form_column(ws, "next_steps") + 1
    # the printed columns end with the partners' page: 责任分工 and the targets are not printed
    end = openpyxl.utils.column_index_from_string(
        re.sub(r"\d", "", ws.print_area.split(",")[-1].split(":")[-1]).strip("$")
    )
    assert end == form_column(ws, "partners")
    edges = [0, *breaks, end]
    for i, (a, b) in enumerate(zip(edges, edges[1:], strict=False)):
        cols = range(a + 1, b + 1) if i == 0 else [1, 2, 3, *range(a + 1, b + 1)]
        letters = [openpyxl.utils.get_column_letter(c) for c in cols]
        width = sum(
            st.column_points(ws.column_dimensions[x].width)
            for x in letters
            if not ws.column_dimensions[x].hidden
        )
        assert width * scale / 100 <= st.printable_width(), i
    assert ws.freeze_panes == f"D{fs.FIRST_DATA_ROW}" and ws.print_title_cols == "$A:$C"
    legend = ws.cell(fs.FIRST_DATA_ROW + len(partner_cells(ws.parent)) + fs.LEGEND_GAP - 1, 1).value
    assert "配合单位反馈（供参考）" in legend and "截至3月27日17时" in legend
    guide = openpyxl.load_workbook(path)[fs.SHEET_GUIDE]
    notes = [c.value for c in guide["A"] if isinstance(c.value, str)]
    assert any("随《配合单位反馈》发送的更新版" in n and "截至3月27日17时" in n for n in notes)


def own_form(tmp_path):
    """区发改委's own Q1 form, built at quarter start (the copy is sent later)."""
    app = create_app(ROOT / "config.toml", data_dir=tmp_path / "data", env={})
    period = Period(2024, 1)
    build_forms(
        app.settings,
        app.assignments,
        app.workspace,
        period,
        units=[LEAD],
        now=period_calendar(period, app.settings.deadline).coop_due,
    )
    return app.workspace.form_path(period, LEAD)


def test_in_the_copy_only_the_printed_cells_set_a_rows_height(copy_form, tmp_path):
    """The copy's print area ends with the partners' page, so its 责任分工 is not printed:
    that cell's lines (责任领导, 牵头单位, 配合单位, 责任人) no longer make its rows as tall;
    the unit's own form keeps rows that show the whole 责任分工 on screen."""
    path, _cells = copy_form
    copy = openpyxl.load_workbook(path)
    own = openpyxl.load_workbook(own_form(tmp_path))
    line_pt = 15.5  # a 五号 line in a cell, and 6 pt of padding
    shorter = rows = 0
    a, b = copy[fs.SHEET_COOP], own[fs.SHEET_COOP]  # its cooperating rows: no partners' cell
    duty, label = form_column(a, "duty"), form_column(a, "task_id")
    for r in range(fs.FIRST_DATA_ROW, a.max_row + 1):
        if not fs.parse_task_label(a.cell(r, label).value):
            continue
        rows += 1
        lines = str(a.cell(r, duty).value).count("\n") + 1
        mine, copied = b.row_dimensions[r].height, a.row_dimensions[r].height
        assert mine >= lines * line_pt + 6, r  # the whole 责任分工 on screen
        assert copied <= mine, r
        shorter += copied < lines * line_pt + 6
    assert rows >= 4 and shorter >= 1, (shorter, rows)  # a row of short 任务内容


def test_the_original_form_says_nothing_of_partners(tmp_path):
    """Built at quarter start: the column hidden, no legend or guide note about it."""
    wb = openpyxl.load_workbook(own_form(tmp_path))
    ws = wb[fs.SHEET_LEAD]
    assert ws.column_dimensions[
        openpyxl.utils.get_column_letter(form_column(ws, "partners"))
    ].hidden
    texts = [
        c.value
        for sheet in wb
        for row in sheet.iter_rows()
        for c in row
        if isinstance(c.value, str)
    ]
    assert not any("配合单位反馈（供参考）" in t for t in texts if t != HEADER)


@office
def test_the_copy_printed_by_libreoffice_shows_every_partner_line(copy_form, tmp_path):
    """Each line of every partners' cell is on a printed page under the column header
    (pdftotext -raw keeps a cell's wrapped lines together)."""
    import subprocess

    from reporting.documents.office import convert, pdf_pages

    path, cells = copy_form
    pdf = convert(path, "pdf", tmp_path)
    pages = pdf_pages(pdf)
    texts = [
        "".join(
            subprocess.run(
                ["pdftotext", "-raw", "-f", str(p), "-l", str(p), str(pdf), "-"],
                capture_output=True,
                text=True,
            ).stdout.split()
        )
        for p in range(1, pages + 1)
    ]
    with_column = [t for t in texts if "配合单位反馈（供参考）" in t]
    assert with_column  # a printed page of its own, header repeated with the frozen columns
    printed = "".join(with_column)
    for text in cells.values():
        for line in text.split("\n"):
            assert "".join(line.split()) in printed, line
