"""Returns that arrive as saved emails (.eml): real messages built with ``EmailMessage``,
put in the inbox, taken in by ``collect()``; provenance, ``Date:`` as received time,
scans, mails without a form, refused mails, reruns and ``duban status``."""

from __future__ import annotations

import io
import os
from base64 import b64encode
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from conftest import ROOT
from test_intake_support import PERIOD, UNIT, fill, make_forms, valid_answers

from jobs.app import create_app
from reporting.core.calendar import TZ, period_calendar
from reporting.core.fileutil import sha256_file
from reporting.core.ledger import Ledger
from reporting.core.model import QuarterResult
from reporting.documents.sniff import Limits
from reporting.intake.mailbox import is_message, read_message
from reporting.intake.status import period_status
from reporting.merge.collect_merge import collect_and_merge as collect

NOW = datetime(2024, 4, 20, 9, 0, tzinfo=TZ)
DEADLINE = period_calendar(
    PERIOD, create_app(ROOT / "config.toml", env={}).settings.deadline
).deadline
SENT = datetime(2024, 4, 3, 10, 15, tzinfo=TZ)  # before the deadline (2024-04-08 17:30)
SUBJECT = "回复：关于报送2024年第一季度重点任务推进情况的通知"
SENDER = "区发改委 张三 <fgw@example.gov.cn>"
XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


TRUSTED = "yuhui.gov.cn"  # the office's mail domain: its servers' Received: count


@pytest.fixture
def setup(app):
    forms = make_forms(app, [UNIT, "长青乡", "区人社局"])
    # the units write from these addresses (beside units.csv); the office's server is trusted
    app.settings.intake.senders = {UNIT: ["fgw@example.gov.cn"], "长青乡": ["cq@example.gov.cn"]}
    app.settings.intake.trusted_hosts = [TRUSTED]
    return app, forms, app.workspace.inbox_dir(PERIOD)


def filled(app, forms, tmp_path, unit=UNIT, name=None, answers=None):
    """A filled form's bytes, as the unit saved it."""
    answers = answers or valid_answers(app, unit)
    path = fill(forms[unit], tmp_path / (name or f"{unit}-{len(answers)}.xlsx"), answers)
    return path.read_bytes(), answers


def message(
    attachments=(),
    *,
    subject=SUBJECT,
    sender=SENDER,
    date: datetime | None = SENT,
    body="附件是我单位一季度的进展情况表，请查收。",
    logo=False,
    arrived: datetime | None | str = "date",
) -> EmailMessage:
    """A reply as a mail client sends it; ``attachments`` are (file name, bytes, (type, subtype)).
    ``arrived``: when the office's server received it (its ``Received:``; default the
    ``Date:``; None: no trusted ``Received:``)."""
    m = EmailMessage()
    arrived = date if arrived == "date" else arrived
    if arrived is not None:
        m["Received"] = (
            f"from mail.example.gov.cn (mail.example.gov.cn [10.0.0.9]) by mx1.{TRUSTED}"
            f" with ESMTPS id 4Vx; {format_datetime(arrived)}"
        )
    m["Subject"] = subject
    m["From"] = sender
    m["To"] = "区督查考核办 <dcb@example.gov.cn>"
    if date is not None:
        m["Date"] = format_datetime(date)
    m["Message-ID"] = "<20240403101500.1234@example.gov.cn>"
    m.set_content(body)
    if logo:  # an HTML body showing the sender's logo, and an S/MIME signature
        m.add_alternative(f"<p>{body}</p><img src='cid:logo@fgw'>", subtype="html")
        m.get_body(("html",)).add_related(
            PNG, "image", "png", cid="<logo@fgw>", filename="image001.png"
        )
    for name, data, (maintype, subtype) in attachments:
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    if logo:
        m.add_attachment(
            b"0\x82\x01\x00",
            maintype="application",
            subtype="pkcs7-signature",
            filename="smime.p7s",
        )
    return m


