"""The 落实方案 round's intake and status: ``collect_plans`` takes in the round's inbox
(``<data>/<year>/落实方案/inbox``: files, saved mails; a 落实方案表 in a quarter's inbox or
the office mailbox comes here through ``rounds.round_for``) exactly as ``collect`` does a
quarter's; ``plan_status`` says, for each lead unit, what it has sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from reporting.core.calendar import plan_calendar
from reporting.core.config import Settings
from reporting.core.ledger import Ledger
from reporting.core.periods import cn_time
from reporting.core.states import ReturnState
from reporting.core.submissions import Submitted, counts, counts_text, submissions
from reporting.core.workspace import Workspace
from reporting.forms.plan_form import lead_rows
from reporting.forms.plan_spec import plan_key, plan_label
from reporting.intake.collect import collect_round
from reporting.intake.collect_summary import CollectSummary
from reporting.intake.rounds import plan_round
from reporting.notify.recipients import error_reasons
from reporting.taskbook.assignments import Assignments


def lead_units(assignments: Assignments) -> dict[str, int]:
    """unit → how many tasks it leads (the units a 落实方案 is due from, registry order)."""
    return {u: len(rows) for u, rows in lead_rows(assignments).items()}


def collect_plans(
    settings: Settings,
    assignments: Assignments,
    workspace: Workspace,
    year: int,
    *,
    now: datetime,
    ledger: Ledger,
    workers: int | None = None,
) -> CollectSummary:
    """Take in every new file of the year's 落实方案 inbox into the ledger (``workers``: as
    ``collect`` takes it)."""
    round_ = plan_round(settings, assignments, workspace, year)
    inbox = workspace.plan_inbox(year)
    return collect_round(
        settings, assignments, workspace, round_, inbox, now, ledger=ledger, workers=workers
    )


@dataclass
class PlanUnit:
    unit: str
    tasks: int
    form: bool  # its 落实方案表 was built
    notice: bool  # the 通知 went out
    state: Submitted
    received_at: str = ""
    versions: int = 0
    reasons: list[str] = field(default_factory=list)  # of its latest rejected version
    held_id: int | None = None  # a return waiting for the office's check of its sender


@dataclass
class PlanStatus:
    year: int
    deadline: str
    units: list[PlanUnit]
    now: datetime

    def counts(self) -> dict[str, int]:
        return counts(u.state for u in self.units)

    def lines(self) -> list[str]:
        c = self.counts()
        out = [
            f"{plan_label(self.year)}：截止 {self.deadline}；应报 {c['due']} 个牵头单位，{counts_text(c)}。"
        ]
        for u in self.units:
            when = f"，{cn_time(u.received_at, self.now.date())}收到" if u.received_at else ""
            versions = f"，共 {u.versions} 份" if u.versions > 1 else ""
            sent = "" if u.notice else "（尚未发通知）"
            line = f"  {u.unit}（牵头 {u.tasks} 项）：{u.state}{when}{versions}{sent}"
            if u.held_id is not None:
                line += f"；待核实编号 {u.held_id}"
            out.append(line)
            out += [f"      - {r}" for r in u.reasons[:5]]
        return out

    def to_json(self) -> dict:
        return {
            "year": self.year,
            "deadline": self.deadline,
            "counts": self.counts(),
            "units": [
                {
                    "unit": u.unit,
                    "tasks": u.tasks,
                    "form": u.form,
                    "notice": u.notice,
                    "state": u.state.value,
                    "received_at": u.received_at,
                    "versions": u.versions,
                    "reasons": u.reasons,
                    "held_id": u.held_id,
                }
                for u in self.units
            ],
        }


def plan_status(
    settings: Settings, assignments: Assignments, ledger: Ledger, year: int, *, now: datetime
) -> PlanStatus:
    key = plan_key(year)
    leads = lead_units(assignments)
    subs = submissions(leads, ledger.returns(key))
    forms = ledger.forms(key)
    held = {r["unit"]: r["id"] for r in ledger.reviews(key) if r["decision"] is None}
    units = []
    for unit, n in leads.items():
        sub = subs[unit]
        cur = sub.current
        reasons = []
        if cur is not None and cur["state"] == ReturnState.REJECTED:
            reasons = error_reasons(cur)
        elif sub.refused is not None:
            reasons = error_reasons(sub.refused)
        units.append(
            PlanUnit(
                unit,
                n,
                unit in forms,
                ledger.notice_sent(key, unit),
                sub.state,
                cur["received_at"] if cur is not None else "",
                sub.versions,
                reasons,
                held.get(unit),
            )
        )
    cal = plan_calendar(year, settings.plan, settings.deadline.zone)
    return PlanStatus(year, cal.deadline_label, units, now)
