"""配合反馈: lead units get their partners' feedback once per quarter, an 更新 after a late
partner return, nothing on a rerun (the simulated year of ``duban demo``, checked against
the ledger and the mails in the outbox)."""

from __future__ import annotations

import email
import re
from datetime import datetime, timedelta
from email import policy
from io import BytesIO
from pathlib import Path

import openpyxl
import pytest
from helpers import form_column, unbroken

from jobs.steps import due_times
from reporting.core.calendar import period_calendar
from reporting.core.ledger import FEEDBACK_STAGE, Ledger
from reporting.core.periods import Period
from reporting.feedback.send import STAGE, send_feedback

PERIODS = [Period(2024, q) for q in (1, 2, 3, 4)]


def partners_of(assignments) -> dict[str, set[str]]:
    """lead unit → its cooperating units, straight from the task table."""
    out: dict[str, set[str]] = {}
    for row in assignments.rows:
        for lead in row.lead_units:
            if row.coop_units:
                out.setdefault(lead, set()).update(row.coop_units)
    return out


def accepted_by(ledger: Ledger, period: Period, moment: datetime) -> set[str]:
    """Units with an accepted return received by ``moment`` (read from the ledger rows)."""
    return {
        r["unit"]
        for r in ledger.returns(period)
        if r["state"] == "accepted" and datetime.fromisoformat(r["received_at"]) <= moment
    }


def feedback_mails(outbox, period: Period, unit: str) -> list[email.message.EmailMessage]:
    mails = []
    for path in sorted(outbox.glob(f"{period}_配合反馈_{unit}_*.eml")):
        mails.append(email.message_from_bytes(path.read_bytes(), policy=policy.default))
    return sorted(mails, key=lambda m: m["Date"].datetime)


def attachment_rows(mail) -> list[tuple]:
    (part,) = [
        p for p in mail.iter_attachments() if p.get_filename().endswith("_配合单位反馈.xlsx")
    ]
    ws = openpyxl.load_workbook(BytesIO(part.get_payload(decode=True)))["配合单位反馈"]
    rows = ws.iter_rows(min_row=4, values_only=True)
    return [tuple(map(unbroken, r)) for r in rows if r[0] is not None]


def subtitle_missing(mail) -> set[str]:
    """The units the attached sheet's subtitle says have not answered ("未反馈 N 个：甲、乙")."""
    (part,) = [
        p for p in mail.iter_attachments() if p.get_filename().endswith("_配合单位反馈.xlsx")
    ]
    ws = openpyxl.load_workbook(BytesIO(part.get_payload(decode=True)))["配合单位反馈"]
    text = "".join(
        unbroken(str(c)) for row in ws.iter_rows(max_row=3, values_only=True) for c in row if c
    )
    found = re.search(r"未反馈 (\d+) 个：([^，。]+)", text)
    if found is None:
        return set()
    names = set(found.group(2).split("、"))
    assert len(names) == int(found.group(1)), text
    return names


