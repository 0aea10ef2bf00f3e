"""Simulated mails in the office mailbox (tests and benchmarks of ``reporting.intake.imap``):
a unit's reply with its form, an out-of-office auto-reply, a delivery failure report
(RFC 3464) and a bare "收到" reply, as real mail programs and servers write them."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
OFFICE = "区督查考核办 <dcb@example.gov.cn>"
SUBJECT = "回复：关于报送{label}重点任务推进情况的通知"


def _base(sender: str, subject: str, sent_at: datetime, message_id: str) -> EmailMessage:
    m = EmailMessage()
    m["From"] = sender
    m["To"] = OFFICE
    m["Subject"] = subject
    m["Date"] = format_datetime(sent_at)
    m["Message-ID"] = message_id
    return m


def reply_mail(
    sender: str,
    subject: str,
    sent_at: datetime,
    message_id: str,
    attachments: list[tuple[str, bytes]],
    body: str = "附件是我单位的进展情况表，请查收。",
) -> bytes:
    """A unit's reply; attachment names go out RFC 2231-encoded, as Thunderbird does."""
    m = _base(sender, subject, sent_at, message_id)
    m.set_content(body)
    for name, data in attachments:
        m.add_attachment(data, maintype=XLSX[0], subtype=XLSX[1], filename=name)
    return m.as_bytes()


def auto_reply(sender: str, sent_at: datetime, message_id: str) -> bytes:
    m = _base(sender, "自动回复：关于报送重点任务推进情况的通知", sent_at, message_id)
    m["Auto-Submitted"] = "auto-replied"
    m["X-Autoreply"] = "yes"
    m.set_content("您好，我已休假，4月10日返回，急事请联系办公室。")
    return m.as_bytes()


def ack_reply(sender: str, sent_at: datetime, message_id: str) -> bytes:
    m = _base(sender, "回复：关于报送重点任务推进情况的通知", sent_at, message_id)
    m.set_content("收到，谢谢！")
    return m.as_bytes()


def bounce(recipient: str, sent_at: datetime, message_id: str, original_id: str) -> bytes:
    """A delivery status notification (multipart/report; report-type=delivery-status), as
    Postfix writes it."""
    text = f"""From: Mail Delivery System <MAILER-DAEMON@mail.example.gov.cn>
To: {OFFICE}
Subject: Undelivered Mail Returned to Sender
Date: {format_datetime(sent_at)}
Message-ID: {message_id}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY"

--BOUNDARY
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

邮件无法投递到 {recipient}：用户不存在。

--BOUNDARY
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.example.gov.cn

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address rejected: User unknown

--BOUNDARY
Content-Type: text/rfc822-headers

From: {OFFICE}
To: {recipient}
Subject: =?utf-8?b?5YWz5LqO5oql6YCB55qE6YCa55+l?=
Message-ID: {original_id}

--BOUNDARY--
"""
    return text.replace("\n", "\r\n").encode("utf-8")