def save(m: EmailMessage, path, when: datetime = NOW - timedelta(days=1), crlf=True):
    """Save a mail the way a mail client does (CRLF line ends) and set its file time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(m.as_bytes(policy=policy.SMTP if crlf else policy.default))
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


def run(app, now=NOW):
    return collect(app.settings, app.assignments, app.workspace, PERIOD, now=now)


def source(filename, subject=SUBJECT, sender=SENDER, when="2024年4月3日 10:15"):
    return f"邮件“{subject}”（{sender}，{when}）的附件 {filename}"


def check_values(app, unit, answers):
    rows = {r.id: r for r in QuarterResult.load(app.workspace.merged_json(PERIOD)).rows}
    for (role, tid), a in answers.items():
        got = rows[tid].lead_reports if role == "lead" else rows[tid].coop_feedback
        (mine,) = [x for x in got if x.unit == unit]
        assert mine.progress == a["progress"]
        if role == "lead":
            assert mine.percent == a["percent"] and mine.status == a["status"]
            assert mine.indicators == {k: float(v) for k, v in a["indicators"].items()}


def test_a_reply_with_the_form_is_accepted_from_the_mail(setup, tmp_path):
    app, forms, inbox = setup
    data, answers = filled(app, forms, tmp_path)
    name = "2024Q1_区发改委_进展情况表.xlsx"
    m = message([(name, data, XLSX)], logo=True)
    # saved into the inbox after the deadline: the mail was sent before it, so on time
    eml = save(m, inbox / "邮件" / "回复.eml", when=DEADLINE + timedelta(days=3))
    raw = eml.read_bytes()
    assert b"filename*=utf-8''" in raw or b"filename*0*=utf-8''" in raw  # RFC 2231 name

    s = run(app)

    (f,) = s.new
    assert (f.state, f.unit, f.late) == ("accepted", UNIT, False), f.problems
    assert f.source == source(name)
    assert f.received_at == "2024-04-03T10:15:00+08:00"
    assert s.attachments == [] and s.mails == ["邮件/回复.eml"]  # no logo, no signature
    assert eml.read_bytes() == raw  # the received file is untouched
    check_values(app, UNIT, answers)
    with Ledger(app.workspace.ledger_path) as ledger:
        files = {r["sha256"]: r for r in ledger.conn.execute("SELECT * FROM files")}
        (ret,) = ledger.returns(PERIOD)
        assert ret["source"] == source(name) and ret["late"] == 0
        assert ret["identified_by"] == "hidden_sheet"
    # both the mail and the form it carried are archived byte for byte and in `files`
    mail_sha, form_sha = sha256_file(eml), ret["sha256"]
    assert set(files) == {mail_sha, form_sha}
    assert files[mail_sha]["source"] == "邮件/回复.eml"
    assert files[mail_sha]["received_at"] == "2024-04-03T10:15:00+08:00"
    for sha, content in ((mail_sha, raw), (form_sha, data)):
        archived = (
            app.workspace.archive_dir / sha[:2] / os.path.basename(files[sha]["archive_path"])
        )
        assert archived.read_bytes() == content
    assert files[form_sha]["archive_path"].endswith(".xlsx")
    lines = "\n".join(s.lines())
    assert f"接收 {UNIT}：{source(name)}" in lines and "读取保存的邮件（.eml）1 封" in lines


@pytest.mark.parametrize(
    "date, arrived, saved, late, received",
    [
        # arrived at our server after the deadline, back-dated Date: late all the same
        (DEADLINE - timedelta(days=2), DEADLINE + timedelta(hours=2), NOW, True, "server"),
        # arrived before the deadline, saved into the inbox a week later: on time
        (DEADLINE - timedelta(hours=1), DEADLINE - timedelta(hours=1), NOW, False, "server"),
        # a Date: later than the arrival (forged, or a wrong clock) decides nothing
        (NOW + timedelta(days=30), DEADLINE - timedelta(days=1), NOW, False, "server"),
        # no Received: of ours: when the file came into the inbox, whatever Date: says
        (DEADLINE - timedelta(days=3), None, DEADLINE + timedelta(days=1), True, "file"),
        (None, None, DEADLINE - timedelta(days=1), False, "file"),
    ],
)
def test_lateness_follows_our_receipt_time_not_the_date_header(
    setup, tmp_path, date, arrived, saved, late, received
):
    app, forms, inbox = setup
    data, _ = filled(app, forms, tmp_path)
    m = message([("进展情况表.xlsx", data, XLSX)], date=date, arrived=arrived)
    save(m, inbox / "r.eml", when=saved)
    s = run(app)
    (f,) = s.new
    expected = arrived if received == "server" else saved
    assert (f.state, f.late) == ("accepted", late)
    assert f.received_at == expected.astimezone(TZ).isoformat(timespec="seconds")
    when = "" if date is None else f"，{date.year}年{date.month}月{date.day}日 {date:%H:%M}"
    assert f.source == f"邮件“{SUBJECT}”（{SENDER}{when}）的附件 进展情况表.xlsx"
    # a Date: far before our receipt is pointed out; a later one is simply not used
    noted = [n for n in s.mail_notes if "自称发送于" in n]
    assert bool(noted) == (date is not None and date < expected - timedelta(days=1))


def test_a_received_header_from_a_foreign_server_decides_nothing(setup, tmp_path):
    app, forms, inbox = setup
    data, _ = filled(app, forms, tmp_path)
    m = message([("进展情况表.xlsx", data, XLSX)], arrived=None)
    # the sender can write any Received: it likes, but not one from our servers' names
    m["Received"] = f"from x by mx.{TRUSTED}.evil.example; {format_datetime(SENT)}"
    save(m, inbox / "r.eml", when=DEADLINE + timedelta(days=1))
    (f,) = run(app).new
    assert f.late and f.received_at == (DEADLINE + timedelta(days=1)).isoformat()


def test_a_receipt_time_already_in_the_ledger_decides(setup, tmp_path):
    """A time the ledger holds for the mail (the server's arrival, recorded when it was
    fetched; or the first collect that saw it) wins over headers and file times."""
    app, forms, inbox = setup
    data, _ = filled(app, forms, tmp_path)
    eml = save(message([("a.xlsx", data, XLSX)]), inbox / "r.eml", when=NOW)
    fetched = DEADLINE - timedelta(minutes=5)
    with Ledger(app.workspace.ledger_path) as ledger:
        ledger.record_file(
            sha256_file(eml), eml.stat().st_size, "IMAP", fetched.isoformat(), str(eml)
        )
    (f,) = run(app).new
    assert (f.received_at, f.late) == (fetched.isoformat(), False)


def test_content_decides_not_the_extension(setup, tmp_path):
    app, forms, inbox = setup
    data, _ = filled(app, forms, tmp_path)
    save(message([("发改委.xlsx", data, XLSX)]), inbox / "renamed.txt", crlf=False)
    other, _ = filled(app, forms, tmp_path, unit="长青乡")
    (inbox / "长青乡.eml").write_bytes(other)  # a spreadsheet that was named .eml
    s = run(app)
    got = {f.unit: f.source for f in s.new}
    assert [f.state for f in s.new] == ["accepted", "accepted"]
    assert got == {UNIT: source("发改委.xlsx"), "长青乡": "长青乡.eml"}


def test_one_mail_with_two_units_forms(setup, tmp_path):
    app, forms, inbox = setup
    a_data, a_answers = filled(app, forms, tmp_path, unit="长青乡")
    b_data, b_answers = filled(app, forms, tmp_path, unit="区人社局")
    m = message(
        [("长青乡.xlsx", a_data, XLSX), ("区人社局.xlsx", b_data, XLSX)],
        subject="两个单位的进展情况表",
        sender="办公室 <office@example.gov.cn>",
    )
    for unit in ("长青乡", "区人社局"):  # an office that reports for both, registered for both
        app.settings.intake.senders[unit] = ["office@example.gov.cn"]
    save(m, inbox / "两份.eml")
    s = run(app)
    assert sorted((f.unit, f.state) for f in s.new) == [
        ("区人社局", "accepted"),
        ("长青乡", "accepted"),
    ]
    for f in s.new:
        assert f.source.startswith("邮件“两个单位的进展情况表”（办公室 <office@example.gov.cn>，")
    check_values(app, "长青乡", a_answers)
    check_values(app, "区人社局", b_answers)


def test_form_and_stamped_scan_in_one_mail(setup, tmp_path):
    app, forms, inbox = setup
    data, _ = filled(app, forms, tmp_path)
    m = message(
        [
            ("区发改委进展情况表.xlsx", data, XLSX),
            ("区发改委盖章件.pdf", PDF, ("application", "pdf")),
        ]
    )
    save(m, inbox / "a.eml")
    s = run(app)
    assert [(f.unit, f.state) for f in s.new] == [(UNIT, "accepted")]
    assert s.attachments == [(source("区发改委盖章件.pdf"), "PDF 文件", UNIT)]
    with Ledger(app.workspace.ledger_path) as ledger:
        (att,) = ledger.attachments(PERIOD)
        kept = ledger.file(att["sha256"])
        st = period_status(app.settings, app.assignments, ledger, PERIOD, now=NOW)
    assert att["received_at"] == "2024-04-03T10:15:00+08:00"
    assert (app.workspace.archive_dir / kept["archive_path"]).read_bytes() == PDF
    assert next(u for u in st.units if u.unit == UNIT).attachments == [source("区发改委盖章件.pdf")]


def test_a_scan_alone_is_kept_without_a_complaint(setup):
    app, forms, inbox = setup
    save(
        message([("盖章扫描件.jpg", b"\xff\xd8\xff\xe0" + bytes(40), ("image", "jpeg"))]),
        inbox / "s.eml",
    )
    s = run(app)
    assert s.new == [] and [kind for _, kind, _ in s.attachments] == ["图片"]


@pytest.mark.parametrize(
    "attachments, says",
    [
        ([], "没有附带进展情况表，请联系该单位重新发送"),
        (
            [("说明.txt", "本单位无新增进展。".encode(), ("text", "plain"))],
            "没有附带进展情况表（只附带了 说明.txt），请联系该单位重新发送",
        ),
    ],
)
def test_a_mail_without_a_form_is_unidentified_and_names_the_sender(
    setup, duban, attachments, says
):
    app, forms, inbox = setup
    save(message(attachments, body="收到，谢谢。", logo=True), inbox / "收到.eml")
    s = run(app)
    (f,) = s.new
    assert (f.state, f.unit, f.source) == ("unidentified", None, "收到.eml")
    expected = f"邮件“{SUBJECT}”（{SENDER}，2024年4月3日 10:15）{says}"
    assert [p.message for p in f.problems] == [expected]
    assert f.received_at == "2024-04-03T10:15:00+08:00"
    r = duban("status", "--period", "2024Q1")
    assert r.code == 0 and f"无法识别的文件：收到.eml（2024-04-03 10:15）：{expected}" in r.out
    assert "无法识别的文件 1 个" in r.out
    assert run(app).known == ["收到.eml"]  # recorded once


def test_broken_and_encrypted_attachments_get_their_own_message(setup, tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile

    app, forms, inbox = setup
    app.settings.intake.senders["长青乡"].append("fgw@example.gov.cn")  # one mail, both units
    data, _ = filled(app, forms, tmp_path)
    locked = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt("secret", locked)
    other, _ = filled(app, forms, tmp_path, unit="长青乡")
    m = message(
        [
            ("区发改委进展情况表.xlsx", locked.getvalue(), XLSX),
            ("长青乡进展情况表.xlsx", other[: len(other) // 2], XLSX),
        ]
    )
    save(m, inbox / "a.eml")
    s = run(app)
    by_unit = {f.unit: f for f in s.new}
    assert {u: f.state for u, f in by_unit.items()} == {UNIT: "rejected", "长青乡": "rejected"}
    (enc,) = [p.message for p in by_unit[UNIT].problems]
    assert enc.startswith(source("区发改委进展情况表.xlsx") + "：文件设置了打开密码（已加密）")
    (cut,) = [p.message for p in by_unit["长青乡"].problems]
    assert cut.startswith(source("长青乡进展情况表.xlsx") + "：文件不完整或已损坏")


def test_huge_and_many_part_mails_are_refused_clearly(tmp_path, setup):
    app, forms, inbox = setup
    small = create_app(
        ROOT / "config.toml", data_dir=tmp_path / "small", env={"DUBAN_INTAKE_MAX_FILE_MB": "0.2"}
    )
    big_inbox = small.workspace.inbox_dir(PERIOD)
    save(message([("大.xlsx", os.urandom(300_000), XLSX)]), big_inbox / "big.eml")
    (f,) = run(small).new
    assert (f.state, f.source) == ("unidentified", "big.eml")
    (msg,) = [p.message for p in f.problems]
    assert msg.startswith(
        f"邮件“{SUBJECT}”（{SENDER}，2024年4月3日 10:15）有 0.4 MB，超过 0.2 MB 的上限，未读取"
    )
    assert "把附带的进展情况表另存到收件目录" in msg

    parts = [(f"图{i}.png", PNG, ("image", "png")) for i in range(60)]
    save(message(parts), inbox / "many.eml")
    (f,) = run(app).new
    (msg,) = [p.message for p in f.problems]
    assert f.state == "unidentified" and "包含的部分超过 50 个，未读取" in msg
    with Ledger(app.workspace.ledger_path) as ledger:
        assert ledger.attachments(PERIOD) == []  # nothing taken from a refused mail


def test_rerun_changes_nothing_and_a_copy_saved_beside_is_recorded_once(setup, tmp_path):
    app, forms, inbox = setup
    data, _ = filled(app, forms, tmp_path)
    save(
        message([("区发改委.xlsx", data, XLSX), ("盖章.pdf", PDF, ("application", "pdf"))]),
        inbox / "a.eml",
    )
    (inbox / "另存的.xlsx").write_bytes(data)  # the office also saved the attachment by hand
    os.utime(inbox / "另存的.xlsx", (NOW.timestamp(), NOW.timestamp()))
    first = run(app)
    assert [f.source for f in first.new] == [source("区发改委.xlsx")]
    assert first.known == ["另存的.xlsx"] and first.written

    def snapshot():
        with Ledger(app.workspace.ledger_path) as ledger:
            return {
                t: [tuple(r) for r in ledger.conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2")]
                for t in ("files", "returns", "attachments", "return_answers", "merges")
            }

    before = snapshot()
    again = run(app, now=NOW + timedelta(hours=1))
    assert again.new == [] and again.attachments == [] and not again.written
    assert sorted(again.known) == sorted(
        [source("区发改委.xlsx"), source("盖章.pdf"), "另存的.xlsx"]
    )
    assert snapshot() == before
    assert len(before["files"]) == 3  # mail, form, scan


def test_status_names_the_mail(setup, tmp_path, duban):
    app, forms, inbox = setup
    data, _ = filled(app, forms, tmp_path)
    save(message([("区发改委.xlsx", data, XLSX)]), inbox / "a.eml")
    run(app)
    with Ledger(app.workspace.ledger_path) as ledger:
        st = period_status(app.settings, app.assignments, ledger, PERIOD, now=NOW)
    assert next(u for u in st.units if u.unit == UNIT).source == source("区发改委.xlsx")
    r = duban("status", "--period", "2024Q1", "--all")
    assert r.code == 0 and f"来自{source('区发改委.xlsx')}" in r.out
    assert "邮件" in duban("collect", "--help").out


# -- the parser on hand-made mails of other clients ---------------------------------------------
def test_gbk_names_and_headers_from_older_clients(tmp_path):
    gbk = "长青乡进展情况表.xlsx".encode("gbk")
    raw = (
        b"Received: from mail.example.gov.cn by mx; Wed, 3 Apr 2024 10:15:09 +0800\r\n"
        b"From: =?GBK?B?" + b64encode("长青乡".encode("gbk")) + b"?= <cqx@163.com>\r\n"
        b"Subject: " + "回复：进展情况".encode("gbk") + b"\r\n"
        b"Date: Wed, 3 Apr 2024 02:15:00 -0000\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        b"--b1\r\nContent-Type: text/plain; charset=GBK\r\n\r\n" + "见附件".encode("gbk") + b"\r\n"
        b'--b1\r\nContent-Type: application/octet-stream; name="' + gbk + b'"\r\n'
        b'Content-Disposition: attachment; filename="' + gbk + b'"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\nUEsDBAoAAAAAAA==\r\n"
        b'--b1\r\nContent-Type: application/octet-stream; name="=?GBK?B?'
        + b64encode("说明.pdf".encode("gbk"))
        + b'?="\r\n\r\n%PDF-1.4\r\n--b1--\r\n'
    )
    path = tmp_path / "foxmail"
    path.write_bytes(raw)
    assert is_message(path)
    mail = read_message(path, Limits())
    assert (mail.subject, mail.sender) == ("回复：进展情况", "长青乡 <cqx@163.com>")
    assert mail.sent_at == datetime(2024, 4, 3, 10, 15, tzinfo=TZ)  # -0000 is UTC
    assert [a.filename for a in mail.attachments] == ["长青乡进展情况表.xlsx", "说明.pdf"]
    assert mail.attachments[0].data.startswith(b"PK\x03\x04")
    assert mail.attachments[0].source == (
        "邮件“回复：进展情况”（长青乡 <cqx@163.com>，2024年4月3日 10:15）的附件 长青乡进展情况表.xlsx"
    )


def test_outlook_winmail_dat_is_explained(setup):
    app, forms, inbox = setup
    save(
        message([("winmail.dat", b"\x78\x9f\x3e\x22" + bytes(30), ("application", "ms-tnef"))]),
        inbox / "o.eml",
    )
    (f,) = run(app).new
    (msg,) = [p.message for p in f.problems]
    assert f.state == "unidentified" and "winmail.dat" in msg and msg.startswith("邮件“")


@pytest.mark.parametrize(
    "head, expected",
    [
        (b"From: a@b.c\r\nSubject: x\r\n\r\nbody", True),
        (b"Return-Path: <a@b.c>\nReceived: from x\n\tby y; Wed, 3 Apr 2024\nX-Odd: 1\n\n", True),
        (b"From - Wed Apr 03 10:15:00 2024\nX-Mozilla-Status: 0001\nMIME-Version: 1.0\n\n", True),
        (b"\xef\xbb\xbfMIME-Version: 1.0\nDate: Wed, 3 Apr 2024\n\n", True),
        (b"Subject: only one mail field\n\n", False),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1From: a\nSubject: b\n", False),
        (b"PK\x03\x04From: a\nSubject: b\n", False),
        (b"\xe5\x8d\x95\xe4\xbd\x8d,From,Subject\nFrom: a\n", False),  # a CSV
        (b"From: a@b.c\nthis is not a header\nSubject: x\n\n", False),
        (b"", False),
    ],
)
def test_is_message_by_content(tmp_path, head, expected):
    path = tmp_path / "x.xlsx"
    path.write_bytes(head)
    assert is_message(path) is expected


def test_a_malformed_part_does_not_cost_the_form(setup, tmp_path):
    app, forms, inbox = setup
    data, _ = filled(app, forms, tmp_path)
    m = message([("区发改委.xlsx", data, XLSX), ("scan.pdf", PDF, ("application", "pdf"))])
    raw = m.as_bytes(policy=policy.SMTP)
    # a header the email package itself cannot parse (IndexError inside the stdlib)
    raw = raw.replace(
        b'Content-Disposition: attachment; filename="scan.pdf"',
        b"Content-Disposition: attachment; filename*",
    )
    (inbox / "a.eml").parent.mkdir(parents=True, exist_ok=True)
    (inbox / "a.eml").write_bytes(raw)
    s = run(app)
    assert [(f.unit, f.state) for f in s.new] == [(UNIT, "accepted")]
    (note,) = s.mail_notes
    assert note.startswith(f"邮件“{SUBJECT}”") and "个部分格式有误，无法读取" in note
    assert f"注意：{note}" in "\n".join(s.lines())


def test_an_outlook_msg_file_says_how_to_save_it(setup):
    app, forms, inbox = setup
    # the directory of an Outlook .msg (an OLE file) names __substg1.0_ streams; its attached
    # workbook's own "Workbook" stream must not make it look like an .xls
    names = "".join(f"__substg1.0_{t}" for t in ("0037001F", "3701000D")) + "Workbook"
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / "区发改委回复.msg").write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + names.encode("utf-16-le")
    )
    (f,) = run(app).new
    (msg,) = [p.message for p in f.problems]
    # unidentified, not the unit's rejection: no 退回通知 goes out for the office's saving
    assert (f.state, f.unit) == ("unidentified", None)
    assert msg.startswith("区发改委回复.msg 是 Outlook 保存的邮件（.msg），无法直接读取")


def _versions(app, forms, tmp_path, inbox, dates, received=(None, None)):
    """Two saved versions of UNIT's reply with the same file time (saved together): the
    draft first in the mail's own order, then the final one; named so the final one is
    read first."""
    out = []
    for n, (label, when, hop) in enumerate(zip(("draft", "final"), dates, received, strict=True)):
        answers = valid_answers(app, UNIT)
        for a in answers.values():
            a["progress"] = f"{label}：{a['progress']}"
        data, _ = filled(app, forms, tmp_path, name=f"{label}.xlsx", answers=answers)
        m = message([(f"{UNIT}.xlsx", data, XLSX)], date=when, arrived=None)
        if hop is not None:
            m["Received"] = (
                f"from a.example by relay{n}.example.net with ESMTP; {format_datetime(hop)}"
            )
        out.append(
            save(
                m,
                inbox / f"{'b' if label == 'draft' else 'a'}-{label}.eml",
                NOW - timedelta(days=2),
            )
        )
    return out


def _in_force(app) -> str:
    row = {r.id: r for r in QuarterResult.load(app.workspace.merged_json(PERIOD)).rows}
    reports = [x for r in row.values() for x in r.lead_reports if x.unit == UNIT]
    return reports[0].progress.split("：", 1)[0]


def test_versions_at_the_same_time_are_ordered_by_received_then_date(setup, tmp_path):
    app, forms, inbox = setup
    app.settings.intake.trusted_hosts = []  # our time: both files' time, the same
    _versions(app, forms, tmp_path, inbox, (SENT, SENT + timedelta(hours=1)))
    s = run(app)
    assert [f.state for f in s.new] == ["accepted", "accepted"]
    assert _in_force(app) == "final"  # by Date:, though the draft was read last
    assert not any(p.code == "version_tie" for f in s.new for p in f.problems)
    mails = [line for line in s.lines() if "读取保存的邮件（.eml）" in line]
    assert mails and "报送时间按本方收到的时间计" in mails[0] and "发送时间" not in mails[0]


def test_a_received_header_decides_before_the_date(setup, tmp_path):
    app, forms, inbox = setup
    app.settings.intake.trusted_hosts = []
    hops = (SENT + timedelta(hours=2), SENT + timedelta(hours=3))  # the final one relayed later
    _versions(app, forms, tmp_path, inbox, (SENT + timedelta(hours=5), SENT), hops)
    run(app)
    assert _in_force(app) == "final"


def test_a_tie_nothing_breaks_is_flagged_for_the_office(setup, tmp_path, duban):
    app, forms, inbox = setup
    app.settings.intake.trusted_hosts = []
    _versions(app, forms, tmp_path, inbox, (SENT, SENT))
    s = run(app)
    flagged = [p for f in s.new for p in f.problems if p.code == "version_tie"]
    assert len(flagged) == 1 and "无法分出先后" in flagged[0].text
    assert flagged[0].level == "warning"
