"""Who gets which message: the units a reminder reaches, the returns a receipt answers.

- Reminders (``outstanding``): every unit with tasks and no accepted return (the 通知:
  those whose form exists). A unit whose accepted return is followed by a rejected or held
  correction has reported: its accepted return stays in force, so it is never reminded. A
  unit whose latest return was rejected (and none accepted) is told why.
- Receipts (``due_receipts``): the latest decided return of each unit, once.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from reporting.core.ledger import Ledger, receipt_key
from reporting.core.periods import Period
from reporting.core.problems import Problem
from reporting.core.records import ReturnRecord
from reporting.core.states import RECEIPT_STAGE, Level, ReturnState, SendResult, Step
from reporting.core.submissions import Submitted, submissions
from reporting.core.workspace import Workspace
from reporting.notify.delivery import CHANNEL_CN
from reporting.taskbook.assignments import Assignments


@dataclass
class Recipient:
    """A unit to reach at this stage, with what the messages and the chase list need."""

    unit: str
    contact: str = ""
    phone: str = ""
    mobile: str = ""
    email: str = ""
    cc: str = ""
    lead_count: int = 0
    coop_count: int = 0
    form: Path | None = None  # the unit's form, when it exists
    form_with_partners: bool = False  # ``form`` is the copy mailed with the 配合反馈
    rejected: bool = False  # latest return rejected, none accepted
    reasons: list[str] = field(default_factory=list)
    last_received: str = ""  # when the rejected return arrived, e.g. 4月3日
    history: list[str] = field(default_factory=list)  # earlier sends, e.g. 4月2日 提醒（邮件）

    @property
    def status(self) -> str:
        return "已退回，待修改后重报" if self.rejected else "未报送"


# -- why a return was rejected ------------------------------------------------------------
def problem_text(problem) -> str:
    """One line for a rejection reason recorded by intake: place and fix, no file name."""
    if isinstance(problem, dict) and problem.get("text"):
        return Problem.from_dict(problem).located
    if isinstance(problem, dict):
        return str(problem.get("message") or problem)
    return str(problem)


def is_error(problem) -> bool:
    return not (isinstance(problem, dict) and problem.get("level") == Level.WARNING)


def error_reasons(row) -> list[str]:
    """Why a ledger ``returns`` row was rejected: place and fix of each error (no warnings)."""
    reasons = [problem_text(p) for p in Ledger.problems_of(row) if is_error(p)]
    return reasons or ["表格未通过校验"]


# -- reminders -------------------------------------------------------------------------------
def outstanding(
    assignments: Assignments,
    workspace: Workspace,
    ledger: Ledger,
    period: Period,
    stage: str,
    coming: Collection[str] = (),
) -> tuple[list[Recipient], list[str]]:
    """Units to reach at ``stage`` and, for the 通知, units whose form does not exist yet
    (``coming``: units whose form is being written meanwhile count as having one).

    Units with an accepted return are never reminded (not even by a late 通知): the
    ``core.submissions`` state every report and the 通报 read.
    """
    states = submissions(assignments.by_unit, ledger.returns(str(period)))
    history = send_history(ledger, period)
    units = assignments.registry.units
    out, no_form = [], []
    for name, rows in assignments.by_unit.items():
        state = states[name]
        if state.accepted:
            continue
        form: Path | None = workspace.form_path(period, name)
        if form is not None and name not in coming and not form.exists():
            form = None
            if stage == Step.NOTICE:
                no_form.append(name)
        with_partners = stage in (Step.URGE, Step.OVERDUE) and _newer_copy(workspace, period, name)
        if with_partners:  # the latest version of the form: the partners' answers are in it
            form = workspace.form_copy_path(period, name)
        u = units[name]
        rec = Recipient(
            unit=name,
            contact=u.contact,
            phone=u.phone,
            mobile=u.mobile,
            email=u.email,
            cc=u.cc,
            lead_count=len(rows.lead),
            coop_count=len(rows.coop),
            form=form,
            form_with_partners=with_partners,
            history=history.get(name, []),
        )
        # told why when the latest return was refused for its content (not unidentified)
        last = state.current
        if state.state == Submitted.REJECTED and last["state"] == ReturnState.REJECTED:
            rec.rejected = True
            rec.reasons = error_reasons(last)
            rec.last_received = short_day(last["received_at"])
        out.append(rec)
    return out, no_form


def _newer_copy(workspace: Workspace, period: Period, unit: str) -> bool:
    """Whether the unit's form copy with its partners' feedback exists and is not older
    than its form (a form built again since, e.g. with --force, supersedes the copy)."""
    try:
        copy = workspace.form_copy_path(period, unit).stat().st_mtime
    except OSError:
        return False
    try:
        return copy >= workspace.form_path(period, unit).stat().st_mtime
    except OSError:
        return True


def send_history(ledger: Ledger, period: Period) -> dict[str, list[str]]:
    """Per unit, what reached it so far, one line per day and stage in date order:
    "4月2日 提醒（邮件、企业微信）" (the date first: it lines up, and a narrow column
    wraps after it, never inside)."""
    sent: dict[str, dict[tuple[str, str], list[str]]] = {}
    rows = [r for r in ledger.sends(str(period)) if r["result"] == SendResult.SENT]
    for row in sorted(rows, key=lambda r: r["at"] or ""):
        # a unit still owing a form was only ever sent the 退回通知 kind of receipt
        kind = "退回通知" if row["stage"] == RECEIPT_STAGE else row["stage"]
        channels = sent.setdefault(row["unit"], {}).setdefault((short_day(row["at"]), kind), [])
        name = CHANNEL_CN.get(row["channel"], row["channel"])
        if name not in channels:
            channels.append(name)
    return {
        unit: [f"{day} {kind}（{'、'.join(ch)}）" for (day, kind), ch in days.items()]
        for unit, days in sent.items()
    }


def short_day(iso: str) -> str:
    """``2024-04-03T10:00:00+08:00`` → 4月3日."""
    try:
        d = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return str(iso or "")
    return f"{d.month}月{d.day}日"


# -- receipts --------------------------------------------------------------------------------
@dataclass
class Due:
    """A return to answer with a 回执 or 退回通知."""

    row: ReturnRecord  # the ledger ``returns`` row answered (the unit's latest)
    in_force: ReturnRecord | None  # an earlier accepted return still in force (latest rejected)
    versions: int


def due_receipts(
    assignments: Assignments, ledger: Ledger, period: Period | str
) -> tuple[list[Due], int]:
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
        if done.get(receipt_key(latest["sha256"])) == SendResult.SENT:
            continue
        superseded += sum(1 for r in rows[:-1] if receipt_key(r["sha256"]) not in done)
        in_force = None
        if latest["state"] != ReturnState.ACCEPTED:
            accepted = [r for r in rows[:-1] if r["state"] == ReturnState.ACCEPTED]
            in_force = accepted[-1] if accepted else None
        out.append(Due(latest, in_force, len(rows)))
    return out, superseded
