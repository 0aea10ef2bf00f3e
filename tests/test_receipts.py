"""Receipts after collect (回执 / 退回通知) against a real SMTP server (aiosmtpd on 127.0.0.1):
real forms filled as units fill them, collected, answered; what arrived is parsed back."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from remind_helpers import SmtpServers, Waits, free_port
from test_intake_support import PERIOD, UNIT, fill, make_forms, valid_answers

from reporting.core.calendar import TZ, period_calendar
from reporting.core.ledger import Ledger, receipt_key
from reporting.core.states import RECEIPT_STAGE
from reporting.intake.status import period_status
from reporting.merge.collect_merge import collect_and_merge as collect
from reporting.notify.receipts import receipt_context, send_receipts

SENDER = "duban@yuhui.example"
VILLAGE, BUREAU = "长青乡", "区人社局"
EMAIL = {
    UNIT: "unit01@yuhui.example",
    BUREAU: "unit09@yuhui.example",
    VILLAGE: "unit40@yuhui.example",
}
NOW = datetime(2024, 4, 3, 10, 0, tzinfo=TZ)  # before the 2024Q1 deadline (4月8日 17:30)
FORM_NAME = "2024Q1_{}_进展情况表.xlsx"


@pytest.fixture
def setup(app):
    forms = make_forms(app, [UNIT, VILLAGE, BUREAU])
    s = app.settings.smtp
    s.host, s.port, s.security, s.sender = "127.0.0.1", free_port(), "none", SENDER
    s.retries, s.backoff, s.timeout = 1, 1.0, 5.0
    return app, forms


@pytest.fixture
def server(setup):
    app, _ = setup
    servers = SmtpServers(app.settings.smtp.port)
    yield servers
    servers.stop()


def put(app, forms, unit, answers, when: datetime, name: str | None = None, header=None):
    """A return dropped into the inbox, saved at ``when``."""
    import os

    dest = app.workspace.inbox_dir(PERIOD) / (name or FORM_NAME.format(unit))
    fill(forms[unit], dest, answers, header)
    os.utime(dest, (when.timestamp(), when.timestamp()))
    return dest


def spoilt(app, unit):
    """150 % in the first lead row: rejected with the cell and the fix."""
    answers = valid_answers(app, unit)
    answers[next(k for k in answers if k[0] == "lead")]["percent"] = 150
    return answers


def take_in(app, now=NOW):
    with Ledger(app.workspace.ledger_path) as ledger:
        return collect(app.settings, app.assignments, app.workspace, PERIOD, now=now, ledger=ledger)


def answer(app, now=NOW, **kw):
    kw.setdefault("sleep", Waits())
    with Ledger(app.workspace.ledger_path) as ledger:
        return send_receipts(
            app.settings, app.assignments, app.workspace, PERIOD, ledger=ledger, now=now, **kw
        )


def receipt_rows(app) -> list[dict]:
    with Ledger(app.workspace.ledger_path) as ledger:
        return [dict(r) for r in ledger.sends(str(PERIOD)) if r["stage"] == RECEIPT_STAGE]


def body(msg) -> str:
    return msg.get_body(("plain",)).get_content()


def unit_status(app, now=NOW):
    with Ledger(app.workspace.ledger_path) as ledger:
        st = period_status(app.settings, app.assignments, ledger, PERIOD, now=now)
    return st, {u.unit: u for u in st.units}


# -- what arrives ------------------------------------------------------------------------------
def test_every_return_is_answered_at_once_and_a_rerun_sends_nothing(setup, server):
    app, forms = setup
    handler = server()
    put(app, forms, UNIT, valid_answers(app, UNIT), NOW - timedelta(days=1, hours=2))
    put(app, forms, VILLAGE, spoilt(app, VILLAGE), NOW - timedelta(hours=20))
    # no 填报人 in the header: accepted with a warning
    no_filler = {"phone": "0552-1234567", "approver": "李四", "fill_date": "2024年4月2日"}
    put(app, forms, BUREAU, valid_answers(app, BUREAU), NOW - timedelta(hours=3), header=no_filler)
    stray = app.workspace.inbox_dir(PERIOD) / "新建 XLSX 工作表.xlsx"  # nobody's: no receipt
    stray.write_bytes(b"PK\x03\x04" + bytes(40))
    c = take_in(app)
    assert [f.state for f in c.new].count("accepted") == 2 and len(c.new) == 4

    s = answer(app)

    assert (s.sent, s.failed, s.count("sent", "accepted"), s.count("sent", "rejected")) == (
        3,
        0,
        2,
        1,
    )
    got = handler.by_rcpt()
    assert set(got) == set(EMAIL.values()) and len(handler.messages) == 3
    ok = got[EMAIL[UNIT]]
    assert ok["Subject"] == "【回执】2024年第一季度重点任务推进情况表已收到，校验通过"
    assert ok["From"].addresses[0].display_name == "禹会区督查考核办"
    assert ok["To"].addresses[0].display_name == "区发改委 联络员01"
    text = body(ok)
    assert text.startswith("区发改委（联络员01同志）：")
    assert "你单位4月2日8时报送的2024年第一季度《政府工作报告》重点任务推进情况表" in text
    assert f"（“{FORM_NAME.format(UNIT)}”）已收到，经校验通过，已接收" in text
    assert (
        "\n　　如需更正，请在原表上修改后重新报送，以最后一次通过校验的报送为准。\n" in text
        and "逾期" not in text
        and "留意" not in text
    )
    assert list(ok.iter_attachments()) == []
    warned = body(got[EMAIL[BUREAU]])
    assert "已接收" in warned and "1. 表头“填报人”未填写，请补充以便联系" in warned

    rejected = got[EMAIL[VILLAGE]]
    assert (
        rejected["Subject"]
        == "【退回】2024年第一季度重点任务推进情况表未通过校验，请修改后于2024年4月8日前重新报送"
    )
    text = body(rejected)
    assert f"（“{FORM_NAME.format(VILLAGE)}”）未通过校验，已退回，原因如下：" in text
    reasons = [line.strip() for line in text.splitlines() if line.strip()[:2] in ("1.", "2.")]
    assert reasons and reasons[0].startswith(
        "1. 牵头任务表第"
    )  # sheet, row, column (task) : what and fix
    assert "（任务 " in reasons[0] and "请" in reasons[0] and ".xlsx" not in reasons[0]
    assert "于 2024年4月8日 星期一 17:30 前重新报送（还有 2 个工作日）" in text  # 清明 4月4—6日
    assert "已过" not in text

    rows = receipt_rows(app)
    assert {r["unit"]: r["result"] for r in rows} == {UNIT: "sent", VILLAGE: "sent", BUREAU: "sent"}
    with Ledger(app.workspace.ledger_path) as ledger:
        shas = {r["unit"]: r["sha256"] for r in ledger.returns(str(PERIOD)) if r["unit"]}
    for r in rows:
        assert r["detail"].startswith(f"{receipt_key(shas[r['unit']])} ")
    assert any(r["detail"].split(" ")[1] == "退回通知" for r in rows if r["unit"] == VILLAGE)
    lines = s.lines()
    assert lines[0] == "回执：已发送 3（回执 2，退回通知 1）。"
    assert f"  退回通知 {VILLAGE}：{FORM_NAME.format(VILLAGE)}" in lines

    st, units = unit_status(app)
    assert (units[UNIT].receipt, units[VILLAGE].receipt, units["区财政局"].receipt) == (
        "sent",
        "sent",
        "",
    )
    head = st.lines()[1]
    assert "回执" in head and "说明" in head
    assert any(line.startswith(VILLAGE) and " 已发" in line for line in st.lines(show_all=True))

    again = answer(app)
    assert again.sent == 0 and again.receipts == [] and len(handler.messages) == 3
    assert again.lines() == ["回执：没有新的报送需要回复。"]
    assert len(receipt_rows(app)) == 3


def test_a_unit_that_fixes_and_resubmits_gets_a_receipt_for_the_new_return(setup, server):
    app, forms = setup
    handler = server()
    put(app, forms, VILLAGE, spoilt(app, VILLAGE), NOW - timedelta(days=1))
    take_in(app)
    assert answer(app).count("sent", "rejected") == 1
    put(
        app,
        forms,
        VILLAGE,
        valid_answers(app, VILLAGE),
        NOW + timedelta(hours=2),
        name="长青乡（修改后）.xlsx",
    )
    later = NOW + timedelta(hours=3)
    take_in(app, now=later)
    s = answer(app, now=later)
    assert (s.sent, s.count("sent", "accepted"), s.superseded) == (1, 1, 0)
    assert len(handler.messages) == 2
    _, rcpts, msg = handler.messages[-1]
    assert rcpts == [EMAIL[VILLAGE]] and msg["Subject"].startswith("【回执】")
    text = body(msg)
    assert (
        "（“长青乡（修改后）.xlsx”）已收到" in text
        and "以最后一次通过校验的报送为准（你单位本期共报送 2 次，本次为最新一次）。" in text
    )
    _, units = unit_status(app, now=later)
    assert units[VILLAGE].state == "accepted" and units[VILLAGE].receipt == "sent"


def test_a_rejection_superseded_before_receipts_ran_gets_no_stale_notice(setup, server):
    app, forms = setup
    handler = server()
    put(app, forms, VILLAGE, spoilt(app, VILLAGE), NOW - timedelta(days=1), name="长青乡初稿.xlsx")
    put(app, forms, VILLAGE, valid_answers(app, VILLAGE), NOW - timedelta(hours=1))
    take_in(app)
    s = answer(app)
    assert (s.sent, s.superseded) == (1, 1)
    assert [r.kind for r in s.receipts] == ["accepted"]
    ((_, _, msg),) = handler.messages
    assert msg["Subject"].startswith("【回执】") and "初稿" not in body(msg)
    assert any("1 份较早的报送已被同一单位后来的报送取代" in line for line in s.lines())
    assert answer(app).receipts == []  # the superseded one is never answered later


def test_rejections_after_the_deadline_say_overdue_or_that_the_earlier_form_stands(setup, server):
    app, forms = setup
    handler = server()
    deadline = period_calendar(PERIOD, app.settings.deadline).deadline
    put(app, forms, UNIT, valid_answers(app, UNIT), NOW - timedelta(days=1))
    take_in(app)
    answer(app)  # the accepted return's 回执
    after = deadline + timedelta(days=2)  # 4月10日, two working days late
    put(app, forms, UNIT, spoilt(app, UNIT), after - timedelta(hours=1), name="发改委更正.xlsx")
    put(app, forms, VILLAGE, spoilt(app, VILLAGE), after - timedelta(hours=1))
    take_in(app, now=after)
    s = answer(app, now=after)
    assert (s.sent, s.count("sent", "rejected")) == (2, 2)
    got = handler.by_rcpt()
    late = got[EMAIL[VILLAGE]]
    assert late["Subject"].endswith("未通过校验，请修改后立即重新报送")
    text = body(late)
    assert "报送截止时间 2024年4月8日 星期一 17:30 已过（已逾期 2 个工作日）" in text
    assert "你单位目前没有通过校验的表格" in text
    stands = body(got[EMAIL[UNIT]])  # the latest message to the unit
    assert got[EMAIL[UNIT]]["Subject"].endswith("未通过校验（此前报送的表格仍然有效）")
    assert "（“发改委更正.xlsx”）未通过校验" in stands
    assert f"（“{FORM_NAME.format(UNIT)}”）此前已通过校验，仍然有效" in stands
    assert "已过" not in stands
    _, units = unit_status(app, now=after)
    assert units[UNIT].state == "accepted" and units[UNIT].receipt == "sent"


# -- failures, retries, dry run -------------------------------------------------------------
def test_server_down_is_recorded_as_failed_and_the_next_run_sends(setup, server):
    app, forms = setup
    put(app, forms, UNIT, valid_answers(app, UNIT), NOW - timedelta(days=1))
    put(app, forms, VILLAGE, spoilt(app, VILLAGE), NOW - timedelta(hours=5))
    take_in(app)
    waits = Waits()
    s = answer(app, sleep=waits)  # nobody listens on the port
    assert (s.sent, s.failed, s.ok) == (0, 2, False)
    assert waits.calls == [1.0]  # one retry after the backoff, then the run stops trying
    failed = {r.unit: r.outcome.detail for r in s.receipts}
    assert "无法连接邮件服务器 127.0.0.1" in failed[UNIT]
    assert failed[VILLAGE].startswith("未尝试：无法连接")
    rows = receipt_rows(app)
    assert [(r["unit"], r["result"]) for r in rows] == [(UNIT, "failed"), (VILLAGE, "failed")]
    assert "无法连接" in rows[0]["detail"] and rows[0]["attempts"] == 2
    assert any("有 2 份回执发送失败" in line and "duban collect" in line for line in s.lines())
    _, units = unit_status(app)
    assert units[UNIT].receipt == "failed"

    handler = server()
    retry = answer(app)
    assert (retry.sent, retry.failed) == (2, 0)
    assert set(handler.by_rcpt()) == {EMAIL[UNIT], EMAIL[VILLAGE]}
    _, units = unit_status(app)
    assert units[UNIT].receipt == units[VILLAGE].receipt == "sent"
    assert answer(app).receipts == []


def test_a_refused_address_fails_that_unit_only(setup, server):
    from remind_helpers import Handler

    app, forms = setup
    handler = server(Handler(reject={EMAIL[VILLAGE]}))
    put(app, forms, UNIT, valid_answers(app, UNIT), NOW - timedelta(days=1))
    put(app, forms, VILLAGE, valid_answers(app, VILLAGE), NOW - timedelta(hours=5))
    take_in(app)
    s = answer(app)
    assert (s.sent, s.failed) == (1, 1)
    assert "收件人被拒收" in next(r for r in s.receipts if r.unit == VILLAGE).outcome.detail
    assert list(handler.by_rcpt()) == [EMAIL[UNIT]]


def test_dry_run_sends_nothing_and_records_nothing(setup, server):
    app, forms = setup
    handler = server()
    put(app, forms, VILLAGE, spoilt(app, VILLAGE), NOW - timedelta(days=1))
    take_in(app)
    s = answer(app, dry_run=True)
    assert s.count("planned") == 1 and s.sent == 0
    assert handler.messages == [] and receipt_rows(app) == []
    lines = s.lines()
    assert lines[0].startswith("【演练】")
    assert any(
        f"退回通知 {VILLAGE}：{FORM_NAME.format(VILLAGE)} → {EMAIL[VILLAGE]}：【退回】" in line
        for line in lines
    )
    assert answer(app).sent == 1  # the real run still has it to do


def test_outbox_mode_writes_one_eml_per_receipt(setup):
    import email
    from email import policy

    app, forms = setup
    app.settings.smtp.host, app.settings.smtp.outbox = "", app.workspace.root / "outbox"
    put(app, forms, VILLAGE, spoilt(app, VILLAGE), NOW - timedelta(days=1))
    take_in(app)
    s = answer(app)
    (eml,) = app.settings.smtp.outbox.glob("*.eml")
    assert eml.name.startswith(f"2024Q1_退回通知_{VILLAGE}_")
    msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert msg["Subject"].startswith("【退回】") and s.sent == 1
    assert any("已写入发件箱目录" in line for line in s.lines())


# -- wiring: the command and the scheduler step --------------------------------------------
@pytest.fixture
def mail_env(setup, monkeypatch):
    app, _ = setup
    s = app.settings.smtp
    for key, value in (("host", s.host), ("port", s.port), ("security", "none")):
        monkeypatch.setenv(f"DUBAN_SMTP_{key.upper()}", str(value))
    monkeypatch.setenv("DUBAN_SMTP_SENDER", SENDER)
    monkeypatch.setenv("DUBAN_SMTP_RETRIES", "0")


def test_collect_command_prints_the_receipts(setup, server, mail_env, duban):
    app, forms = setup
    handler = server()
    put(app, forms, UNIT, valid_answers(app, UNIT), NOW)
    put(app, forms, VILLAGE, spoilt(app, VILLAGE), NOW)
    r = duban("collect", "--period", "2024Q1", "--no-receipts")
    assert r.code == 0, r.output
    assert handler.messages == [] and "回执" not in r.out
    r = duban("collect", "--period", "2024Q1")
    assert r.code == 0, r.output
    assert "此前已处理或内容重复 2 份" in r.out
    assert "回执：已发送 2（回执 1，退回通知 1）。" in r.out
    assert f"  回执 {UNIT}：{FORM_NAME.format(UNIT)}" in r.out
    assert len(handler.messages) == 2
    subjects = {m["Subject"][:4] for _, _, m in handler.messages}
    assert subjects == {"【回执】", "【退回】"}
    r = duban("status", "--period", "2024Q1", "--all")
    assert any(line.startswith(UNIT) and " 已发" in line for line in r.out.splitlines())


def test_collect_command_without_mail_prints_one_hint(setup, duban):
    app, forms = setup
    put(app, forms, UNIT, valid_answers(app, UNIT), NOW)
    r = duban("collect", "--period", "2024Q1")  # the bundled config: no [smtp] host, no outbox
    assert r.code == 0, r.output
    hints = [line for line in r.out.splitlines() if "回执" in line]
    assert len(hints) == 1 and hints[0].startswith("没有配置邮件") and "[smtp]" in hints[0]


def test_collect_command_fails_when_receipts_fail(setup, mail_env, duban):
    app, forms = setup
    put(app, forms, UNIT, valid_answers(app, UNIT), NOW)
    r = duban("collect", "--period", "2024Q1")  # no server listening
    assert r.code == 1
    assert "接收 区发改委" in r.out and "有 1 份回执发送失败" in r.out


def test_the_scheduler_step_sends_receipts(setup, server):
    from jobs.steps import STEPS

    app, forms = setup
    app.settings.smtp.retries = 0
    handler = server()
    put(app, forms, UNIT, valid_answers(app, UNIT), NOW - timedelta(hours=1))
    out = STEPS["collect"](app, PERIOD, NOW)
    lines = out.lines()
    assert any(line.startswith("收件目录") for line in lines)
    assert "回执：已发送 1（回执 1）。" in lines
    assert out.failed == 0 and len(handler.messages) == 1
    assert STEPS["collect"](app, PERIOD, NOW).lines()[-1] == "回执：没有新的报送需要回复。"


def test_the_scheduler_step_without_mail_skips_silently(setup):
    from jobs.steps import STEPS

    app, forms = setup
    app.settings.smtp.host = ""
    put(app, forms, UNIT, valid_answers(app, UNIT), NOW - timedelta(hours=1))
    out = STEPS["collect"](app, PERIOD, NOW)
    assert out.failed == 0 and not any("回执" in line for line in out.lines())
    assert receipt_rows(app) == []


def test_unusable_mail_settings_fail_the_receipts_not_the_collect(setup):
    from jobs.steps import STEPS

    app, forms = setup
    app.settings.smtp.sender = ""
    put(app, forms, UNIT, valid_answers(app, UNIT), NOW - timedelta(hours=1))
    out = STEPS["collect"](app, PERIOD, NOW)
    assert out.collected.new and out.failed == 1 and not out.blocks_later
    assert out.lines()[-1].startswith("回执未能发送：[smtp] sender（发件人邮箱）没有填写")
    assert receipt_rows(app) == []


def test_failed_receipts_leave_collect_unfinished_but_do_not_hold_back_the_report(
    setup, monkeypatch
):
    """Mail server down on the report day: collect is retried, the report still comes out."""
    import jobs.steps as steps
    from jobs.runner import run_cycle

    app, forms = setup
    app.settings.smtp.retries = 0
    made = []
    for step in ("forms", "通知", "提醒", "催报", "逾期"):
        monkeypatch.setitem(steps.STEPS, step, lambda app, period, now: None)
    monkeypatch.setitem(steps.STEPS, "report", lambda app, period, now: made.append(now))
    put(app, forms, UNIT, valid_answers(app, UNIT), NOW)
    report_day = steps.due_times(period_calendar(PERIOD, app.settings.deadline), app.settings)[
        "report"
    ]
    result = run_cycle(app, PERIOD, now=report_day)
    collect_step = result.by_step("collect")
    assert collect_step.state == "partial" and "1 项未成功" in collect_step.reason
    assert any("回执发送失败" in line for line in collect_step.lines)
    assert result.by_step("report").state == "ran" and made == [report_day]


# -- templates and docs ---------------------------------------------------------------------
def test_receipt_template_variables_are_documented(setup, root):
    app, forms = setup
    put(app, forms, UNIT, valid_answers(app, UNIT), NOW)
    take_in(app)
    from reporting.notify.recipients import due_receipts

    with Ledger(app.workspace.ledger_path) as ledger:
        (due,), _ = due_receipts(app.assignments, ledger, PERIOD)
    ctx = receipt_context({}, due, app.registry.units[UNIT], overdue=False, today=NOW.date())
    docs = (root / "docs" / "reminders.md").read_text(encoding="utf-8")
    for name in ctx:
        assert f"`{name}`" in docs, name
    for template in ("mail_receipt_ok.txt.j2", "mail_receipt_rejected.txt.j2"):
        assert f"`{template}`" in docs
        assert f"`{template}`" in (root / "docs" / "templates.md").read_text(encoding="utf-8")


def test_a_broken_receipt_template_stops_before_anything_is_sent(setup, server, root, tmp_path):
    import shutil

    from reporting.core.exceptions import NotifyError

    app, forms = setup
    handler = server()
    shutil.copytree(root / "templates", tmp_path / "templates")
    app.settings.paths.templates = tmp_path / "templates"
    (tmp_path / "templates" / "mail_receipt_rejected.txt.j2").write_text(
        "【退回】{{ 原因 }}\n", encoding="utf-8"
    )
    put(app, forms, UNIT, valid_answers(app, UNIT), NOW - timedelta(hours=2))
    put(app, forms, VILLAGE, spoilt(app, VILLAGE), NOW - timedelta(hours=1))
    take_in(app)
    with pytest.raises(NotifyError, match="mail_receipt_rejected.txt.j2 用了不存在的变量"):
        answer(app)
    assert handler.messages == [] and receipt_rows(app) == []