@pytest.mark.parametrize("period", PERIODS, ids=str)
def test_each_lead_unit_gets_one_feedback_naming_exactly_its_partners_returns(demo_year, period):
    outcome, _, app = demo_year
    cal = period_calendar(period, app.settings.deadline)
    partners = partners_of(app.assignments)
    tasks = {r.task.label: r.task for r in app.assignments.rows}
    with Ledger(outcome.root / "ledger.sqlite") as ledger:
        sent = ledger.feedback_sent(period)
        on_time = accepted_by(ledger, period, cal.coop_deadline)
        claimed = [r for r in ledger.sends(period) if r["stage"] == FEEDBACK_STAGE]
    # one first version per lead unit with partners, at the cooperating units' deadline
    assert set(sent) == set(partners)
    assert all(times[0] == cal.coop_deadline.isoformat() for times in sent.values())
    assert all(r["result"] == "sent" for r in claimed)  # no claim left open, none failed
    outbox = outcome.root / "outbox"
    for lead, units in partners.items():
        first = feedback_mails(outbox, period, lead)[0]
        assert first["Subject"].startswith("【配合单位反馈】")
        rows = attachment_rows(first)
        assert {r[3] for r in rows} == units  # every partner listed
        for k, r in enumerate(rows):  # the task's whole text; indicator values with their units
            task = tasks[r[1]]
            # the text once, on the task's first row; 同上 on its other partners' rows
            same = k > 0 and rows[k - 1][1] == r[1]
            assert r[2] == ("同上" if same else task.content) and "…" not in r[2]
            for part in filter(None, (r[10] or "").split("；")):
                name, _, value = part.partition("：")
                ind = next(i for i in task.indicators if i.name == name)
                assert "=" not in part and value.endswith("%" if ind.growth else ind.unit), part
        reported = {r[3] for r in rows if r[6] != "未报送"}
        assert reported == units & on_time, lead  # exactly the partners' returns in force
        missing = units - on_time
        assert subtitle_missing(first) == missing, lead  # the sheet's 未反馈 names them
        body = first.get_body(("plain",)).get_content()
        for unit in missing:
            assert unit in body
        if not missing:
            assert "各配合单位均已反馈" in body


@pytest.mark.parametrize("period", PERIODS, ids=str)
def test_a_late_partner_return_sends_an_update_to_its_lead_units_only(demo_year, period):
    outcome, _, app = demo_year
    due = due_times(period_calendar(period, app.settings.deadline), app.settings)
    late_partners = set(outcome.fates[str(period)]["coop_late"])
    expected = {
        lead for lead, units in partners_of(app.assignments).items() if units & late_partners
    }
    assert expected  # the simulation exercises it
    with Ledger(outcome.root / "ledger.sqlite") as ledger:
        sent = ledger.feedback_sent(period)
    # the collect at the 催报 run picked up the coop_late returns
    updated = {u for u, times in sent.items() if due["催报"].isoformat() in times}
    assert updated == expected
    outbox = outcome.root / "outbox"
    lead = sorted(expected)[0]
    mails = feedback_mails(outbox, period, lead)
    assert len(mails) == len(sent[lead])  # one mail per recorded send, nothing extra
    update = next(m for m in mails if m["Date"].datetime == due["催报"])
    assert update["Subject"].startswith("【配合单位反馈·更新】")
    rows = attachment_rows(update)
    changed = {r[3] for r in rows if r[11] and "本次更新" in r[11]}
    assert changed and changed <= late_partners


def test_rerun_and_the_command_send_nothing_more(demo_year, tmp_path):
    outcome, _, app = demo_year
    period = PERIODS[0]
    with Ledger(outcome.root / "ledger.sqlite") as ledger:
        before = len(ledger.sends(period))
        again = send_feedback(
            app.settings,
            app.assignments,
            app.workspace,
            period,
            ledger=ledger,
            now=period_calendar(period, app.settings.deadline).deadline + timedelta(days=3),
        )
        assert again.sends == [] and again.unchanged == len(partners_of(app.assignments))
        assert len(ledger.sends(period)) == before
    assert any("不重发" in line for line in again.lines())


def test_disagreements_are_listed_for_the_office(demo_year):
    _, printed, _ = demo_year
    lines = [ln.strip() for ln in printed.splitlines() if "：牵头单位" in ln and "配合单位" in ln]
    assert lines
    assert all(("报“已完成”" in ln or "报“超序时”" in ln) for ln in lines)
    assert all(("报“滞后”" in ln or "报“未启动”" in ln) for ln in lines)


# -- the claim itself -----------------------------------------------------------------------


