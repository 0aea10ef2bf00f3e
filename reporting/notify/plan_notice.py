"""The 落实方案 round's mail: the 通知 with each lead unit's 落实方案表, 提醒 / 催报 / 逾期
to units that have not returned an accepted plan, and the answer to every plan returned
(回执 or 退回通知 with the reasons).

Sent through the one delivery path (``reporting.notify.delivery``: ``MailBatch``,
``SendLog``): every message claimed in the ledger before it leaves (key ``<year>plan``,
stage 通知/提醒/催报/逾期, or 回执 keyed by the return), so a rerun or a second process
sends nothing twice. Wording in ``templates/mail_plan.txt.j2`` and
``mail_plan_receipt.txt.j2``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from reporting.core.calendar import (
    STAGES,
    PlanCalendar,
    deadline_passed,
    plan_calendar,
    workdays_after,
)
from reporting.core.config import Settings
from reporting.core.exceptions import NotifyError
from reporting.core.ledger import Ledger, receipt_key
from reporting.core.messages import render_message
from reporting.core.periods import chinese_date
from reporting.core.states import RECEIPT_STAGE, ReturnState, SendResult
from reporting.core.workspace import Workspace
from reporting.forms.plan_spec import plan_key, plan_label
from reporting.notify.context import short_moment
from reporting.notify.delivery import RESULT_CN, MailBatch, Outcome, SendLog, SendTally
from reporting.notify.receipts import KIND_CN, receipt_context
from reporting.notify.recipients import due_receipts
from reporting.taskbook.assignments import Assignments

TEMPLATE = "mail_plan.txt.j2"
RECEIPT_TEMPLATE = "mail_plan_receipt.txt.j2"


@dataclass
class PlanSendSummary(SendTally):
    year: int
    stage: str
    dry_run: bool
    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        if not self.outcomes:
            return [*self.notes, f"{plan_label(self.year)}{self.stage}：没有需要发送的单位。"]
        head = "【演练】" if self.dry_run else ""
        parts = [f"{RESULT_CN[r]} {self.count(r)}" for r in RESULT_CN if self.count(r)]
        out = [f"{head}{plan_label(self.year)}{self.stage}：" + "，".join(parts) + "。"]
        for o in self.outcomes:
            if o.result in (SendResult.FAILED, SendResult.SKIPPED) or self.dry_run:
                out.append(f"  {RESULT_CN[o.result]} {o.unit}：{o.detail or o.subject}")
        return out + self.notes


def base_context(settings: Settings, cal: PlanCalendar, stage: str, now: datetime) -> dict:
    """What every 落实方案 message is given (see the templates' heads)."""
    d, today = settings.district, now.date()
    return {
        "district": d.name,
        "office": d.office,
        "basis": d.basis,
        "document_title": d.document_title,
        "office_contact": settings.forms.contact or d.office,
        "year": cal.year,
        "plan_label": plan_label(cal.year),
        "period_label": plan_label(cal.year),
        "stage": stage,
        "deadline": cal.deadline_label,
        "deadline_date": chinese_date(cal.deadline_day),
        "deadline_short": short_moment(cal.deadline),
        "workdays_left": workdays_after(today, cal.deadline_day),
        "overdue_workdays": workdays_after(cal.deadline_day, today),
        "today": chinese_date(today),
    }


def send_plan_notices(
    settings: Settings,
    assignments: Assignments,
    workspace: Workspace,
    year: int,
    *,
    stage: str = "auto",
    ledger: Ledger,
    now: datetime,
    dry_run: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    ssl_context=None,
) -> PlanSendSummary:
    """The 落实方案 ``stage`` (通知/提醒/催报/逾期; auto: the latest whose day has come) to every
    lead unit without an accepted plan; each mail carries the unit's 落实方案表."""
    key = plan_key(year)
    cal = plan_calendar(year, settings.plan, settings.deadline.zone)
    picked = cal.stage_due(now.date()) if stage == "auto" else stage
    summary = PlanSendSummary(year, picked or "通知", dry_run)
    if picked is None:
        summary.notes.append(
            f"{plan_label(year)}的通知日 {chinese_date(cal.stages['通知'])} 还没到。"
        )
        return summary
    if picked not in STAGES:
        raise NotifyError(f"未知的阶段“{picked}”，可选：{'、'.join(STAGES)}")
    accepted = ledger.latest_accepted(key)
    base = base_context(settings, cal, picked, now)
    batch = MailBatch(
        settings, ssl_context=ssl_context, dry_run=dry_run, notes=summary.notes, now=now
    )
    for unit, rows in assignments.by_unit.items():
        if not rows.lead or unit in accepted:
            continue
        out = Outcome(unit, "email")
        summary.outcomes.append(out)
        form = workspace.plan_form_path(year, unit)
        contact = assignments.registry.units.get(unit)
        if not form.exists():
            batch.fail(out, "落实方案表还没有生成（先运行 duban plan）")
            continue
        email, cc = (contact.email, contact.cc) if contact else (None, "")
        to = batch.addresses(out, email, cc)
        if contact is None or to is None:
            continue
        ctx = {
            **base,
            "unit": unit,
            "contact": contact.contact,
            "tasks": len(rows.lead),
            "attachment": form.name,
        }
        msg = render_message(settings.templates_dir, TEMPLATE, ctx)
        batch.add(
            out,
            f"{unit} {contact.contact}".strip(),
            to,
            msg,
            attachment=form,
            attachment_name=form.name,
            fallback_name="plan.xlsx",
            label=f"{key}_{picked}_{unit}",
        )
    if not dry_run:
        batch.send(SendLog(ledger, key, picked, now.isoformat(timespec="seconds")), sleep=sleep)
    return summary


def send_plan_receipts(
    settings: Settings,
    assignments: Assignments,
    year: int,
    *,
    ledger: Ledger,
    now: datetime,
    sleep: Callable[[float], None] = time.sleep,
    ssl_context=None,
) -> PlanSendSummary:
    """Answer the latest 落实方案表 of each unit not answered yet: 回执, or 退回通知 with the
    reasons (the places and the fixes) and the deadline."""
    key = plan_key(year)
    cal = plan_calendar(year, settings.plan, settings.deadline.zone)
    summary = PlanSendSummary(year, RECEIPT_STAGE, False)
    dues, _ = due_receipts(assignments, ledger, key)
    if not dues:
        return summary
    batch = MailBatch(
        settings, ssl_context=ssl_context, dry_run=False, notes=summary.notes, now=now
    )
    base = base_context(settings, cal, RECEIPT_STAGE, now)
    by_unit = {}
    for due in dues:
        row = due.row
        unit = row["unit"]
        by_unit[unit] = row
        out = Outcome(unit, "email")
        summary.outcomes.append(out)
        contact = assignments.registry.units.get(unit)
        email, cc = (contact.email, contact.cc) if contact else (None, "")
        to = batch.addresses(out, email, cc)
        if contact is None or to is None:
            continue
        rejected = row["state"] != ReturnState.ACCEPTED
        overdue = rejected and due.in_force is None and deadline_passed(cal.deadline, now)
        ctx = receipt_context(base, due, contact, overdue=overdue, today=now.date())
        msg = render_message(settings.templates_dir, RECEIPT_TEMPLATE, ctx)
        kind = KIND_CN["rejected" if rejected else "accepted"]
        label = f"{key}_{kind}_{unit}_{receipt_key(row['sha256'])[:8]}"
        batch.add(out, f"{unit} {contact.contact}".strip(), to, msg, label=label)

    def text(out: Outcome, detail: str) -> str:
        row = by_unit[out.unit]
        kind = KIND_CN["accepted" if row["state"] == ReturnState.ACCEPTED else "rejected"]
        return f"{receipt_key(row['sha256'])} {kind} {row['source']}" + (
            f"：{detail}" if detail else ""
        )

    log = SendLog(
        ledger,
        key,
        RECEIPT_STAGE,
        now.isoformat(timespec="seconds"),
        key=lambda out: receipt_key(by_unit[out.unit]["sha256"]),
        text=text,
    )
    batch.send(log, sleep=sleep)
    return summary
