"""Reminders by email against a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import dataclasses
import email
import ssl
from datetime import date
from email import policy

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from helpers import NOW, with_now
from remind_helpers import (
    PERIOD,
    Handler,
    SmtpServers,
    Waits,
    add_return,
    build_forms_once,
    free_port,
    install_forms,
    sends,
)

from jobs.app import create_app
from reporting.core.exceptions import NotifyError
from reporting.core.ledger import Ledger
from reporting.core.problems import Problem
from reporting.notify.mailer import (
    OutgoingMail,
    build_message,
    clean_header,
    content_disposition,
    message_bytes,
    parse_addresses,
)
from reporting.notify.remind import send_reminders

ROOT_CONFIG = __import__("pathlib").Path(__file__).resolve().parent.parent / "config.toml"
NOTICE_DAY = date(2024, 3, 29)  # 2024Q1 通知
REMIND_DAY = date(2024, 4, 2)  # 提醒
SENDER = "duban@yuhui.example"


@pytest.fixture(scope="module")
def forms_source(tmp_path_factory):
    app = create_app(ROOT_CONFIG, data_dir=tmp_path_factory.mktemp("forms"), env={})
    return build_forms_once(app)


@pytest.fixture
def mail_app(app, forms_source):
    install_forms(forms_source, app)
    s = app.settings.smtp
    s.host, s.port, s.security, s.sender = "127.0.0.1", free_port(), "none", SENDER
    s.retries, s.backoff, s.timeout = 2, 1.0, 5.0
    return app


@pytest.fixture
def server(mail_app):
    """start(handler=None, **controller kwargs) → Handler; stopped at teardown."""
    servers = SmtpServers(mail_app.settings.smtp.port)
    yield servers
    servers.stop()


def remind(app, **kw):
    kw.setdefault("sleep", Waits())
    return send_reminders(app.settings, app.assignments, app.workspace, PERIOD, **with_now(kw))


def unit_email(app, unit):
    return app.registry.units[unit].email


# -- the 通知 -------------------------------------------------------------------------
def test_notice_carries_each_units_form_and_a_rerun_sends_nothing(mail_app, server):
    handler = server()
    summary = remind(mail_app, today=NOTICE_DAY)
    units = list(mail_app.assignments.by_unit)
    assert summary.stage == "通知"
    assert summary.sent == len(units) == 50 and summary.ok
    got = handler.by_rcpt()
    assert len(handler.messages) == 50
    for unit in ("区发改委", "区招商和经济发展服务中心", "钓鱼台街道"):
        msg = got[unit_email(mail_app, unit)]
        # a unit that only cooperates is asked for its form by the 配合 deadline
        due = "4月8日17:30" if mail_app.assignments.by_unit[unit].lead else "4月3日17:30"
        assert (
            msg["Subject"] == f"2024年第一季度《政府工作报告》重点任务推进情况表（请于{due}前报送）"
        )
        assert msg["To"].addresses[0].addr_spec == unit_email(mail_app, unit)
        assert msg["To"].addresses[0].display_name.startswith(unit)
        assert msg["From"].addresses[0].display_name == "禹会区督查考核办"
        assert msg["From"].addresses[0].addr_spec == SENDER
        body = msg.get_body(("plain",)).get_content()
        assert body.startswith(f"{unit}（")
        assert "2024年4月8日 星期一 17:30" in body
        (att,) = list(msg.iter_attachments())
        form = mail_app.workspace.form_path(PERIOD, unit)
        assert att.get_filename() == form.name == f"2024Q1_{unit}_进展情况表.xlsx"
        assert att.get_content() == form.read_bytes()
    raw = handler.raw[0]
    assert b'filename="2024Q1_form.xlsx"' in raw  # ASCII fallback
    assert b"filename*0*=utf-8''2024Q1_%E5%8C%BA%E5%8F%91" in raw  # RFC 2231: 2024Q1_区发…
    assert b"\nBcc" not in raw
    rows = sends(mail_app)
    assert {(r["stage"], r["channel"], r["result"]) for r in rows} == {("通知", "email", "sent")}
    assert len(rows) == 50

    again = remind(mail_app, today=NOTICE_DAY)
    assert again.sent == 0 and again.count("already") == 50
    assert len(handler.messages) == 50
    assert len(sends(mail_app)) == 50
    assert any("没有需要新发送" in line for line in again.lines())


def test_units_that_returned_get_nothing_and_rejected_units_get_the_reasons(mail_app, server):
    handler = server()
    add_return(mail_app, "区发改委", "accepted")
    # stored as intake stores them; warnings are not reasons for a rejection
    problems = [
        Problem(
            "累计完成进度应在 0% 到 100% 之间",
            file="x.xlsx",
            sheet="牵头任务",
            cell="H6",
            task="7.1",
        ).to_dict(),
        Problem("“存在问题”一栏为空", file="x.xlsx").to_dict(),
        Problem("隐藏了第 9 行", file="x.xlsx", sheet="牵头任务", level="warning").to_dict(),
    ]
    add_return(mail_app, "区财政局", "rejected", problems)
    # an earlier rejection superseded by an accepted return
    add_return(
        mail_app, "区教体局", "rejected", ["旧问题"], received_at="2024-04-01T09:00:00+08:00"
    )
    add_return(mail_app, "区教体局", "accepted", received_at="2024-04-02T09:00:00+08:00")

    summary = remind(mail_app, today=REMIND_DAY)
    assert summary.stage == "提醒"
    got = handler.by_rcpt()
    assert unit_email(mail_app, "区发改委") not in got
    assert unit_email(mail_app, "区教体局") not in got
    assert len(got) == 48 == summary.sent
    body = got[unit_email(mail_app, "区财政局")].get_body(("plain",)).get_content()
    assert "未通过校验" in body and "4月3日" in body
    assert "1. 牵头任务表第6行H列（任务 7（1））：累计完成进度应在 0% 到 100% 之间" in body
    assert "2. “存在问题”一栏为空" in body
    assert "x.xlsx" not in body and "隐藏" not in body
    plain = got[unit_email(mail_app, "区科技经信局")]
    assert "尚未收到你单位" in plain.get_body(("plain",)).get_content()
    # no 通知 went out by email, so the 提醒 carries the form
    assert [a.get_filename() for a in plain.iter_attachments()] == [
        "2024Q1_区科技经信局_进展情况表.xlsx"
    ]
    assert plain["Subject"].startswith("【提醒】")
    assert summary.lines()[0].startswith("2024年第一季度（2024Q1） 提醒")
    assert any("其中 1 个单位的表格被退回" in line for line in summary.lines())


def test_the_reminder_after_a_notice_has_no_form_but_urge_and_overdue_carry_it(mail_app, server):
    handler = server()
    remind(mail_app, stage="通知", today=NOTICE_DAY)
    handler.messages.clear()
    reminder = remind(mail_app, today=REMIND_DAY)
    assert reminder.stage == "提醒" and reminder.sent == 50
    assert all(list(msg.iter_attachments()) == [] for _, _, msg in handler.messages)
    handler.messages.clear()
    summary = remind(mail_app, today=date(2024, 4, 7))  # the 调休 Sunday: 催报
    assert summary.stage == "催报" and summary.sent == 50
    overdue = remind(mail_app, today=date(2024, 4, 12))
    assert overdue.stage == "逾期" and overdue.sent == 50
    assert len(handler.messages) == 100
    for _, _, msg in handler.messages:
        unit = msg["To"].addresses[0].display_name.split()[0]
        form = mail_app.workspace.form_path(PERIOD, unit)
        (att,) = list(msg.iter_attachments())
        assert att.get_filename() == form.name == f"2024Q1_{unit}_进展情况表.xlsx"
        assert att.get_content() == form.read_bytes()
        body = msg.get_body(("plain",)).get_content()
        assert "你单位的表格再次附上。" in body and form.name not in body
        assert "填好的表格和盖章扫描件作为附件" in body
    assert handler.messages[0][2]["Subject"].startswith("【催报】")
    body = handler.messages[-1][2].get_body(("plain",)).get_content()
    assert handler.messages[-1][2]["Subject"].startswith("【逾期】")
    assert "已逾期 4 个工作日" in body


def test_the_notice_uses_the_forms_words_and_ends_with_the_contact(mail_app, server):
    handler = server()
    mail_app.settings.forms.contact = "区督查考核办 王某 0552-1234567"
    remind(mail_app, stage="通知", today=NOTICE_DAY)
    msg = handler.by_rcpt()[unit_email(mail_app, "区发改委")]
    body = msg.get_body(("plain",)).get_content()
    lines = [line.strip("\u3000 ") for line in body.splitlines() if line.strip()]
    assert "本季度工作进展、累计完成进度（%）、推进状态、存在问题和下步打算" in body
    assert "主要推进情况" not in body
    assert "盖章扫描件（打印盖章后扫描或拍照的 PDF/图片）与 Excel 文件一并报送" in body
    assert "主要领导审核签字、加盖单位公章" in body
    assert "上季度报送情况" not in body  # a Q1 form has no reference column
    assert "填法见表中“填报说明”。\n\n" in body  # paragraphs stay apart
    assert lines[-3:] == ["联系人：区督查考核办 王某 0552-1234567", "区督查考核办", "2024年3月29日"]


def test_from_the_second_quarter_the_notice_names_the_reference_column(app):
    """Only to a unit whose form shows it: Q1 merged, and the unit had an accepted answer."""
    from test_report import sample_result

    from reporting.core.calendar import period_calendar
    from reporting.core.messages import MAIL_TEMPLATES, render_message
    from reporting.core.periods import Period
    from reporting.notify.context import message_context, unit_context, units_with_reference
    from reporting.notify.recipients import Recipient

    q2 = Period(2024, 2)
    cal = period_calendar(q2, app.settings.deadline)
    base = message_context(app.settings, cal, "通知", date(2024, 6, 28))

    def body(unit: str) -> str:
        rec = Recipient(unit, lead_count=3)
        return render_message(
            app.settings.templates_dir, MAIL_TEMPLATES["通知"], unit_context(base, rec, "x.xlsx")
        ).body

    mention = (
        "表中浅黄色的“上季度报送情况（供参考）”列（已锁定）列出你单位2024年第一季度已采纳的报送内容"
    )
    base["reference_units"] = units_with_reference(app.workspace, q2)
    assert base["reference_units"] == frozenset()  # Q1 never merged: the column is hidden
    assert "上季度报送情况" not in body("区发改委")

    q1 = sample_result(app)
    path = app.workspace.merged_json(Period(2024, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(q1.to_json(), encoding="utf-8")
    answered = {a.unit for r in q1.rows for a in (*r.lead_reports, *r.coop_feedback)}
    base["reference_units"] = units_with_reference(app.workspace, q2)
    assert base["reference_units"] == answered and "区发改委" in answered
    silent = next(u for u in app.assignments.by_unit if u not in answered)
    assert mention in body("区发改委") and "上季度报送情况" not in body(silent)
    assert "本季度各项请按本季度末的实际情况重新填写。\n\n" in body("区发改委")
    assert "联系人：区督查考核办\n" in body("区发改委")  # [forms] contact empty: the office


def test_dry_run_shows_the_plan_and_records_nothing(mail_app, server):
    handler = server()
    summary = remind(mail_app, today=NOTICE_DAY, dry_run=True)
    assert handler.messages == [] and sends(mail_app) == []
    assert summary.count("planned") == 50
    text = "\n".join(summary.lines())
    assert "【演练】" in text
    assert "区发改委 → unit01@yuhui.example：2024年第一季度" in text
    assert "附件 2024Q1_区发改委_进展情况表.xlsx" in text


def test_cc_from_the_registry_and_settings(mail_app, server):
    handler = server()
    units = mail_app.registry.units
    units["区发改委"] = dataclasses.replace(units["区发改委"], cc="leader1@yuhui.example")
    mail_app.settings.smtp.cc = ["archive@yuhui.example"]
    remind(mail_app, today=NOTICE_DAY)
    first = [m for _, rcpts, m in handler.messages if "unit01@yuhui.example" in rcpts][0]
    assert [a.addr_spec for a in first["Cc"].addresses] == [
        "leader1@yuhui.example",
        "archive@yuhui.example",
    ]
    rcpts = [r for _, r, m in handler.messages if m is first][0]
    assert set(rcpts) == {"unit01@yuhui.example", "leader1@yuhui.example", "archive@yuhui.example"}


# -- security -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


def _tls(ca):
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    return server_ctx, client_ctx


class Logins:
    def __init__(self, password: bytes):
        self.password = password
        self.seen: list[tuple[str, bytes]] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        self.seen.append((mechanism, auth_data.login))
        ok = auth_data.login == b"duban" and auth_data.password == self.password
        return AuthResult(success=ok, handled=False)


def auth_server(server, ca, logins: Logins, **extra):
    """A STARTTLS server that requires a login (``logins`` checks it): (handler, client ctx)."""
    server_ctx, client_ctx = _tls(ca)
    handler = server(
        tls_context=server_ctx,
        require_starttls=True,
        authenticator=logins,
        auth_required=True,
        auth_require_tls=True,
        **extra,
    )
    return handler, client_ctx


def test_starttls_with_auth(mail_app, server, ca, monkeypatch):
    logins = Logins(b"s3cret")
    handler, client_ctx = auth_server(server, ca, logins)
    s = mail_app.settings.smtp
    s.security, s.user = "starttls", "duban"
    mail_app.settings.secrets.smtp_password = "s3cret"  # as if from DUBAN_SMTP_PASSWORD
    summary = remind(mail_app, today=NOTICE_DAY, ssl_context=client_ctx)
    assert summary.sent == 50, summary.lines()
    assert len(handler.messages) == 50
    assert logins.seen and all(login == b"duban" for _, login in logins.seen)
    assert len(logins.seen) == 1  # one connection for the whole run


def test_certificate_is_verified(mail_app, server, ca):
    server_ctx, _ = _tls(ca)
    handler = server(tls_context=server_ctx, require_starttls=True)
    mail_app.settings.smtp.security = "starttls"
    waits = Waits()
    summary = remind(
        mail_app, today=NOTICE_DAY, sleep=waits
    )  # default context: the test CA is unknown
    assert summary.sent == 0 and summary.failed == 50
    assert handler.messages == [] and waits.calls == []
    text = "\n".join(summary.lines())
    assert "证书验证失败" in text


def test_wrong_password_fails_without_retries(mail_app, server, ca, monkeypatch):
    server_ctx, client_ctx = _tls(ca)
    server(
        tls_context=server_ctx,
        require_starttls=True,
        authenticator=Logins(b"right"),
        auth_require_tls=True,
    )
    s = mail_app.settings.smtp
    s.security, s.user = "starttls", "duban"
    mail_app.settings.secrets.smtp_password = "wrong"
    waits = Waits()
    summary = remind(mail_app, today=NOTICE_DAY, ssl_context=client_ctx, sleep=waits)
    assert summary.failed == 50 and waits.calls == []
    assert "拒绝登录" in summary.outcomes[0].detail
    assert "DUBAN_SMTP_PASSWORD" in summary.outcomes[0].detail
    assert "wrong" not in "\n".join(summary.lines())


def test_user_without_password_is_refused_before_sending(mail_app, monkeypatch):
    assert mail_app.settings.secrets.smtp_password == ""
    mail_app.settings.smtp.user = "duban"
    with pytest.raises(NotifyError, match="DUBAN_SMTP_PASSWORD"):
        remind(mail_app, today=NOTICE_DAY)
    assert sends(mail_app) == []


def test_implicit_tls(mail_app, server, ca):
    server_ctx, client_ctx = _tls(ca)
    handler = server(ssl_context=server_ctx)
    mail_app.settings.smtp.security = "ssl"
    summary = remind(mail_app, today=NOTICE_DAY, ssl_context=client_ctx)
    assert summary.sent == 50 and len(handler.messages) == 50


# -- failures ---------------------------------------------------------------------------------
def test_server_down_then_slow_then_rejecting_one_recipient(mail_app, server):
    # 1. nothing listens: retried with backoff, then every unit recorded as failed
    waits = Waits()
    down = remind(mail_app, today=NOTICE_DAY, sleep=waits)
    assert down.sent == 0 and down.failed == 50
    assert waits.calls == [1.0, 2.0]  # retries = 2, backoff = 1 s, doubling
    first = down.outcomes[0]
    assert first.attempts == 3 and "无法连接" in first.detail
    assert all("未尝试" in o.detail for o in down.outcomes[1:])
    rows = sends(mail_app)
    assert len(rows) == 50 and {r["result"] for r in rows} == {"failed"}
    assert rows[0]["attempts"] == 3
    assert any("发送失败" in line for line in down.lines())

    # 2. the server answers, but too slowly: a timeout, still failed, never marked sent
    mail_app.settings.smtp.timeout = 0.3
    mail_app.settings.smtp.retries = 1
    handler = server(Handler(delay=2.0))
    slow = remind(mail_app, today=NOTICE_DAY)
    assert slow.sent == 0 and slow.failed == 50
    assert "秒内没有响应" in slow.outcomes[0].detail
    assert slow.outcomes[0].attempts == 2
    with_result = {r["result"] for r in sends(mail_app)}
    assert with_result == {"failed"}

    # 3. a healthy server refusing one mailbox: the others arrive, that one is failed
    handler.delay = 0
    mail_app.settings.smtp.timeout = 5
    handler.reject = {unit_email(mail_app, "区财政局")}
    handler.messages.clear()
    waits = Waits()
    ok = remind(mail_app, today=NOTICE_DAY, sleep=waits)
    assert ok.sent == 49 and ok.failed == 1
    assert waits.calls == []  # a permanent refusal is not retried
    bad = [o for o in ok.outcomes if o.result == "failed"][0]
    assert bad.unit == "区财政局" and "收件人被拒收" in bad.detail and "550" in bad.detail
    assert unit_email(mail_app, "区财政局") not in handler.by_rcpt()
    assert any(line.startswith("  失败：区财政局") for line in ok.lines())

    # 4. once the mailbox works, only that unit is sent
    handler.reject = set()
    handler.messages.clear()
    last = remind(mail_app, today=NOTICE_DAY)
    assert last.sent == 1 and last.count("already") == 49
    assert list(handler.by_rcpt()) == [unit_email(mail_app, "区财政局")]


def test_a_refused_cc_does_not_fail_the_unit(mail_app, server):
    units = mail_app.registry.units
    units["区发改委"] = dataclasses.replace(units["区发改委"], cc="gone@yuhui.example")
    server(Handler(reject={"gone@yuhui.example"}))
    summary = remind(mail_app, today=NOTICE_DAY)
    assert summary.sent == 50
    assert any("抄送 gone@yuhui.example 被拒收" in note for note in summary.notes)


# -- bad data never reaches a header ---------------------------------------------------------------
def test_header_injection_is_cleaned_or_refused(mail_app, server):
    handler = server()
    units = mail_app.registry.units
    units["区发改委"] = dataclasses.replace(
        units["区发改委"], contact="张三\r\nBcc: evil@attacker.example"
    )
    units["区财政局"] = dataclasses.replace(
        units["区财政局"], email="unit07@yuhui.example\nBcc: evil@attacker.example"
    )
    units["区教体局"] = dataclasses.replace(units["区教体局"], email="")
    summary = remind(mail_app, today=NOTICE_DAY)
    assert summary.sent == 48 and summary.failed == 2
    for _, rcpts, msg in handler.messages:
        assert "evil@attacker.example" not in rcpts
        assert msg["Bcc"] is None
    msg = handler.by_rcpt()["unit01@yuhui.example"]
    assert "\n" not in msg["To"].addresses[0].display_name
    details = {o.unit: o.detail for o in summary.outcomes if o.result == "failed"}
    assert "格式不对" in details["区财政局"]
    assert "没有登记邮箱" in details["区教体局"]


def test_mailer_helpers():
    assert clean_header("a\r\nBcc: x@y.z\u2028b") == "a Bcc: x@y.z b"
    assert parse_addresses("a@x.cn; b@y.cn，a@x.cn") == ["a@x.cn", "b@y.cn"]
    with pytest.raises(NotifyError, match="格式不对"):
        parse_addresses("not-an-address")
    header = content_disposition(
        "2024Q1_区招商和经济发展服务中心_进展情况表.xlsx", "2024Q1_form.xlsx"
    )
    assert all(len(line) <= 78 for line in header.splitlines())
    assert content_disposition("plain.xlsx", "x.xlsx") == 'attachment; filename="plain.xlsx"'
    for build in (build_message, message_bytes):
        with pytest.raises(NotifyError):
            build(
                OutgoingMail(to=[("x", "a@b.cn\nBcc: c@d.cn")], subject="s", body="b"),
                sender=SENDER,
                sender_display="x",
                date=NOW,
            )


# -- outbox, templates, CLI ---------------------------------------------------------------------------
def test_outbox_writes_eml_files_instead_of_sending(mail_app, tmp_path):
    s = mail_app.settings.smtp
    s.host, s.sender, s.outbox = "", "", tmp_path / "outbox"
    summary = remind(mail_app, today=NOTICE_DAY)
    files = sorted(s.outbox.glob("*.eml"))
    assert summary.sent == 50 and len(files) == 50
    msg = email.message_from_bytes(
        (s.outbox / "2024Q1_通知_区发改委.eml").read_bytes(), policy=policy.default
    )
    assert msg["To"].addresses[0].addr_spec == "unit01@yuhui.example"
    (att,) = list(msg.iter_attachments())
    assert att.get_content() == mail_app.workspace.form_path(PERIOD, "区发改委").read_bytes()


def test_no_forms_for_the_notice(app):
    s = app.settings.smtp
    s.host, s.sender = "127.0.0.1", SENDER
    with pytest.raises(NotifyError, match="duban forms --period 2024Q1"):
        remind(app, today=NOTICE_DAY)


def test_some_forms_missing_are_reported(mail_app, server):
    handler = server()
    mail_app.workspace.form_path(PERIOD, "区发改委").unlink()
    summary = remind(mail_app, today=NOTICE_DAY)
    assert summary.sent == 49 and len(handler.messages) == 49
    assert any("区发改委" in n and "duban forms" in n for n in summary.notes)


def test_template_error_stops_before_anything_is_sent(mail_app, server, tmp_path, root):
    handler = server()
    templates = tmp_path / "templates"
    templates.mkdir()
    for f in (root / "templates").glob("*.j2"):
        (templates / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    (templates / "mail_notice.txt.j2").write_text(
        "主题 {{ unit }}\n\n{{ no_such_thing }}\n", encoding="utf-8"
    )
    mail_app.settings.paths.templates = templates
    with pytest.raises(NotifyError, match="no_such_thing") as err:
        remind(mail_app, today=NOTICE_DAY)
    assert "可用的变量" in str(err.value) and "deadline" in str(err.value)
    assert handler.messages == [] and sends(mail_app) == []


def test_before_the_notice_day_auto_does_nothing(mail_app, server):
    handler = server()
    summary = remind(mail_app, today=date(2024, 3, 20))
    assert summary.stage is None and handler.messages == []
    assert "还没到" in "\n".join(summary.lines())


def test_remind_command(duban, data_dir, forms_source, monkeypatch):
    port = free_port()
    handler = Handler()
    ctrl = Controller(handler, hostname="127.0.0.1", port=port)
    ctrl.start()
    try:
        Ledger(data_dir / "ledger.sqlite").close()  # the ledger first, as when forms are built
        shutil_target = data_dir / str(PERIOD) / "forms"
        __import__("shutil").copytree(forms_source, shutil_target)
        r = duban("remind", "--period", "2024Q1", "--stage", "通知")
        assert r.code == 1 and "没有配置邮件服务器" in r.err
        for key, value in {
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "SECURITY": "none",
            "SENDER": SENDER,
        }.items():
            monkeypatch.setenv(f"DUBAN_SMTP_{key}", value)
        dry = duban("remind", "--period", "2024Q1", "--stage", "通知", "--dry-run")
        assert dry.code == 0 and "【演练】" in dry.out and handler.messages == []
        r = duban("remind", "--period", "2024年第一季度", "--stage", "通知")
        assert r.code == 0, r.output
        assert "邮件：已发送 50" in r.out
        assert len(handler.messages) == 50
        again = duban("remind", "--period", "2024Q1", "--today", "2024-03-29")
        assert again.code == 0 and "此前已发送 50" in again.out
    finally:
        ctrl.stop()
    help_text = duban("remind", "--help")
    assert "示例" in help_text.out and "DUBAN_SMTP_PASSWORD" in help_text.out


def test_every_template_variable_is_documented(app, root):
    from reporting.core.calendar import period_calendar
    from reporting.notify.context import message_context, unit_context
    from reporting.notify.recipients import Recipient

    cal = period_calendar(PERIOD, app.settings.deadline)
    ctx = unit_context(
        message_context(app.settings, cal, "提醒", REMIND_DAY), Recipient("区发改委"), ""
    )
    doc = (root / "docs" / "reminders.md").read_text(encoding="utf-8")
    missing = [key for key in ctx if f"`{key}`" not in doc]
    assert not missing, f"document these template variables in docs/reminders.md: {missing}"


def test_a_notice_sent_after_the_deadline_says_it_has_passed(mail_app, server):
    handler = server()
    remind(mail_app, stage="通知", today=date(2024, 4, 10))  # 2 working days after 4月8日
    msg = handler.by_rcpt()[unit_email(mail_app, "区发改委")]
    assert (
        msg["Subject"]
        == "2024年第一季度《政府工作报告》重点任务推进情况表（报送截止时间已过，请尽快报送）"
    )
    body = msg.get_body(("plain",)).get_content()
    assert "报送截止时间 2024年4月8日 星期一 17:30 已过（已逾期 2 个工作日），请收到后尽快" in body
    assert "请于 2024年4月8日" not in body


def test_a_send_in_flight_when_its_process_died_is_not_resent_until_the_office_says(
    mail_app, server
):
    import socket
    import subprocess

    from reporting.intake.status import period_status

    handler = server()
    gone = subprocess.Popen(["true"])  # a process that claimed the 通知, then died sending
    gone.wait()
    with Ledger(mail_app.workspace.ledger_path) as ledger:
        claim = ledger.claim_send(
            PERIOD, "区发改委", "通知", "email", at="2024-03-29T09:00:00+08:00"
        )
        message_id = ledger.claim_message_id(claim)
        ledger.conn.execute(
            "UPDATE send_claims SET owner = ? WHERE id = ?",
            (f"{gone.pid}:@{socket.gethostname()}", claim),
        )
    summary = remind(mail_app, today=NOTICE_DAY)
    assert summary.sent == 49 and summary.count("uncertain") == 1
    assert unit_email(mail_app, "区发改委") not in handler.by_rcpt()
    assert "邮件：已发送 49，可能已发出 1" in summary.lines()
    assert any(line.startswith("  可能已发出：区发改委：") for line in summary.lines())
    with Ledger(mail_app.workspace.ledger_path) as ledger:
        status = period_status(mail_app.settings, mail_app.assignments, ledger, PERIOD, now=NOW)
    assert [u["unit"] for u in status.uncertain] == ["区发改委"]
    assert any("可能已发出（发送时程序中断，未重发）：区发改委 的通知" in x for x in status.lines())
    assert remind(mail_app, today=NOTICE_DAY).sent == 0  # a rerun still leaves it alone

    again = remind(mail_app, today=NOTICE_DAY, resend_uncertain=True)
    assert again.sent == 1 and len(handler.messages) == 50
    msg = handler.by_rcpt()[unit_email(mail_app, "区发改委")]
    assert msg["Message-ID"] == f"<{message_id}@{SENDER.split('@')[1]}>"  # the same mail
    with Ledger(mail_app.workspace.ledger_path) as ledger:
        assert ledger.uncertain_sends(PERIOD) == []


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_a_password_in_chinese_characters_logs_in(mail_app, server, ca, mechanism):
    """smtplib encodes AUTH as ASCII (UnicodeEncodeError); duban sends it as UTF-8."""
    password = "督办口令2024"
    logins = Logins(password.encode("utf-8"))
    other = ["PLAIN"] if mechanism == "LOGIN" else ["LOGIN"]
    handler, client_ctx = auth_server(server, ca, logins, auth_exclude_mechanism=other)
    s = mail_app.settings.smtp
    s.security, s.user = "starttls", "duban"
    mail_app.settings.secrets.smtp_password = password
    summary = remind(mail_app, today=NOTICE_DAY, ssl_context=client_ctx)
    assert summary.sent == 50, summary.lines()
    assert len(handler.messages) == 50
    assert [m for m, _ in logins.seen] == [mechanism]
    mail_app.settings.secrets.smtp_password = "错误口令"
    with Ledger(mail_app.workspace.ledger_path) as ledger:
        ledger.conn.execute("DELETE FROM send_claims")
        ledger.conn.execute("DELETE FROM sends")
    wrong = remind(mail_app, today=NOTICE_DAY, ssl_context=client_ctx)
    assert wrong.sent == 0 and "拒绝登录" in wrong.outcomes[0].detail


def test_messages_are_folded_as_the_default_policy_folds_them(tmp_path):
    """build_message folds each distinct header once per process (``FoldOncePolicy``): the
    bytes of every message, the first and the ones served from the cache, are those the
    email package's default policy writes for it."""
    from datetime import datetime

    form = tmp_path / "表.xlsx"
    form.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 40)
    sent = []
    for i in (1, 2, 1):
        mail = OutgoingMail(
            to=[(f"测试单位{i:04d}（“办公室”）", f"unit{i}@example.org")],
            subject="2024年第一季度《政府工作报告》重点任务推进情况表（请于4月8日17:30前报送）",
            body="各单位：\n　　请填写附件。" * 20,
            cc=["office@example.org"],
            attachment=form,
            attachment_name=f"2024Q1_测试单位{i:04d}_进展情况表.xlsx",
            fallback_name="form.xlsx",
            message_id=f"duban.{i}.abc",
        )
        msg = build_message(
            mail,
            sender="duban@example.org",
            sender_display="禹会区督查考核办",
            date=datetime(2024, 3, 29, 9, 0, tzinfo=NOW.tzinfo),
        )
        assert msg.as_bytes() == msg.as_bytes(policy=policy.default)
        sent.append(msg.as_bytes())
    assert b"unit1@example.org" in sent[0] and b"unit2@example.org" in sent[1]


