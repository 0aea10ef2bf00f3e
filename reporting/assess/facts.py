"""How each unit reported in a period, with the ledger record behind every fact.

One reading of the ledger for the 督查通报 (who is praised or named) and the 考核评价 (what
each point rests on). The state is ``core.submissions``'s (the one answer every document
shows); this adds the record behind it: the return in force, the first rejection before it,
or — for a unit that sent nothing — the notice that reached it. ``Event`` names a ledger row
(``returns#47``, ``sends#12``, ``adjustments#3``) so a person can look it up.
"""

from __future__ import annotations

from dataclasses import dataclass

from reporting.core.ledger import Ledger
from reporting.core.model import QuarterResult
from reporting.core.states import Level, SendResult, Step
from reporting.core.submissions import Submitted
from reporting.core.submissions import submissions as unit_submissions


@dataclass(frozen=True)
class Event:
    """A ledger row: table and id."""

    table: str
    id: int

    @property
    def ref(self) -> str:
        return f"{self.table}#{self.id}"


@dataclass
class SubmissionFacts:
    period: str
    unit: str
    kind: str
    state: Submitted
    resubmitted: bool = False  # a rejected version came before the return in force
    complete: bool = False  # the return in force has no error-level problem
    event: Event | None = None  # the return in force, the latest return, or the notice sent
    rejection: Event | None = None  # the first rejection before the return in force
    source: str = ""  # the file of ``event`` (a return)
    received_at: str = ""

    @property
    def accepted(self) -> bool:
        return self.state.accepted


def notice_event(sends: list, unit: str) -> Event | None:
    """The send that reached ``unit`` first (the 通知 before any later stage)."""
    reached = [s for s in sends if s["unit"] == unit and s["result"] == SendResult.SENT]
    reached.sort(key=lambda s: (s["stage"] != Step.NOTICE, s["id"]))
    return Event("sends", reached[0]["id"]) if reached else None


def submissions(ledger: Ledger, result: QuarterResult) -> list[SubmissionFacts]:
    """Every unit due in ``result`` (its order), as the ledger records its returns."""
    period = result.period
    subs = unit_submissions([ur.unit for ur in result.units], ledger.returns(period))
    sends = ledger.sends(period)
    out = []
    for ur in result.units:
        sub = subs[ur.unit]
        facts = SubmissionFacts(period, ur.unit, ur.kind, sub.state)
        cur = sub.current
        if cur is None:
            facts.event = notice_event(sends, ur.unit)
        else:
            facts.event = Event("returns", cur["id"])
            facts.source, facts.received_at = cur["source"], cur["received_at"]
        if sub.accepted:
            facts.resubmitted = sub.resubmitted
            facts.rejection = Event("returns", sub.rejection["id"]) if sub.rejection else None
            errors = [
                p for p in Ledger.problems_of(cur) if p.get("level", Level.ERROR) == Level.ERROR
            ]
            facts.complete = not errors
        out.append(facts)
    return out