def test_a_claim_is_taken_once_per_key_and_a_failed_one_again(tmp_path):
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        at = "2024-04-03T17:30:00+08:00"
        first = ledger.claim_send("2024Q1", "区发改委", FEEDBACK_STAGE, "email", key="aa", at=at)
        assert first is not None
        # claimed and not finished (another process sending): not taken again
        assert (
            ledger.claim_send("2024Q1", "区发改委", FEEDBACK_STAGE, "email", key="aa", at=at)
            is None
        )
        ledger.complete_send(first, "failed", "连接被拒绝", attempts=3, at=at)
        retry = ledger.claim_send("2024Q1", "区发改委", FEEDBACK_STAGE, "email", key="aa", at=at)
        assert retry is not None  # the same claim row, taken again
        ledger.complete_send(retry, "sent", at=at)
        assert (
            ledger.claim_send("2024Q1", "区发改委", FEEDBACK_STAGE, "email", key="aa", at=at)
            is None
        )
        # a new content digest is a new message (the 更新)
        assert ledger.claim_send("2024Q1", "区发改委", FEEDBACK_STAGE, "email", key="bb", at=at)
        assert ledger.feedback_sent("2024Q1") == {"区发改委": [at]}


def test_without_coop_days_there_is_one_deadline_and_no_feedback(app):
    from jobs.plan import build_plan

    app.settings.deadline.coop_days = 0
    cal = period_calendar(PERIODS[0], app.settings.deadline)
    assert not cal.separate_coop
    assert "coop" not in due_times(cal, app.settings)
    assert all(j.step != "coop" for j in build_plan(app.settings).jobs)
    with app.ledger() as ledger:
        summary = send_feedback(
            app.settings,
            app.assignments,
            app.workspace,
            PERIODS[0],
            ledger=ledger,
            now=cal.deadline,
        )
    assert summary.sends == [] and "coop_days = 0" in summary.lines()[0]


def unit_fields(unit: str, *, lead: int, coop: int, attachment: str = "") -> dict:
    """A mail's per-unit fields for a unit that has sent nothing yet."""
    return {
        "unit": unit,
        "contact": "",
        "attachment": attachment,
        "rejected": False,
        "reasons": [],
        "last_received": "",
        "lead_count": lead,
        "coop_count": coop,
    }


def test_notices_name_both_deadlines_for_units_with_both_sheets(app):
    from reporting.core.messages import render_message
    from reporting.notify.context import message_context

    cal = period_calendar(PERIODS[0], app.settings.deadline)
    base = message_context(app.settings, cal, "通知", cal.stages["通知"])
    ctx = {**base, **unit_fields("区发改委", lead=3, coop=2, attachment="x.xlsx")}
    body = render_message(app.settings.templates_dir, "mail_notice.txt.j2", ctx).body
    assert "“配合任务”表（2 项）请于 2024年4月3日 星期三 17:30 前报送" in body
    assert "“牵头任务”表请于 2024年4月8日 星期一 17:30 前报送" in body
    only_lead = render_message(
        app.settings.templates_dir, "mail_notice.txt.j2", {**ctx, "coop_count": 0}
    ).body
    assert "配合任务" not in only_lead


def test_after_the_coop_deadline_reminders_say_it_has_passed(app):
    from datetime import date

    from reporting.core.messages import render_message
    from reporting.notify.context import message_context

    cal = period_calendar(PERIODS[0], app.settings.deadline)
    unit = unit_fields("长青乡", lead=1, coop=5)
    urge = {**message_context(app.settings, cal, "催报", date(2024, 4, 7)), **unit}
    body = render_message(app.settings.templates_dir, "mail_urge.txt.j2", urge).body
    assert "配合截止时间 2024年4月3日 星期三 17:30 已过，请尽快报送" in body
    # the lead deadline still ahead, said once (the 配合 paragraph no longer repeats it)
    assert "报送截止时间为 2024年4月8日 星期一 17:30" in body
    assert body.count("2024年4月8日 星期一 17:30") == 1
    late = {**message_context(app.settings, cal, "通知", date(2024, 4, 10)), **unit}
    assert (
        "配合截止"
        not in render_message(app.settings.templates_dir, "mail_notice.txt.j2", late).body
    )