def test_messages_are_written_byte_for_byte_as_the_email_package_writes_them(tmp_path):
    """``message_bytes`` writes a message directly; each variant (recipients, Cc, names and
    subjects plain, Chinese, quoted or long, bodies with CRLF and long lines, no, one or two
    attachments of every kind and size) gives the bytes the email package writes for the
    message ``build_message`` builds: an .eml file's (LF), and what smtplib's
    ``send_message`` sends (CRLF), with the same multipart boundary."""
    import copy
    import io
    import itertools
    from datetime import datetime
    from email.generator import BytesGenerator

    files = {}
    for name, size in (("表.xlsx", 20000), ("通报.pdf", 57 * 30), ("x.bin", 1), ("e.docx", 0)):
        files[name] = tmp_path / name
        files[name].write_bytes(bytes((i * 7) % 256 for i in range(size)))
    recipients = [
        [("测试单位0001（“办公室”） 联络员", "unit1@example.org")],
        [("Office", "a@example.org"), ("区发改委 张三", "b@example.org")],
        [('say "hi"', "c@example.org")],
    ]
    subjects = [
        "2024年第一季度《政府工作报告》重点任务推进情况表（请于4月8日17:30前报送）",
        "Plain subject",
        "【配合单位反馈】" + "很长的主题" * 30,
    ]
    bodies = ["各单位：\n　　请填写附件。" * 20, "line one\r\nline two\r\n\r\nend", "x" * 200]
    attachments = [
        [],
        [(files["表.xlsx"], "2024Q1_区招商和经济发展服务中心_进展情况表.xlsx", "form.xlsx")],
        [(files["通报.pdf"], "plain.pdf", "b.pdf"), (files["x.bin"], "数据.bin", "")],
        [(files["e.docx"], "督办单.docx", "order.docx"), (files["表.xlsx"], "a.xlsx", "a.xlsx")],
    ]
    variants = itertools.product(recipients, [[], ["cc@example.org", "d@example.org"]], subjects)
    checked = 0
    for i, ((to, cc, subject), body, more) in enumerate(
        zip(variants, itertools.cycle(bodies), itertools.cycle(attachments), strict=False)
    ):
        mail = OutgoingMail(
            to=to, cc=cc, subject=subject, body=body, more=more, message_id=f"duban.{i}.abc"
        )
        args = dict(sender=SENDER, sender_display="禹会区督查考核办", date=NOW)
        if i % 5 == 4:
            args["date"] = datetime(2024, 12, 31, 23, 59, 59, tzinfo=NOW.tzinfo)
        msg = build_message(mail, **args)
        want = msg.as_bytes()
        boundary = msg.get_boundary()  # chosen by the generator, now set on the message
        assert (boundary is None) == (not more)
        assert message_bytes(mail, **args, boundary=boundary) == (
            f"<duban.{i}.abc@yuhui.example>",
            want,
        )
        smtp = io.BytesIO()
        BytesGenerator(smtp).flatten(copy.copy(msg), linesep="\r\n")  # as send_message does
        got = message_bytes(mail, **args, linesep="\r\n", boundary=boundary)[1]
        assert got == smtp.getvalue()
        checked += 1
    assert checked == 18
    # a boundary of its own: random, as the generator's, and the message reads back whole
    mail = OutgoingMail(to=recipients[0], subject="s", body="b", more=attachments[2])
    _, one = message_bytes(mail, sender=SENDER, sender_display="x", date=NOW)
    _, two = message_bytes(mail, sender=SENDER, sender_display="x", date=NOW)
    assert one != two
    parsed = email.message_from_bytes(one, policy=policy.default)
    got = [(p.get_filename(), p.get_content()) for p in parsed.iter_attachments()]
    assert got == [("plain.pdf", files["通报.pdf"].read_bytes()), ("数据.bin", b"\x00")]


