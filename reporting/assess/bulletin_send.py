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
from reporting.core.config import Settings
from reporting.core.exceptions import NotifyError
from reporting.core.fileutil import safe_filename
from reporting.core.ledger import Ledger
from reporting.core.messages import render_message
from reporting.core.periods import chinese_date
from reporting.core.states import SendResult
from reporting.notify.remind import (
    Outcome,
    SendTally,
    deliver,
    global_cc,
    open_mailer,
    record_outcome,
    unit_addresses,
)

STAGE = "通报"
CHANNEL = "email"
TEMPLATE = "mail_bulletin.txt.j2"


@dataclass
class BulletinSendSummary(SendTally):
    doc_number: str
    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def count(self, result: str) -> int:
        return sum(1 for o in self.outcomes if o.result == result)

    def lines(self) -> list[str]:
        out = [
            f"通报邮件（{self.doc_number}）：发送 {self.sent}，此前已发送 {self.count('already')}，"
            f"失败 {self.failed}。"
        ]
        out += [f"  失败：{o.unit}：{o.detail}" for o in self.outcomes if o.result == "failed"]
        out += self.notes
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
    from reporting.notify.mailer import Mail, clean_header

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
    extra_cc = global_cc(settings)
    planned: list[tuple[Mail | None, Outcome]] = []
    for name, email, cc, contact in _recipients(settings, registry, output):
        out = Outcome(name, CHANNEL, "planned", attachment=attachment)
        summary.outcomes.append(out)
        if name in done:
            out.result = "already"
            continue
        try:
            if email is None:
                raise NotifyError(
                    "该单位已不在单位名录（units.csv）中，无法发送；如已改名，请在 [registry] aliases 中登记"
                )
            to, cc_list = unit_addresses(email, cc, extra_cc)
        except NotifyError as exc:
            out.result, out.detail = SendResult.FAILED, str(exc)
            planned.append((None, out))
            continue
        unit = "" if name in leaders else name
        # render everything first: a template error stops the run before any message goes out
        msg = render_message(
            settings.templates_dir,
            TEMPLATE,
            {**base, "unit": unit, "contact": contact, "private": output.private.get(unit, "")},
        )
        planned.append(
            (
                Mail(
                    to=[(f"{unit} {contact}".strip(), addr) for addr in to],
                    cc=cc_list,
                    subject=msg.subject,
                    body=msg.body,
                    attachment=output.pdf,
                    attachment_name=attachment,
                    fallback_name=f"{period}_bulletin.pdf",
                    label=f"{period}_{STAGE}_{safe_filename(name)}",
                ),
                out,
            )
        )
        out.target = "、".join(to + [f"抄送 {a}" for a in cc_list])
        out.subject = clean_header(msg.subject)
    if not planned:
        return summary
    mailer = open_mailer(
        settings, ssl_context=ssl_context, dry_run=False, notes=summary.notes, now=now
    )
    at = now.isoformat(timespec="seconds")
    deliver(
        mailer,
        planned,
        smtp=settings.smtp,
        sleep=sleep,
        notes=summary.notes,
        claim=lambda out: ledger.claim_send(period, out.unit, STAGE, CHANNEL, key=key, at=at),
        record=lambda out, detail: record_outcome(
            ledger, period, STAGE, out, f"{key}：{detail}" if detail else key, at=at
        ),
    )
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
