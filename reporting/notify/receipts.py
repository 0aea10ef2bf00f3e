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

from reporting.core.calendar import UnknownYearWarning, period_calendar
from reporting.core.config import Settings
from reporting.core.exceptions import NotifyError
from reporting.core.ledger import Ledger, receipt_key
from reporting.core.messages import render_message
from reporting.core.periods import Period, cn_time
from reporting.core.records import ReturnRecord
from reporting.core.states import RECEIPT_STAGE, ReturnState
from reporting.core.workspace import Workspace
from reporting.notify.remind import (
    RESULT_CN,
    Outcome,
    SendTally,
    deliver,
    error_reasons,
    global_cc,
    is_error,
    message_context,
    open_mailer,
    problem_text,
    record_outcome,
    unit_addresses,
)
from reporting.taskbook.assignments import Assignments

TEMPLATES = {"accepted": "mail_receipt_ok.txt.j2", "rejected": "mail_receipt_rejected.txt.j2"}
KIND_CN = {"accepted": "回执", "rejected": "退回通知"}
LIST_LIMIT = 30  # sent receipts named one by one up to this many


def email_configured(settings: Settings) -> bool:
    """Mail can go out: a server, or an outbox directory for .eml files."""
    return bool(settings.smtp.host or settings.smtp.outbox)


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

    def count(self, result: str, kind: str | None = None) -> int:
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
        for result in ("planned", "sent", "failed", "skipped"):
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
        shown = [r for r in self.receipts if r.outcome.result in ("sent", "planned")]
        if len(shown) > LIST_LIMIT and not self.dry_run:  # a big batch: see duban status
            out.append(f"  各单位的回执情况见 duban status --period {self.period} 的“回执”一栏")
            shown = []
        for r in shown:
            o = r.outcome
            plan = f" → {o.target}：{o.subject}" if self.dry_run else ""
            out.append(f"  {r.kind_cn} {r.unit}：{r.file}{plan}")
        for r in self.receipts:
            o = r.outcome
            if o.result in ("failed", "skipped"):
                out.append(f"  {RESULT_CN[o.result]}：{r.kind_cn} {r.unit}（{r.file}）：{o.detail}")
        out += self.notes
        if self.failed:
            out.append(
                f"有 {self.failed} 份回执发送失败，已记入台账；排除问题后再次运行 duban collect"
                f" --period {self.period} 即可补发，已发送的不会重复。"
            )
        return out


# -- what to answer ------------------------------------------------------------------------
@dataclass
class _Due:
    row: ReturnRecord  # the ledger ``returns`` row answered (the unit's latest)
    in_force: ReturnRecord | None  # an earlier accepted return still in force (latest rejected)
    versions: int


def due_receipts(
    assignments: Assignments, ledger: Ledger, period: Period
) -> tuple[list[_Due], int]:
    """The latest return of each unit whose receipt has not gone out (registry order), and
    how many earlier returns were never answered and are now covered by it."""
    done = ledger.receipt_results(period)
    by_unit: dict[str, list] = {}
    for row in ledger.returns(period):
        if row["unit"]:
            by_unit.setdefault(row["unit"], []).append(row)
    order = {u: i for i, u in enumerate(assignments.registry.units)}
    out, superseded = [], 0
    for unit in sorted(by_unit, key=lambda u: (order.get(u, len(order)), u)):
        # a held return (待核实) is answered once the office has decided (duban review)
        rows = [r for r in by_unit[unit] if r["state"] != ReturnState.HELD]
        if not rows:
            continue
        latest = rows[-1]
        if done.get(receipt_key(latest["sha256"])) == "sent":
            continue
        superseded += sum(1 for r in rows[:-1] if receipt_key(r["sha256"]) not in done)
        in_force = None
        if latest["state"] != "accepted":
            accepted = [r for r in rows[:-1] if r["state"] == "accepted"]
            in_force = accepted[-1] if accepted else None
        out.append(_Due(latest, in_force, len(rows)))
    return out, superseded


def receipt_context(base: dict, due: _Due, unit, *, overdue: bool, today) -> dict:
    """The template variables of one receipt (see docs/reminders.md)."""
    row = due.row
    problems = Ledger.problems_of(row)
    accepted = row["state"] == "accepted"
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
    from reporting.notify.mailer import Mail, clean_header

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
    mailer = open_mailer(
        settings, ssl_context=ssl_context, dry_run=dry_run, notes=summary.notes, now=now
    )
    extra_cc = global_cc(settings)
    bad = "skipped" if dry_run else "failed"  # an unusable address: nothing can be sent
    planned: list[tuple[Mail | None, Outcome]] = []
    by_unit: dict[str, Receipt] = {}
    for due in dues:
        row = due.row
        kind = ReturnState.ACCEPTED if row["state"] == "accepted" else "rejected"
        rec = Receipt(
            row["unit"],
            kind,
            row["sha256"],
            row["source"],
            row["received_at"],
            Outcome(row["unit"], "email", "planned"),
        )
        summary.receipts.append(rec)
        by_unit[rec.unit] = rec
        out = rec.outcome
        unit = assignments.registry.units.get(rec.unit)
        if unit is None:
            out.result = bad
            out.detail = "该单位已不在单位名录（units.csv）中，无法发送；如已改名，请在 [registry] aliases 中登记"
            planned.append((None, out))
            continue
        try:
            to, cc = unit_addresses(unit.email, unit.cc, extra_cc)
        except NotifyError as exc:
            out.result, out.detail = bad, str(exc)
            planned.append((None, out))
            continue
        overdue = kind == ReturnState.REJECTED and due.in_force is None and now > cal.deadline
        base = message_context(settings, cal, rec.kind_cn, today)
        ctx = receipt_context(base, due, unit, overdue=overdue, today=today)
        # render everything first: a template error stops the run before any message goes out
        msg = render_message(settings.templates_dir, TEMPLATES[kind], ctx)
        mail = Mail(
            to=[(f"{rec.unit} {unit.contact}".strip(), addr) for addr in to],
            cc=cc,
            subject=msg.subject,
            body=msg.body,
            label=f"{period}_{rec.kind_cn}_{rec.unit}_{receipt_key(rec.sha256)[:8]}",
        )
        out.target = "、".join(to + [f"抄送 {a}" for a in cc])
        out.subject = clean_header(msg.subject)
        planned.append((mail, out))
    if dry_run:
        return summary

    at = now.isoformat(timespec="seconds")

    def claim(out: Outcome) -> int | None:
        key = receipt_key(by_unit[out.unit].sha256)
        return ledger.claim_send(str(period), out.unit, RECEIPT_STAGE, "email", key=key, at=at)

    def record(out: Outcome, detail: str) -> None:
        rec = by_unit[out.unit]
        text = f"{receipt_key(rec.sha256)} {rec.kind_cn} {rec.source}" + (
            f"：{detail}" if detail else ""
        )
        record_outcome(ledger, str(period), RECEIPT_STAGE, out, text, at=at)

    deliver(
        mailer,
        planned,
        smtp=settings.smtp,
        sleep=sleep,
        record=record,
        claim=claim,
        notes=summary.notes,
    )
    return summary
