"""The 看板's 督办单 list: every 督办单 of the year issued up to the page's period, with its
rung, 承办单位, 整改时限 and where it stands at that period (办理中, 已过时限, or answered by
a later quarter's return: 办结 / 续办)."""

from __future__ import annotations

from datetime import date

from reporting.assess.orders import CLOSED
from reporting.core.labels import task_label
from reporting.core.ledger.orders import OrderRecord
from reporting.core.periods import Period, chinese_date


def order_rows(orders: list[OrderRecord], period: Period, today: date) -> list[dict]:
    """One row per 督办单 of ``period``'s year issued in or before it, by number; what is
    answered after ``period`` is still 办理中 on this page (the page shows its quarter)."""
    rows = []
    for o in orders:
        issued = Period.parse(o.period)
        if issued.year != period.year or issued > period:
            continue
        due = date.fromisoformat(o.due)
        answer = Period.parse(o.answered_in) if o.answered_in else None
        answered = answer is not None and answer <= period
        if answer is not None and answered:
            state = f"{o.outcome}（{answer.label}报送）"
            slug = "closed" if o.outcome == CLOSED else "carried"
        elif due < today:
            state, slug = "已过整改时限，未办结", "late"
        else:
            state, slug = "办理中", "open"
        rows.append(
            {
                "text": o.text,
                "issued": issued.label,
                "task": task_label(o.task_id),
                "rung": o.rung,
                "units": "、".join(o.units),
                "due": chinese_date(due),
                "state": state,
                "slug": slug,
                "open": not answered,
            }
        )
    return rows
