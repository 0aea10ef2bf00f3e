"""Where each unit stands in a period: form sent, returned (when, which version), accepted or
rejected with the reasons, late or not. Read from the ledger only (no files are opened), so
``duban status``, reminders and the scheduler can ask at any time.

Public helpers:
- ``unit_returns(assignments, returns)`` → one ``UnitReturn`` per unit due (used by merge);
- ``period_status(settings, assignments, ledger, period, now=None)`` → ``PeriodStatus``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime

from reporting.core.calendar import deadline_passed, period_calendar
from reporting.core.columns import table
from reporting.core.config import Settings
from reporting.core.ledger import Ledger, receipt_key
from reporting.core.model import UnitReturn
from reporting.core.periods import Period, cn_time
from reporting.core.states import ReturnState, SendResult
from reporting.core.submissions import submissions
from reporting.intake.imap import mailbox_lines, mailbox_status
from reporting.intake.mailbox import is_mail_source
from reporting.taskbook.assignments import Assignments

STATE_CN = {
    "accepted": "已接收",
    "rejected": "退回待重报",
    "missing": "未报送",
    "unidentified": "无法识别",
    "held": "待核实",
}
RECEIPT_CN = {SendResult.SENT: "已发", SendResult.FAILED: "失败", "pending": "未发", "": "—"}


def _messages(row, level: str | None = None) -> list[str]:
    """Place and text of each problem, without the file name (the reader knows the file)."""
    from reporting.notify.recipients import problem_text

    out = []
    for p in Ledger.problems_of(row):
        if level is None or (p.get("level", "error") if isinstance(p, dict) else "error") == level:
            out.append(problem_text(p))
    return out


def unit_returns(assignments: Assignments, returns: list) -> list[UnitReturn]:
    """Every unit due (registry order) with the state of its returns.

    ``returns`` are ledger rows in received order; the state is ``core.submissions``'s.
    ``problems`` holds the reasons of a rejection received after the return in force (or
    of the latest return when nothing was accepted).
    """
    subs = submissions(assignments.by_unit, returns)
    out = []
    for unit, sub in subs.items():
        kind = assignments.registry.units[unit].kind
        ur = UnitReturn(unit=unit, kind=kind, state=sub.state.state, versions=sub.versions)
        cur = sub.current
        if cur is not None:
            shown = sub.refused if sub.accepted else cur
            if shown is not None:
                ur.problems = _messages(shown, "error")
            ur.received_at = cur["received_at"]
            ur.late = bool(cur["late"])
            ur.identified_by = cur["identified_by"] or ""
        out.append(ur)
    return out


@dataclass
class UnitStatus:
    unit: str
    kind: str
    form: bool = False  # a form was built for the period
    notified: bool = False  # the 通知 with the form went out
    state: str = "missing"  # accepted | rejected | missing
    received_at: str | None = None
    late: bool = False
    overdue: bool = False  # missing or rejected, and the deadline has passed
    versions: int = 0
    source: str = ""  # file name of the return in force (or the latest one)
    identified_by: str = ""
    problems: list[str] = field(default_factory=list)  # reasons of the latest rejection
    warnings: list[str] = field(default_factory=list)  # warnings of the return in force
    attachments: list[str] = field(default_factory=list)  # scans/documents sent beside the form
    receipt: str = ""  # of the latest return: sent | failed | pending ("" when none came)
    coop_feedback: list[str] = field(default_factory=list)  # when its 配合单位反馈 went out

    @property
    def state_cn(self) -> str:
        return STATE_CN.get(self.state, self.state)

    def label(self, started: bool) -> str:
        """The state in words; a unit no form or notice reached is 未下发, not 未报送."""
        if self.state == "missing" and not (self.form or self.notified):
            return "未下发"
        return self.state_cn

    def rank(self, started: bool) -> int | None:
        """Where the unit goes in the problem list (None: nothing to do)."""
        if self.state == ReturnState.REJECTED:
            return 0
        if self.state == ReturnState.HELD:
            return 1
        if self.state == "missing":
            return 2 if started else None
        if self.late:
            return 3
        return None


@dataclass
class PeriodStatus:
    period: str
    period_label: str
    deadline: str
    now: str
    units: list[UnitStatus] = field(default_factory=list)
    unidentified: list[dict] = field(default_factory=list)  # files that could not be tied to a unit
    unassigned_attachments: list[str] = field(
        default_factory=list
    )  # scans with no unit in the name
    held: list[dict] = field(default_factory=list)  # 待核实 returns not decided yet
    started: bool = True  # the 通知 day has come (before it nothing is missing or overdue)
    mailbox: dict = field(default_factory=dict)  # the office mailbox ([imap]): mailbox_status
    skipped: list[dict] = field(
        default_factory=list
    )  # inbox entries collect leaves out (inbox_skips)
    # sends in flight when their process died: 可能已发出, not resent unless the office says
    uncertain: list[dict] = field(default_factory=list)
    # the 督办单 not yet answered, all periods (set by the CLI: reporting.assess.orders)
    orders: list[dict] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "due": len(self.units),
            "forms": sum(1 for u in self.units if u.form),
            "notified": sum(1 for u in self.units if u.notified),
            "accepted": sum(1 for u in self.units if u.state == ReturnState.ACCEPTED),
            "on_time": sum(1 for u in self.units if u.state == ReturnState.ACCEPTED and not u.late),
            "late": sum(1 for u in self.units if u.state == ReturnState.ACCEPTED and u.late),
            "rejected": sum(1 for u in self.units if u.state == ReturnState.REJECTED),
            "missing": sum(1 for u in self.units if u.state == "missing"),
            "unidentified": len(self.unidentified),
            "held": len(self.held),
        }

    def to_json(self) -> str:
        data = asdict(self)
        data["counts"] = self.counts()
        return json.dumps(data, ensure_ascii=False, indent=2)

    def problem_units(self) -> list[UnitStatus]:
        """Units needing the office's attention, worst first: 退回, 待核实, 未报送/逾期
        (once the forms went out), then accepted but late."""
        ranked = [(u.rank(self.started), i, u) for i, u in enumerate(self.units)]
        return [
            u for _, _, u in sorted((t for t in ranked if t[0] is not None), key=lambda t: t[:2])
        ]

    def lines(self, show_all: bool = False) -> list[str]:
        state = "" if self.started else "（未开始：通知尚未下发）"
        out = [
            f"{self.period_label}（{self.period}）报送情况{state}，截止时间 {self.deadline[:16].replace('T', ' ')}"
        ]
        problems = self.problem_units()
        shown = problems + [u for u in self.units if u not in problems] if show_all else problems
        rows, notes = [], {}
        for u in shown:
            when = (u.received_at or "")[:16].replace("T", " ")
            note = []
            if u.state == ReturnState.ACCEPTED and u.late:
                note.append("逾期报送")
            if u.overdue and (u.form or u.notified):
                note.append("已逾期")
            if u.warnings and not u.problems:
                note.append(f"校验提醒 {len(u.warnings)} 条")
            if u.attachments:
                note.append(f"附件 {len(u.attachments)} 份")
            if u.coop_feedback:
                updates = len(u.coop_feedback) - 1
                note.append(
                    f"已收到配合单位反馈（{cn_time(u.coop_feedback[-1])}"
                    + (f"，含更新 {updates} 次" if updates else "")
                    + "）"
                )
            receipt = RECEIPT_CN.get(u.receipt, u.receipt)
            rows.append(
                (
                    u.unit,
                    "有" if u.form else "无",
                    "已发" if u.notified else "未发",
                    u.label(self.started),
                    when or "—",
                    str(u.versions or "—"),
                    receipt,
                    "；".join(note),
                )
            )
            # reasons and mail sources on their own indented lines: the columns stay aligned
            extra = []
            if u.problems:
                listed = "；".join(f"{n}. {x}" for n, x in enumerate(u.problems[:3], 1))
                more = f" 等 {len(u.problems)} 个问题" if len(u.problems) > 3 else ""
                extra.append(f"    退回原因：{listed}{more}")
            if is_mail_source(u.source):
                extra.append(f"    来自{u.source}")
            notes[len(rows) - 1] = extra
        header = ("单位", "表单", "通知", "状态", "报送时间", "版本", "回执", "说明")
        for i, line in enumerate(table(header, rows)):
            out.append(line)
            out += notes.get(i - 1, [])
        if not problems:
            out.append("没有需要处理的单位。")
        hidden = len(self.units) - len(shown)
        if hidden:
            out.append(
                f"其余 {hidden} 个单位已按时报送、已接收"
                if self.started
                else f"其余 {hidden} 个单位尚未开始报送"
            )
            out[-1] += "（加 --all 列出全部单位）。"
        for item in self.unidentified:
            out.append(
                f"无法识别的文件：{item['source']}（{item['received_at'][:16].replace('T', ' ')}）：{'；'.join(item['problems'][:2])}"
            )
        if self.unassigned_attachments:
            out.append(f"未注明单位的附件：{'、'.join(self.unassigned_attachments)}")
        for item in self.held:
            out.append(
                f"待核实（编号 {item['id']}）：{item['unit']}，发件人 {item['sender']}，{item['source']}"
                f"（{item['received_at'][:16].replace('T', ' ')}）"
            )
        if self.held:
            out.append(
                f"待核实的报送未计入汇总；核实后运行 duban review --period {self.period} --accept 编号"
                " 采用，或 --reject 编号 --reason 原因 退回"
            )
        for item in self.skipped:
            out.append(f"收件目录中未处理：{item['source']}：{item['reason']}")
        out += [
            f"可能已发出（发送时程序中断，未重发）：{u['unit']} 的{u['stage']}（{u['channel']}，"
            + u["claimed_at"][:16].replace("T", " ")
            + "）"
            for u in self.uncertain
        ]
        if self.uncertain:
            out.append(
                f"核实对方没有收到后运行 duban remind --period {self.period} --stage 阶段"
                " --resend-uncertain 重发（沿用原 Message-ID）"
            )
        c = self.counts()
        out.append(
            f"合计：应报 {c['due']} 个单位，已接收 {c['accepted']}（按时 {c['on_time']}，逾期 {c['late']}），"
            f"退回待重报 {c['rejected']}，未报送 {c['missing']}"
            + (f"，无法识别的文件 {c['unidentified']} 个" if c["unidentified"] else "")
            + (f"，待核实 {c['held']} 份" if c["held"] else "")
            + "。"
        )
        return out + mailbox_lines(self.mailbox)


def period_status(
    settings: Settings,
    assignments: Assignments,
    ledger: Ledger,
    period: Period | str,
    *,
    now: datetime,
) -> PeriodStatus:
    period = Period.parse(period)
    assignments = assignments.for_period(period)
    cal = period_calendar(period, settings.deadline)
    deadline = cal.deadline
    rows = ledger.returns(period)
    forms = ledger.forms(period)
    status = PeriodStatus(
        period=str(period),
        period_label=period.full_label,
        deadline=deadline.isoformat(),
        now=now.isoformat(timespec="seconds"),
        started=now.date() >= cal.stages["通知"] or bool(rows),
        mailbox=mailbox_status(ledger, period),
    )
    by_unit: dict[str, list] = {}
    for row in rows:
        if row["unit"]:
            by_unit.setdefault(row["unit"], []).append(row)
        elif row["state"] == "unidentified":
            status.unidentified.append(
                {
                    "source": row["source"],
                    "received_at": row["received_at"],
                    "problems": _messages(row, "error"),
                }
            )
    attached: dict[str, list[str]] = {}
    for att in ledger.attachments(period):
        attached.setdefault(att.unit or "", []).append(att.source)
    status.unassigned_attachments = attached.pop("", [])
    status.held = [
        {
            "id": r["id"],
            "unit": r["unit"],
            "sender": r["sender"],
            "source": r["source"],
            "received_at": r["received_at"],
        }
        for r in ledger.reviews(period)
        if r["decision"] is None
    ]
    status.uncertain = [
        {k: r[k] for k in ("unit", "stage", "channel", "claimed_at")}
        for r in ledger.uncertain_sends(period)
    ]
    receipts = ledger.receipt_results(period)
    feedback = ledger.feedback_sent(period)
    for ur in unit_returns(assignments, rows):
        own = by_unit.get(ur.unit, [])
        us = UnitStatus(
            unit=ur.unit,
            kind=ur.kind,
            form=ur.unit in forms,
            notified=ledger.notice_sent(period, ur.unit),
            state=ur.state,
            received_at=ur.received_at,
            late=ur.late,
            versions=ur.versions,
            identified_by=ur.identified_by,
            problems=ur.problems,
            attachments=attached.get(ur.unit, []),
            coop_feedback=feedback.get(ur.unit, []),
        )
        us.overdue = (
            ur.state != ReturnState.ACCEPTED and deadline_passed(deadline, now) and status.started
        )
        in_force = [r for r in own if r["state"] == "accepted"] or own
        if own:  # receipts answer a unit's latest return (reporting.notify.receipts)
            us.receipt = receipts.get(receipt_key(own[-1]["sha256"]), "pending")
        if in_force:
            us.source = in_force[-1]["source"]
            if ur.state == ReturnState.ACCEPTED:
                us.warnings = _messages(in_force[-1], "warning")
        status.units.append(us)
    return status