@pytest.mark.parametrize("linesep", ["\n", "\r\n"])
def test_a_messages_own_headers_are_written_as_the_email_package_folds_them(linesep):
    """The Message-ID and the multipart Content-Type, written directly when plain and short,
    are the bytes the email package folds for them: every length up to and past one line,
    and ones it must fold or parse (long, other characters)."""
    from email.policy import EmailPolicy

    from reporting.notify.mailer import POLICY, _fresh

    policy = POLICY.clone(linesep=linesep)
    values = []
    for n in range(1, 90):
        values.append(("Message-ID", f"<duban.{n}.{'a' * n}@yuhui.example>"))
        values.append(("Message-ID", f"<{'1' * n}.{n}.x@{'d' * n}.example.gov.cn>"))
        values.append(("Content-Type", f'multipart/mixed; boundary="{"=" * n}{n:019d}=="'))
        values.append(("Content-Type", f'multipart/mixed; boundary="{"=" * 15}{n:019d}==.{n}"'))
    values += [
        ("Message-ID", "<a b@example.org>"),
        ("Message-ID", "<a.b+c@example.org>"),
        ("Message-ID", "no-brackets@example.org"),
        ("Content-Type", 'multipart/mixed; boundary="===abc=="'),
        ("Content-Type", "multipart/mixed; boundary======1=="),
    ]
    for name, value in values:
        want = EmailPolicy.fold_binary(policy, name, policy.header_store_parse(name, value)[1])
        assert _fresh(policy, name, value) == want, value
