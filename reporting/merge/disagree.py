"""Where a lead unit and a cooperating unit tell one task differently: the lead unit says
it is done or ahead of pace (已完成/超序时), a partner says it lags or has not started
(滞后/未启动). The one rule behind the 汇总表's flag, the report annex's flag and the list in
the 配合反馈 summary; the office checks each with the units.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reporting.core.model import Answer, RowResult
from reporting.core.states import Status

LEAD_SAYS = (Status.DONE, Status.AHEAD)
PARTNER_SAYS = (Status.LAGGING, Status.NOT_STARTED)
FLAG = "说法不一"  # the word the 汇总表 and the annex mark a task with


@dataclass(frozen=True)
class Disagreement:
    task_label: str  # 8（1）
    lead: str
    lead_status: str
    partner: str
    partner_status: str

    @property
    def reason(self) -> str:
        """Without the task: 牵头单位区发改委报“超序时”，配合单位区财政局报“滞后”."""
        return (
            f"牵头单位{self.lead}报“{self.lead_status}”，"
            f"配合单位{self.partner}报“{self.partner_status}”"
        )

    @property
    def text(self) -> str:
        return f"{self.task_label}：{self.reason}"


def disagreements(
    task_label: str, leads: Iterable[Answer], partners: Iterable[Answer]
) -> list[Disagreement]:
    """Each (lead report, partner feedback) pair of one task that disagrees, in input order."""
    partners = list(partners)
    out = []
    for a in leads:
        if a.status not in LEAD_SAYS:
            continue
        for b in partners:
            if b.status in PARTNER_SAYS:
                out.append(Disagreement(task_label, a.unit, str(a.status), b.unit, str(b.status)))
    return out


def row_disagreements(row: RowResult) -> list[Disagreement]:
    """The disagreements of one merged task row (its lead reports and partners' feedback)."""
    return disagreements(row.label, row.lead_reports, row.coop_feedback)
