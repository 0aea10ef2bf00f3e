"""Mails in the office mailbox that are not returns: auto-replies (out of office), delivery
failure reports (DSN, RFC 3464) and replies without any attached file ("收到").

``classify(data, limits)`` decides from the whole message; ``Kind.bounced`` lists the
recipients a delivery failure report says could not be reached and ``Kind.original_ids``
the Message-IDs it returns, so the send they bounce can be marked failed
(``reporting.intake.imap``) — only one of our own sends (its Message-ID in the ledger), and
only when the report comes from a mail system (a MAILER-DAEMON/postmaster sender or the null
return path). A "report" written by anyone else is ``false_bounce``: listed, never believed.
An ``Auto-Submitted: auto-forwarded`` mail is the unit's own, passed on by a rule. Anything else — a reply with a file, even a
wrong or broken one — is a return for the intake, which says what is wrong with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser

from reporting.intake.mailbox import MAX_PARTS, mail_headers, parse_message

KIND_CN = {
    "auto_reply": "自动回复",
    "bounce": "退信",
    "no_form": "没有附件的回复",
    "false_bounce": "自称退信但不是邮件系统发出（未采信）",
}

_AUTO_SUBJECT = re.compile(
    r"^\s*(自动回复|自動回覆|自动答复|休假|外出|out of (the )?office|automatic reply|auto(matic)?[ -]?reply"
    r"|auto:|autoreply|away)",
    re.I,
)
_BOUNCE_FROM = re.compile(r"mailer-daemon|postmaster|mail delivery (sub)?system", re.I)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery (status )?(notification|failure|failed)|returned mail|failure notice"
    r"|退信|投递失败|无法投递|发送失败|系统退信",
    re.I,
)


@dataclass
class Kind:
    kind: str  # return | auto_reply | bounce | no_form
    bounced: list[tuple[str, str]] = field(default_factory=list)  # (address, why)
    # Message-IDs of the mail a bounce returns (its returned headers): ours or not
    original_ids: list[str] = field(default_factory=list)

    @property
    def is_return(self) -> bool:
        return self.kind == "return"

    @property
    def label(self) -> str:
        return KIND_CN.get(self.kind, "报送邮件")


def classify(data: bytes) -> Kind:
    """What a fetched message is (see the module doc)."""
    head = BytesHeaderParser(policy=policy.compat32).parsebytes(data[: 64 * 1024])
    ctype = (head.get_content_type() or "").lower()
    report = str(head.get_param("report-type") or "").lower() if ctype == "multipart/report" else ""
    sender = str(head.get("from") or "")
    subject = str(mail_headers(data[: 64 * 1024]).subject)
    looks_bounce = report == "delivery-status" or bool(_BOUNCE_SUBJECT.search(subject))
    # a delivery report is believed only from a mail system: the null return path (RFC
    # 5321 4.5.5) or a MAILER-DAEMON/postmaster sender; anyone can write the rest
    null_path = str(head.get("return-path") or "-").strip() == "<>"
    daemon = bool(_BOUNCE_FROM.search(sender)) or null_path
    if looks_bounce and daemon:
        return Kind("bounce", _failed_recipients(data, head), _original_ids(data))
    if looks_bounce:  # written by someone else: never believed, a form in it still read
        return Kind("return") if _has_files(data) else Kind("false_bounce")
    # RFC 3834: auto-replied / auto-generated are answers of a program; auto-forwarded is
    # the unit's own mail passed on by a forwarding rule, read like any reply
    auto = str(head.get("auto-submitted") or "").split(";", 1)[0].strip().lower()
    if (
        (auto and auto not in ("no", "auto-forwarded"))
        or head.get("x-autoreply")
        or head.get("x-autorespond")
        or str(head.get("precedence") or "").strip().lower() == "auto_reply"
    ):
        return Kind("auto_reply")
    if _has_files(data):
        return Kind("return")
    if _AUTO_SUBJECT.search(subject):
        return Kind("auto_reply")
    return Kind("no_form")


def _has_files(data: bytes) -> bool:
    mail = parse_message(data, mail_headers(data[: 64 * 1024]), max_parts=MAX_PARTS * 4)
    return bool(mail.attachments or mail.notes)


def _failed_recipients(data: bytes, head: Message) -> list[tuple[str, str]]:
    """(address, status and diagnostic) of each recipient a DSN reports as failed."""
    out: list[tuple[str, str]] = []
    try:
        msg = BytesParser(policy=policy.compat32).parsebytes(data)
        for part in msg.walk():
            if part.get_content_type() != "message/delivery-status":
                continue
            for block in part.get_payload() or []:
                if not isinstance(block, Message):
                    continue
                recipient = block.get("final-recipient") or block.get("original-recipient")
                action = str(block.get("action") or "").strip().lower()
                if not recipient or action not in ("failed", ""):
                    continue
                address = str(recipient).split(";", 1)[-1].strip().strip("<>")
                why = " ".join(
                    str(block.get(h) or "").strip() for h in ("status", "diagnostic-code")
                )
                out.append((address.lower(), re.sub(r"\s+", " ", why).strip()))
    except Exception:  # noqa: BLE001 - a malformed report is still a bounce, without names
        pass
    if not out:
        for address in re.split(r"[,\s]+", str(head.get("x-failed-recipients") or "")):
            if "@" in address:
                out.append((address.lower(), ""))
    return out


def _original_ids(data: bytes) -> list[str]:
    """The Message-IDs in the returned headers (text/rfc822-headers or message/rfc822) of a
    delivery report: which mail bounced."""
    out: list[str] = []
    try:
        msg = BytesParser(policy=policy.compat32).parsebytes(data)
        for part in msg.walk():
            ctype = part.get_content_type()
            inner: Message | None = None
            if ctype == "text/rfc822-headers":
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    inner = BytesHeaderParser(policy=policy.compat32).parsebytes(payload)
            elif ctype in ("message/rfc822", "message/rfc822-headers"):
                body = part.get_payload()
                first = body[0] if isinstance(body, list) and body else None
                inner = first if isinstance(first, Message) else None
            value = inner.get("message-id") if inner is not None else None
            if value:
                out.append(str(value).strip())
    except Exception:  # noqa: BLE001 - a malformed report names no mail of ours
        return out
    return out
