"""Mails in the office mailbox that are not returns: auto-replies (out of office), delivery
failure reports (DSN, RFC 3464) and replies without any attached file ("收到").

``classify(data, limits)`` decides from the whole message; ``Kind.bounced`` lists the
recipients a delivery failure report says could not be reached, so the send they bounce can
be marked failed (``reporting.intake.imap``). Anything else — a reply with a file, even a
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
    if report == "delivery-status" or (
        _BOUNCE_FROM.search(sender) and _BOUNCE_SUBJECT.search(subject)
    ):
        return Kind("bounce", _failed_recipients(data, head))
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
    mail = parse_message(data, mail_headers(data[: 64 * 1024]), max_parts=MAX_PARTS * 4)
    if mail.attachments or mail.notes:
        return Kind("return")
    if _AUTO_SUBJECT.search(subject):
        return Kind("auto_reply")
    return Kind("no_form")


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
