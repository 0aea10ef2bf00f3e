"""Receipts after collect: every return is answered at once (回执 / 退回通知).

For each unit with a return recorded for the period, the latest return is answered by one
email to the unit (units.csv ``email``, Cc its ``cc`` and ``[smtp] cc``, as reminders):

- accepted → 回执: when it arrived, which file, warnings if any, late or not, and that this
  submission is the one in force;
- rejected → 退回通知: the reasons (sheet!cell and the fix), the deadline and whether it has
  passed; when an earlier accepted return is still in force, it says so.

Only the latest return of a unit is answered: a rejected return superseded by a later one
before receipts ran gets no stale 退回通知. Files that could not be tied to a unit get
nothing (they are listed by ``duban status``).

Every attempt is recorded in the ledger ``sends`` with stage ``回执`` and a detail that
starts with the return's ``receipt_key``, so a rerun sends nothing again and a failed
receipt is retried at the next collect (with backoff within a run, like reminders).
``dry_run`` shows what would be sent without sending or recording anything.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath

from reporting.core.calendar import UnknownYearWarning, deadline_passed, period_calendar
from reporting.core.config import Settings
from reporting.core.ledger import Ledger, receipt_key
from reporting.core.messages import render_message
from reporting.core.periods import Period, cn_time
from reporting.core.states import RECEIPT_STAGE, ReturnState, SendResult
from reporting.core.workspace import Workspace
from reporting.notify.context import message_context
from reporting.notify.delivery import RESULT_CN, MailBatch, Outcome, SendLog, SendTally
from reporting.notify.recipients import Due, due_receipts, error_reasons, is_error, problem_text
from reporting.taskbook.assignments import Assignments

TEMPLATES = {"accepted": "mail_receipt_ok.txt.j2", "rejected": "mail_receipt_rejected.txt.j2"}
KIND_CN = {"accepted": "回执", "rejected": "退回通知"}
LIST_LIMIT = 30  # sent receipts named one by one up to this many


@dataclass
class Receipt:
    """One return to answer and what happened to its message."""

    unit: str
    kind: str  # accepted | rejected
    sha256: str
    source: str
    received_at: str
    outcome: Outcome

    @property
    def kind_cn(self) -> str:
        return KIND_CN[self.kind]

    @property
    def file(self) -> str:
        return PurePath(self.source).name


@dataclass
class ReceiptSummary(SendTally):
    period: Period
    dry_run: bool
    receipts: list[Receipt] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    superseded: int = 0  # earlier unanswered returns covered by the answer to a later one

    def count(self, result: SendResult, kind: str | None = None) -> int:
        return sum(
            1
            for r in self.receipts
            if r.outcome.result == result and (kind is None or r.kind == kind)
        )

    def lines(self) -> list[str]:
        if not self.receipts:
            return [*self.notes, "回执：没有新的报送需要回复。"]
        out = []
        if self.dry_run:
            out.append("【演练】以下回执和退回通知本次不发送、不记录台账：")
        parts = []
        for result in (
            SendResult.PLANNED,
            SendResult.SENT,
            SendResult.FAILED,
            SendResult.SKIPPED,
        ):
            n = self.count(result)
            if n:
                kinds = "，".join(
                    f"{KIND_CN[k]} {self.count(result, k)}"
                    for k in KIND_CN
                    if self.count(result, k)
                )
                parts.append(f"{RESULT_CN[result]} {n}（{kinds}）")
        out.append("回执：" + "；".join(parts) + "。")
        if self.superseded:
            out.append(
                f"  另有 {self.superseded} 份较早的报送已被同一单位后来的报送取代，只回复最新一份。"
            )
        shown = [
            r for r in self.receipts if r.outcome.result in (SendResult.SENT, SendResult.PLANNED)
        ]
        if len(shown) > LIST_LIMIT and not self.dry_run:  # a big batch: see duban status
            out.append(f"  各单位的回执情况见 duban status --period {self.period} 的“回执”一栏")
            shown = []
        for r in shown:
            o = r.outcome
            plan = f" → {o.target}：{o.subject}" if self.dry_run else ""
            out.append(f"  {r.kind_cn} {r.unit}：{r.file}{plan}")
        for r in self.receipts:
            o = r.outcome
            if o.result in (SendResult.FAILED, SendResult.SKIPPED):
                out.append(f"  {RESULT_CN[o.result]}：{r.kind_cn} {r.unit}（{r.file}）：{o.detail}")
        out += self.notes
        if self.failed:
            out.append(
                f"有 {self.failed} 份回执发送失败，已记入台账；排除问题后再次运行 duban collect"
                f" --period {self.period} 即可补发，已发送的不会重复。"
            )
        return out


# -- what to say ---------------------------------------------------------------------------
def receipt_context(base: dict, due: Due, unit, *, overdue: bool, today) -> dict:
    """The template variables of one receipt (see docs/reminders.md)."""
    row = due.row
    problems = Ledger.problems_of(row)
    accepted = row["state"] == ReturnState.ACCEPTED
    return {
        **base,
        "unit": row["unit"],
        "contact": unit.contact if unit else "",
        "file": PurePath(row["source"]).name,
        "received": cn_time(row["received_at"], today),
        "accepted": accepted,
        "late": bool(row["late"]),
        "versions": due.versions,
        "warnings": [problem_text(p) for p in problems if not is_error(p)],
        "reasons": [] if accepted else error_reasons(row),
        "in_force": PurePath(due.in_force["source"]).name if due.in_force else "",
        "in_force_received": cn_time(due.in_force["received_at"], today) if due.in_force else "",
        "overdue": overdue,
    }


# -- the step ------------------------------------------------------------------------------
def send_receipts(
    settings: Settings,
    assignments: Assignments,
    workspace: Workspace,
    period: Period | str,
    *,
    ledger: Ledger,
    dry_run: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    ssl_context=None,
    now: datetime,
) -> ReceiptSummary:
    """Answer every return of the period not answered yet; see the module docstring.

    Raises NotifyError before sending anything when the mail settings or a template cannot
    work; failures of single messages are recorded and reported, never raised.
    """
    period = Period.parse(period)
    today = now.date()
    summary = ReceiptSummary(period, dry_run)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UnknownYearWarning)
        cal = period_calendar(period, settings.deadline)
    dues, summary.superseded = due_receipts(assignments, ledger, period)
    if not dues:
        return summary
    summary.notes += [
        f"警告：{w.message}" for w in caught if issubclass(w.category, UnknownYearWarning)
    ]
    batch = MailBatch(
        settings, ssl_context=ssl_context, dry_run=dry_run, notes=summary.notes, now=now
    )
    by_unit: dict[str, Receipt] = {}
    for due in dues:
        row = due.row
        kind = (
            ReturnState.ACCEPTED if row["state"] == ReturnState.ACCEPTED else ReturnState.REJECTED
        )
        rec = Receipt(
            row["unit"],
            kind,
            row["sha256"],
            row["source"],
            row["received_at"],
            Outcome(row["unit"], "email"),
        )
        summary.receipts.append(rec)
        by_unit[rec.unit] = rec
        out = rec.outcome
        unit = assignments.registry.units.get(rec.unit)
        email, cc = (unit.email, unit.cc) if unit else (None, "")
        to = batch.addresses(out, email, cc)
        if unit is None or to is None:
            continue
        overdue = (
            kind == ReturnState.REJECTED
            and due.in_force is None
            and deadline_passed(cal.deadline, now)
        )
        base = message_context(settings, cal, rec.kind_cn, today, now=now)
        ctx = receipt_context(base, due, unit, overdue=overdue, today=today)
        # render everything first: a template error stops the run before any message goes out
        msg = render_message(settings.templates_dir, TEMPLATES[kind], ctx)
        label = f"{period}_{rec.kind_cn}_{rec.unit}_{receipt_key(rec.sha256)[:8]}"
        batch.add(out, f"{rec.unit} {unit.contact}".strip(), to, msg, label=label)
    if dry_run:
        return summary

    def text(out: Outcome, detail: str) -> str:
        rec = by_unit[out.unit]
        return f"{receipt_key(rec.sha256)} {rec.kind_cn} {rec.source}" + (
            f"：{detail}" if detail else ""
        )

    log = SendLog(
        ledger,
        str(period),
        RECEIPT_STAGE,
        now.isoformat(timespec="seconds"),
        key=lambda out: receipt_key(by_unit[out.unit].sha256),
        text=text,
    )
    batch.send(log, sleep=sleep)
    return summary