def test_at_the_coop_deadline_minute_a_reminder_says_it_closes_now(app):
    """ "截止 17:30" runs up to 17:30 itself: a 提醒 sent at 17:30:00 says the sheet closes
    now (neither 已过 nor "…前报送"), one sent a second later says 已过; intake's 按时/逾期
    takes the same instant (tests/test_intake_collect.py)."""
    from reporting.core.messages import render_message
    from reporting.notify.context import message_context

    cal = period_calendar(PERIODS[0], app.settings.deadline)
    unit = unit_fields("区文明办", lead=0, coop=1)

    def body(now) -> str:
        ctx = {**message_context(app.settings, cal, "提醒", now.date(), now=now), **unit}
        msg = render_message(app.settings.templates_dir, "mail_remind.txt.j2", ctx)
        return f"{msg.subject}\n{msg.body}"

    due = cal.coop_due
    assert (due.hour, due.minute, due.second) == (17, 30, 0)
    for now in (due, due - timedelta(seconds=30)):
        text = body(now)
        assert "“配合任务”表（1 项）今天 17:30 配合截止，请立即报送" in text, now
        # nothing asked "by 17:30" (it is 17:30) and nothing called past
        assert "已过" not in text and "4月3日 星期三 17:30 前" not in text, now
        assert text.split("\n")[0].endswith("（4月8日17:30截止）")  # the subject: still ahead
    later = body(due + timedelta(seconds=1))
    assert "配合截止时间 2024年4月3日 星期三 17:30 已过，请尽快报送" in later
    assert "今天 17:30" not in later
    earlier = body(due - timedelta(minutes=5))
    assert "今天 17:30 配合截止" not in earlier and "已过" not in earlier
    assert "配合截止时间为 2024年4月3日 星期三 17:30（今天截止）" in earlier


def test_a_feedback_update_after_the_lead_deadline_says_it_has_passed(app):
    from datetime import date

    from reporting.core.messages import render_message
    from reporting.notify.context import message_context

    cal = period_calendar(PERIODS[0], app.settings.deadline)
    fb = {
        "unit": "区发改委",
        "contact": "",
        "task_count": 2,
        "partner_count": 3,
        "reported_count": 3,
        "missing": [],
        "update": 0,
        "changed_partners": [],
        "attachment": "a.xlsx",
        "form_attachment": "",
        "returned_at": "",
    }

    def body(day: date) -> str:
        ctx = {**message_context(app.settings, cal, "配合反馈", day), **fb}
        return render_message(app.settings.templates_dir, "mail_coop_feedback.txt.j2", ctx).body

    before = body(date(2024, 4, 3))
    assert "并于 2024年4月8日 星期一 17:30 前报送。" in before and "已过" not in before
    # the paragraphs stay apart: the count, then the contact
    assert "各配合单位均已反馈。\n\n　　联系人：" in before
    after = body(date(2024, 4, 10))  # an update after the lead deadline
    assert "报送截止时间（2024年4月8日 星期一 17:30）已过，请尽快报送。" in after
    assert "前报送" not in after


