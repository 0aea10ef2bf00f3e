"""What the message templates are given: the variables every message has, and a reminder's
per-unit ones (see docs/reminders.md)."""

from __future__ import annotations

from datetime import date, datetime

from reporting.core.calendar import PeriodCalendar, deadline_now, deadline_passed, workdays_after
from reporting.core.config import Settings
from reporting.core.periods import Period, chinese_date
from reporting.core.workspace import Workspace
from reporting.notify.recipients import Recipient


def short_moment(moment: datetime) -> str:
    """7月5日17:30: a deadline in a subject line."""
    return f"{moment.month}月{moment.day}日{moment:%H:%M}"


def message_context(
    settings: Settings,
    cal: PeriodCalendar,
    stage: str,
    today: date,
    *,
    now: datetime | None = None,
) -> dict:
    """Variables every template gets (see docs/reminders.md). With ``now`` (the moment of
    sending) a deadline is passed by ``calendar.deadline_passed``; at its own minute it is
    neither passed nor ahead (``coop_now``: the mail says it closes now, not "…前")."""
    d = settings.district

    def passed(due: datetime) -> bool:
        return deadline_passed(due, now) if now is not None else today > due.date()

    contact = getattr(settings.forms, "contact", "") or d.office
    return {
        "district": d.name,
        "office": d.office,
        "government": d.government,
        "basis": d.basis,
        "document_title": d.document_title,
        "office_contact": contact,
        "period": str(cal.period),
        "period_label": cal.period.full_label,
        # per unit in unit_context: its form lists last quarter's accepted answers
        "has_reference": False,
        "reference_units": frozenset(),
        "previous_label": cal.period.previous().full_label,
        "stage": stage,
        "deadline": cal.deadline_label,
        "deadline_date": chinese_date(cal.deadline_day),
        "deadline_short": short_moment(cal.deadline),
        "deadline_passed": passed(cal.deadline),
        # a separate, earlier deadline for the 配合任务 sheet ([deadline] coop_days)
        "separate_coop": cal.separate_coop,
        "coop_deadline": cal.coop_deadline_label,
        "coop_deadline_short": short_moment(cal.coop_due),
        "coop_passed": cal.separate_coop and passed(cal.coop_due),
        "coop_now": cal.separate_coop and now is not None and deadline_now(cal.coop_due, now),
        "coop_time": f"{cal.coop_due:%H:%M}",
        "workdays_left": workdays_after(today, cal.deadline_day),
        "coop_workdays_left": workdays_after(today, cal.coop_due.date()),
        "overdue_workdays": workdays_after(cal.deadline_day, today),
        "today": chinese_date(today),
    }


def unit_context(base: dict, rec: Recipient, attachment: str) -> dict:
    return {
        **base,
        "unit": rec.unit,
        "contact": rec.contact,
        "lead_count": rec.lead_count,
        "coop_count": rec.coop_count,
        "attachment": attachment,
        "with_partners": bool(attachment) and rec.form_with_partners,
        "rejected": rec.rejected,
        "reasons": list(rec.reasons),
        "last_received": rec.last_received,
        "has_reference": rec.unit in base["reference_units"],
    }


def units_with_reference(workspace: Workspace, period: Period) -> frozenset[str]:
    """Units whose form shows last quarter's accepted answers (the forms' own rule, one
    loader): none in Q1, none when last quarter was never merged."""
    from reporting.core.previous import previous_answers, previous_result

    result, _note = previous_result(workspace, period)
    return frozenset(unit for unit, _role, _id in previous_answers(result))
