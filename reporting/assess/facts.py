"""How each unit reported in a period, with the ledger record behind every fact.

One reading of the ledger for the 督查通报 (who is praised or named) and the 考核评价 (what
each point rests on): the return in force (the latest accepted one, as the merge uses it),
whether it came late, whether a rejected version came before it, or — for a unit that sent
nothing usable — the notice that reached it. ``Event`` names a ledger row (``returns#47``,
``sends#12``, ``adjustments#3``) so a person can look it up.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from reporting.core.ledger import Ledger
from reporting.core.model import QuarterResult


class Submitted(StrEnum):
    ON_TIME = "按时报送"
    LATE = "逾期报送"
    REJECTED = "退回后未重报"
    MISSING = "未报送"


@dataclass(frozen=True)
class Event:
    """A ledger row: table and id."""

    table: str
    id: int

    @property
    def ref(self) -> str:
        return f"{self.table}#{self.id}"


@dataclass
class Submission:
    period: str
    unit: str
    kind: str
    state: Submitted
    resubmitted: bool = False  # a rejected version came before the return in force
    complete: bool = False  # the return in force has no error-level problem
    event: Event | None = None  # the return in force, the rejected return, or the notice sent
    rejection: Event | None = None  # the first rejection before the return in force
    source: str = ""  # the file of ``event`` (a return)
    received_at: str = ""

    @property
    def accepted(self) -> bool:
        return self.state in (Submitted.ON_TIME, Submitted.LATE)


def notice_event(sends: list, unit: str) -> Event | None:
    """The send that reached ``unit`` first (the 通知 before any later stage)."""
    reached = [s for s in sends if s["unit"] == unit and s["result"] == "sent"]
    reached.sort(key=lambda s: (s["stage"] != "通知", s["id"]))
    return Event("sends", reached[0]["id"]) if reached else None


def submissions(ledger: Ledger, result: QuarterResult) -> list[Submission]:
    """Every unit due in ``result`` (its order), as the ledger records its returns."""
    period = result.period
    by_unit: dict[str, list] = {}
    for row in ledger.returns(period):  # received order, as the merge reads them
        if row["unit"]:
            by_unit.setdefault(row["unit"], []).append(row)
    sends = ledger.sends(period)
    out = []
    for ur in result.units:
        rows = by_unit.get(ur.unit, [])
        accepted = [r for r in rows if r["state"] == "accepted"]
        sub = Submission(period, ur.unit, ur.kind, Submitted.MISSING)
        if accepted:
            cur = accepted[-1]
            before = [r for r in rows[: rows.index(cur)] if r["state"] != "accepted"]
            sub.state = Submitted.LATE if cur["late"] else Submitted.ON_TIME
            sub.resubmitted = bool(before)
            sub.rejection = Event("returns", before[0]["id"]) if before else None
            errors = [p for p in Ledger.problems_of(cur) if p.get("level", "error") == "error"]
            sub.complete = not errors
        elif rows:
            cur = rows[-1]
            sub.state = Submitted.REJECTED
        else:
            sub.event = notice_event(sends, ur.unit)
            out.append(sub)
            continue
        sub.event = Event("returns", cur["id"])
        sub.source, sub.received_at = cur["source"], cur["received_at"]
        out.append(sub)
    return out