def test_urge_and_overdue_mails_after_the_feedback_carry_the_form_with_partners(demo_year):
    """A lead unit chased after its 配合反馈 gets the latest version of its form: the copy
    with the partners' column, said so in the mail; units without one get the original."""
    from reporting.forms import formspec as fs

    outcome, _, _ = demo_year
    outbox = outcome.root / "outbox"
    kinds = {"copy": 0, "original": 0}
    for path in sorted(outbox.glob("2024Q*_*.eml")):
        period, stage, unit = path.stem.split("_")[:3]
        if stage not in ("催报", "逾期"):
            continue
        mail = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        sent = mail["Date"].datetime
        fed = [
            m
            for m in feedback_mails(outbox, Period.parse(period), unit)
            if m["Date"].datetime < sent
        ]
        (part,) = list(mail.iter_attachments())
        body = mail.get_body(("plain",)).get_content()
        if fed:
            kinds["copy"] += 1
            assert part.get_filename() == f"{period}_{unit}_进展情况表（含配合单位反馈）.xlsx"
            assert "即随配合单位反馈发送的版本" in body
            ws = openpyxl.load_workbook(BytesIO(part.get_payload(decode=True)))[fs.SHEET_LEAD]
            column = openpyxl.utils.get_column_letter(form_column(ws, "partners"))
            assert not ws.column_dimensions[column].hidden
        else:
            kinds["original"] += 1
            assert part.get_filename() == f"{period}_{unit}_进展情况表.xlsx"
            assert "配合单位反馈" not in body
    assert kinds["copy"] and kinds["original"], kinds


def _coop_day(root, monkeypatch, min_items: int, hold_thread: bool, before_coop=None):
    """Q1 of the bundled data up to the cooperating units' deadline in ``root``: forms,
    notice, the early returns collected, then the 配合反馈 (mail to an outbox);
    ``before_coop()`` is called just before the 配合截止 run."""
    import threading

    from conftest import ROOT

    from jobs.app import create_app
    from jobs.runner import run_cycle
    from reporting.core import parallel
    from reporting.sample.returns import simulate_returns

    app = create_app(ROOT / "config.toml", data_dir=root / "data", env={})
    app.settings.smtp.outbox = str(root / "outbox")
    app.settings.webhook.wecom_url = app.settings.webhook.dingtalk_url = ""
    period = PERIODS[0]
    cal = period_calendar(period, app.settings.deadline)
    due = due_times(cal, app.settings)
    run_cycle(app, period, now=due["通知"])
    simulate_returns(
        app.assignments,
        app.workspace,
        period,
        cal.deadline,
        fates=("on_time", "rejected"),
        coop_deadline=cal.coop_deadline,
    )
    monkeypatch.setattr(parallel, "MIN_ITEMS_PER_WORKER", min_items)
    stop = threading.Event()
    holder = threading.Thread(target=stop.wait, daemon=True)
    if hold_thread:  # a caller with threads gets fork-server workers
        holder.start()
    if before_coop is not None:
        before_coop()
    try:
        report = run_cycle(app, period, now=due["coop"])
    finally:
        stop.set()
    assert not report.failed, report.lines()
    return app


@pytest.mark.parametrize("hold_thread", [False, True], ids=["fork", "forkserver"])
def test_files_written_over_the_cores_equal_the_serial_ones(tmp_path, monkeypatch, hold_thread):
    """The workbooks and form copies are written by worker processes (forked, or from a
    fork server when the caller holds threads, as the scheduler does): the files, the
    mails' attachments and the ledger's claims are those of a serial run."""
    serial = _coop_day(tmp_path / "serial", monkeypatch, 10**6, False)
    spread = _coop_day(tmp_path / "spread", monkeypatch, 1, hold_thread)
    folder = serial.workspace.feedback_dir(PERIODS[0])
    names = sorted(p.name for p in folder.iterdir())
    assert len([n for n in names if n.endswith("（含配合单位反馈）.xlsx")]) > 20
    other = spread.workspace.feedback_dir(PERIODS[0])
    assert sorted(p.name for p in other.iterdir()) == names
    for name in names:
        assert (other / name).read_bytes() == (folder / name).read_bytes(), name

    def sent(app):
        out = {}
        for path in sorted(Path(app.settings.smtp.outbox).glob("*_配合反馈_*.eml")):
            mail = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            out[path.name] = [p.get_payload(decode=True) for p in mail.iter_attachments()]
        return out

    assert sent(spread) == sent(serial) and len(sent(serial)) > 20
    with Ledger(serial.workspace.ledger_path) as a, Ledger(spread.workspace.ledger_path) as b:
        keys = [
            [(c["unit"], c["key"], c["state"]) for c in x.claims(PERIODS[0]) if c["stage"] == STAGE]
            for x in (a, b)
        ]
    assert keys[0] == keys[1] and len(keys[0]) > 20


