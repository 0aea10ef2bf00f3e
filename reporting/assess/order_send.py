"""``duban bulletin --send``: each 督办单 to its lead units, beside the 通报.

One mail per 督办单 and lead unit, through the one delivery path (``notify.delivery``'s
``MailBatch``), claimed in the ledger with stage 督办单 and the 督办单's number as key: a
督办单 sent is never sent again, a failed one goes on the next run. The attachment is the
督办单's PDF (its .docx when LibreOffice gave none); ``templates/mail_order.txt.j2`` the text.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from reporting.assess.orders import OrdersOutput, feedback_words
from reporting.core.config import Settings
from reporting.core.fileutil import safe_filename
from reporting.core.ledger import Ledger
from reporting.core.messages import render_message
from reporting.core.periods import chinese_date
from reporting.core.states import SendResult
from reporting.notify.delivery import MailBatch, Outcome, SendLog, SendTally

STAGE = "督办单"
CHANNEL = "email"
TEMPLATE = "mail_order.txt.j2"


@dataclass
class OrderSendSummary(SendTally):
    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        if not self.outcomes:
            return []
        out = [
            f"督办单邮件：发送 {self.sent}，此前已发送 {self.count(SendResult.ALREADY)}，"
            f"失败 {self.failed}。"
        ]
        out += [
            f"  失败：{o.unit}：{o.detail}" for o in self.outcomes if o.result == SendResult.FAILED
        ]
        return out + self.notes


def send_orders(
    settings: Settings,
    registry,
    ledger: Ledger,
    orders: OrdersOutput,
    *,
    now: datetime,
    ssl_context=None,
    sleep: Callable[[float], None] = time.sleep,
) -> OrderSendSummary:
    """Mail every 督办单 of ``orders`` to each of its lead units, once."""
    period = str(orders.period)
    summary = OrderSendSummary()
    done = {
        (row["unit"], row["key"])
        for row in ledger.claims(period)
        if row["stage"] == STAGE and row["state"] == SendResult.SENT
    }
    keys: dict[int, str] = {}
    pending = []
    for doc in orders.issued:
        file = doc.pdf or doc.path
        name = safe_filename(f"{doc.record.text} 督查督办通知单") + file.suffix
        for unit in doc.record.units:
            out = Outcome(unit, CHANNEL, attachment=name)
            keys[id(out)] = doc.record.text
            summary.outcomes.append(out)
            if (unit, doc.record.text) in done:
                out.result = SendResult.ALREADY
            else:
                pending.append((out, doc, file, name))
    if not pending:
        return summary
    batch = MailBatch(
        settings, ssl_context=ssl_context, dry_run=False, notes=summary.notes, now=now
    )
    for out, doc, file, name in pending:
        unit = registry.units.get(out.unit)
        to = batch.addresses(out, unit.email if unit else None, unit.cc if unit else "")
        if to is None:
            continue
        msg = render_message(
            settings.templates_dir,
            TEMPLATE,
            {
                "unit": out.unit,
                "contact": unit.contact if unit else "",
                "number": doc.record.text,
                "rung": doc.record.rung,
                "colour": doc.colour,
                "task": f"{doc.row.label} {doc.row.task_title}".strip(),
                "due": chinese_date(datetime.fromisoformat(doc.record.due).date()),
                "feedback": feedback_words(orders.period),
                "period_label": orders.period.full_label,
                "attachment": name,
                "issuer": settings.bulletin.issuer,
                "today": chinese_date(now.date()),
            },
        )
        batch.add(
            out,
            out.unit,
            to,
            msg,
            attachment=file,
            attachment_name=name,
            fallback_name=f"{period}_order_{doc.record.number}{file.suffix}",
            label=f"{period}_{STAGE}_{doc.record.number}_{safe_filename(out.unit)}",
        )
    log = SendLog(
        ledger,
        period,
        STAGE,
        now.isoformat(timespec="seconds"),
        key=lambda out: keys[id(out)],
        text=lambda out, detail: f"{keys[id(out)]}：{detail}" if detail else keys[id(out)],
    )
    batch.send(log, sleep=sleep)
    return summary
