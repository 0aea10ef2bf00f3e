"""``duban bulletin --send``: the 通报 PDF to every unit due (and ``[bulletin] leader_emails``).

Sending is claimed in the ledger like the reminders (``Ledger.claim_send``, stage 通报, the
发文字号 as key): a message already sent is never sent again — not on a rerun, not by a
second process at the same moment — and a failed one is tried again on the next run. The
mail text comes from ``templates/mail_bulletin.txt.j2``; a unit the 通报 may not name by its
class reads in its own mail what it was not named for (``BulletinOutput.private``). Without
the PDF nothing is sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from reporting.assess.bulletin import BulletinOutput
from reporting.assess.order_send import OrderSendSummary
from reporting.core.config import Settings
from reporting.core.exceptions import NotifyError
from reporting.core.fileutil import safe_filename
from reporting.core.ledger import Ledger
from reporting.core.messages import render_message
from reporting.core.periods import chinese_date
from reporting.core.states import SendResult
from reporting.notify.delivery import (
    MailBatch,
    Outcome,
    SendLog,
    SendTally,
)

STAGE = "通报"
CHANNEL = "email"
TEMPLATE = "mail_bulletin.txt.j2"


@dataclass
class BulletinSendSummary(SendTally):
    doc_number: str
    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    orders: OrderSendSummary | None = None  # the 督办单 sent with it

    @property
    def failed(self) -> int:
        own = sum(1 for o in self.outcomes if o.result == SendResult.FAILED)
        return own + (self.orders.failed if self.orders else 0)

    def lines(self) -> list[str]:
        out = [
            f"通报邮件（{self.doc_number}）：发送 {self.sent}，"
            f"此前已发送 {self.count(SendResult.ALREADY)}，"
            f"失败 {self.failed}。"
        ]
        out += [
            f"  失败：{o.unit}：{o.detail}" for o in self.outcomes if o.result == SendResult.FAILED
        ]
        out += self.notes
        if self.orders is not None:
            out += self.orders.lines()
        if self.failed:
            out.append("排除问题后重新运行 duban bulletin --send 即可补发，已发送的不会重复。")
        return out


def send_bulletin(
    settings: Settings,
    registry,
    ledger: Ledger,
    output: BulletinOutput,
    *,
    now: datetime,
    ssl_context=None,
    sleep: Callable[[float], None] = time.sleep,
) -> BulletinSendSummary:
    """Mail ``output.pdf`` to every unit of ``output.units`` and the leaders' addresses."""
    period = str(output.period)
    summary = BulletinSendSummary(output.doc_number)
    if output.pdf is None:
        raise NotifyError(
            f"通报 PDF 没有生成（{output.pdf_error or '未转换'}），没有发送任何邮件；"
            f"排除问题后重新运行 duban bulletin --period {period} --send"
        )
    key = output.doc_number
    done = {
        row["unit"]
        for row in ledger.claims(period)
        if row["stage"] == STAGE and row["key"] == key and row["state"] == SendResult.SENT
    }
    attachment = safe_filename(f"{output.doc_number} {output.title}") + ".pdf"
    base = {
        "doc_number": output.doc_number,
        "title": output.title,
        # a book title inside 《》 takes 〈〉
        "quoted_title": "《" + output.title.replace("《", "〈").replace("》", "〉") + "》",
        "period": period,
        "period_label": output.period.full_label,
        "next_label": output.period.next().full_label,
        "issuer": settings.bulletin.issuer,
        "office_contact": getattr(settings.forms, "contact", "") or settings.district.office,
        "attachment": attachment,
        "today": chinese_date(now.date()),
    }
    leaders = set(settings.bulletin.leader_emails)
    due = list(_recipients(settings, registry, output))
    summary.outcomes = [Outcome(name, CHANNEL, attachment=attachment) for name, *_ in due]
    for out in summary.outcomes:
        if out.unit in done:
            out.result = SendResult.ALREADY
    pending = [
        (out, r) for out, r in zip(summary.outcomes, due, strict=True) if out.unit not in done
    ]
    if output.orders is not None and output.orders.issued:
        from reporting.assess.order_send import send_orders

        summary.orders = send_orders(
            settings, registry, ledger, output.orders, now=now, ssl_context=ssl_context, sleep=sleep
        )
    if not pending:
        return summary
    batch = MailBatch(
        settings, ssl_context=ssl_context, dry_run=False, notes=summary.notes, now=now
    )
    for out, (name, email, cc, contact) in pending:
        to = batch.addresses(out, email, cc)
        if to is None:
            continue
        unit = "" if name in leaders else name
        # render everything first: a template error stops the run before any message goes out
        msg = render_message(
            settings.templates_dir,
            TEMPLATE,
            {**base, "unit": unit, "contact": contact, "private": output.private.get(unit, "")},
        )
        batch.add(
            out,
            f"{unit} {contact}".strip(),
            to,
            msg,
            attachment=output.pdf,
            attachment_name=attachment,
            fallback_name=f"{period}_bulletin.pdf",
            label=f"{period}_{STAGE}_{safe_filename(name)}",
        )
    log = SendLog(
        ledger,
        period,
        STAGE,
        now.isoformat(timespec="seconds"),
        key=lambda out: key,
        text=lambda out, detail: f"{key}：{detail}" if detail else key,
    )
    batch.send(log, sleep=sleep)
    return summary


def _recipients(settings, registry, output: BulletinOutput):
    """(name, email, cc, contact) of every unit due, then each leader address (email None:
    the unit is no longer in the registry)."""
    for name in output.units:
        unit = registry.units.get(name)
        if unit is None:
            yield name, None, "", ""
        else:
            yield name, unit.email, unit.cc, unit.contact
    for addr in settings.bulletin.leader_emails:
        yield addr, addr, "", ""