def test_a_form_built_again_after_the_copy_is_attached_instead_of_it(app):
    """The copy is the latest version only until the form is built again (--force)."""
    import os

    from reporting.core.ledger import Ledger
    from reporting.forms.build import build_forms
    from reporting.notify.recipients import outstanding

    period = PERIODS[0]
    cal = period_calendar(period, app.settings.deadline)
    build_forms(
        app.settings, app.assignments, app.workspace, period, units=["区发改委"], now=cal.coop_due
    )
    form = app.workspace.form_path(period, "区发改委")
    copy = app.workspace.form_copy_path(period, "区发改委")
    copy.parent.mkdir(parents=True)
    copy.write_bytes(form.read_bytes())

    def attached(stage):
        with Ledger(app.workspace.ledger_path) as ledger:
            recs, _ = outstanding(app.assignments, app.workspace, ledger, period, stage)
        rec = next(r for r in recs if r.unit == "区发改委")
        return rec.form, rec.form_with_partners

    assert attached("催报") == (copy, True) and attached("逾期") == (copy, True)
    assert attached("提醒") == (form, False)  # before the 配合反馈 stage: the original
    later = copy.stat().st_mtime + 60
    os.utime(form, (later, later))  # the form built again after the copy
    assert attached("催报") == (form, False)


def test_each_lead_units_files_are_synced_before_its_feedback_mail_is_claimed(
    tmp_path, monkeypatch
):
    """Worker processes write the workbooks and form copies unsynced; the caller syncs
    them (each once) before it claims the mail that carries them, while the workers go on
    writing the next ones."""
    import os

    from helpers import watch_fsync

    from reporting.feedback.compile import feedback_path

    synced: list[tuple[int, str]] = []
    at_claim: dict[str, set[str]] = {}
    real_claim = Ledger.claim_send

    def claim_send(self, period, unit, stage, *a, **kw):
        if stage == STAGE:
            at_claim[unit] = {p for _, p in synced}
        return real_claim(self, period, unit, stage, *a, **kw)

    def watch():  # from the 配合截止 run on
        watch_fsync(monkeypatch, synced)
        monkeypatch.setattr(Ledger, "claim_send", claim_send)

    app = _coop_day(tmp_path, monkeypatch, 1, False, before_coop=watch)
    period = PERIODS[0]
    folder = app.workspace.feedback_dir(period)
    files = sorted(str(p) for p in folder.glob("*.xlsx"))
    assert len([f for f in files if f.endswith("（含配合单位反馈）.xlsx")]) > 20
    assert len(at_claim) > 20
    for unit, before in at_claim.items():
        mine = {
            str(feedback_path(app.workspace, period, unit)),
            str(app.workspace.form_copy_path(period, unit)),
        }
        assert mine <= before, unit
    # the first mails go out while the workers still write the rest (in groups of a quarter)
    on_disk = [{p for p in before if p in files} for before in at_claim.values()]
    assert min(len(done) for done in on_disk) < len(files) / 2
    ours = [(pid, p) for pid, p in synced if p.startswith(f"{folder}/") and p.endswith(".xlsx")]
    assert sorted(p for _, p in ours) == files  # each once, by the caller
    assert {pid for pid, _ in ours} == {os.getpid()}
    # what each mail sent is kept, and on disk by the end of the run (with a later batch)
    kept = sorted(str(p) for p in folder.glob("*.sent.json"))
    assert len(kept) == len(at_claim)
    assert sorted(p for pid, p in synced if p.endswith(".sent.json")) == kept
