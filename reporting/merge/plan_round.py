"""The 落实方案 round of a year in one call (``duban plan``): the 落实方案表 of every lead
unit (built once), the round's inbox taken in, every return answered (回执 / 退回通知, when
mail is set up), and the 落实方案汇总表 written from the task table with the accepted plans
applied. Sending the 通知 and reminders is ``notify.plan_notice.send_plan_notices``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from reporting.core.config import Settings
from reporting.core.exceptions import NotifyError
from reporting.core.ledger import Ledger
from reporting.core.workspace import Workspace
from reporting.forms.plan_form import PlanFormsSummary, build_plan_forms
from reporting.forms.plan_spec import plan_key
from reporting.intake.collect_summary import CollectSummary
from reporting.intake.plan_intake import PlanStatus, collect_plans, plan_status
from reporting.merge.plan_summary import write_plan_summary
from reporting.notify.delivery import email_configured
from reporting.notify.plan_notice import PlanSendSummary, send_plan_receipts
from reporting.taskbook.assignments import Assignments
from reporting.taskbook.plans import accepted_plans, planned_tasks


@dataclass
class PlanRound:
    year: int
    forms: PlanFormsSummary
    collected: CollectSummary
    status: PlanStatus
    summary: Path
    receipts: PlanSendSummary | None = None
    notes: list[str] = field(default_factory=list)

    def lines(self, brief: bool = False) -> list[str]:
        """What was done; ``brief``: the units' states counted, not listed one by one."""
        out = [*self.forms.lines(), *self.collected.lines()]
        if self.receipts is not None and self.receipts.outcomes:
            out += self.receipts.lines()
        out += self.notes
        out += self.status.lines()[:1] if brief else self.status.lines()
        out.append(f"落实方案汇总表：{self.summary}")
        return out


def planned_assignments(assignments: Assignments, ledger: Ledger, year: int) -> Assignments:
    """``assignments`` (the task table as written) with the year's accepted plans applied."""
    plans = accepted_plans(ledger, plan_key(year))
    leads = {r.id: r.lead_units for r in assignments.rows}
    return Assignments(planned_tasks(assignments.tasks, plans, leads), assignments.registry)


def run_plan_round(
    settings: Settings,
    assignments: Assignments,
    workspace: Workspace,
    year: int,
    *,
    ledger: Ledger,
    now: datetime,
    force: bool = False,
    receipts: bool = True,
) -> PlanRound:
    """``assignments``: the task table as tasks.csv writes it (the office's 节点 win)."""
    forms = build_plan_forms(
        settings, assignments, workspace, year, now=now, ledger=ledger, force=force
    )
    collected = collect_plans(settings, assignments, workspace, year, now=now, ledger=ledger)
    answered = None
    notes = []
    if receipts and settings.intake.receipts and email_configured(settings):
        try:
            answered = send_plan_receipts(settings, assignments, year, ledger=ledger, now=now)
        except NotifyError as exc:
            notes.append(f"回执和退回通知未能发送：{exc}；排除后再次运行 duban plan 即可补发")
    status = plan_status(settings, assignments, ledger, year, now=now)
    path = workspace.plan_summary(year)
    write_plan_summary(
        planned_assignments(assignments, ledger, year), status, path, settings, now=now
    )
    return PlanRound(year, forms, collected, status, path, answered, notes)
