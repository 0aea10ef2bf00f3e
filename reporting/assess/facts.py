"""How each unit reported in a period, with the ledger record behind every fact.

One reading of the ledger for the 督查通报 (who is praised or named) and the 考核评价 (what
each point rests on). The state is ``core.submissions``'s (the one answer every document
shows); this adds the record behind it: the return in force, the first rejection before it,
or — for a unit that sent nothing — the notice that reached it. ``Event`` names a ledger row
(``returns#47``, ``sends#12``, ``adjustments#3``) for the program, and says in words where a
person finds it (``Event.text``: "2024年第二季度 区发改委 7月2日9时报送的进展情况表（第2份，
归档文件 archive/ab/….xlsx）") — what every sheet a clerk reads shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from reporting.core.ledger import Ledger
from reporting.core.model import QuarterResult
from reporting.core.periods import Period, cn_time
from reporting.core.states import Level, SendResult, Step
from reporting.core.submissions import Submitted
from reporting.core.submissions import submissions as unit_submissions
from reporting.intake.inbox import archive_path

CHANNELS = {"email": "邮件", "wecom": "企业微信", "dingtalk": "钉钉"}


@dataclass(frozen=True)
class Event:
    """A ledger row (table and id) and, in words, where a person finds what it records."""

    table: str
    id: int
    text: str = field(default="", compare=False)

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


def notice_event(sends: list, unit: str, period: Period | None = None) -> Event | None:
    """The send that reached ``unit`` first (the 通知 before any later stage)."""
    reached = [s for s in sends if s["unit"] == unit and s["result"] == SendResult.SENT]
    reached.sort(key=lambda s: (s["stage"] != Step.NOTICE, s["id"]))
    if not reached:
        return None
    send = reached[0]
    text = ""
    if period is not None:
        how = CHANNELS.get(send["channel"], "")
        text = (
            f"{period.full_label} 向{unit}发出的{send['stage']}"
            f"（{_when(send['at'], period)}{'，' + how if how else ''}）"
        )
    return Event("sends", send["id"], text)


def _when(iso: str, period: Period) -> str:
    """'7月2日9时', with the year when it is not the period's (a Q4 return in January)."""
    return cn_time(iso, date(period.year, 1, 1))


def return_event(row, period: Period, order: int) -> Event:
    """A return as a person finds it: when it came, which one it was, where its copy is kept."""
    kept = archive_path(Path("archive"), row["sha256"], row["source"]).as_posix()
    state = "，被退回" if row["state"] == "rejected" else ""
    return Event(
        "returns",
        row["id"],
        f"{period.full_label} {row['unit']} {_when(row['received_at'], period)}报送的进展情况表"
        f"（第{order}份{state}，归档文件：数据目录下 {kept}）",
    )


def submissions(ledger: Ledger, result: QuarterResult) -> list[SubmissionFacts]:
    """Every unit due in ``result`` (its order), as the ledger records its returns."""
    period = result.period
    when = Period.parse(period)
    returns = ledger.returns(period)
    subs = unit_submissions([ur.unit for ur in result.units], returns)
    order: dict[int, int] = {}
    seen: dict[str, int] = {}
    for row in returns:  # received order: the unit's first, second … return
        seen[row["unit"]] = seen.get(row["unit"], 0) + 1
        order[row["id"]] = seen[row["unit"]]
    sends = ledger.sends(period)
    out = []
    for ur in result.units:
        sub = subs[ur.unit]
        facts = SubmissionFacts(period, ur.unit, ur.kind, sub.state)
        cur = sub.current
        if cur is None:
            facts.event = notice_event(sends, ur.unit, when)
        else:
            facts.event = return_event(cur, when, order[cur["id"]])
            facts.source, facts.received_at = cur["source"], cur["received_at"]
        if sub.accepted:
            facts.resubmitted = sub.resubmitted
            rejection = sub.rejection
            facts.rejection = (
                return_event(rejection, when, order[rejection["id"]]) if rejection else None
            )
            errors = [
                p for p in Ledger.problems_of(cur) if p.get("level", Level.ERROR) == Level.ERROR
            ]
            facts.complete = not errors
        out.append(facts)
    return out
