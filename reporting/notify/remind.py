"""Reminders: who still owes a return, and one message per unit per stage and channel.

Stages follow ``reporting.core.calendar`` (通知 / 提醒 / 催报 / 逾期; ``auto`` picks the one due
today). The 通知 goes to every unit with a form, with the form attached; later stages go
to units without an accepted return and say why their last return was rejected.

Every attempt is recorded in the ledger (``sends``): a rerun of the same stage skips
units already reached on that channel, failed sends are retried with backoff and on
the next run, and ``dry_run`` shows the plan without sending or recording anything.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from reporting.core.calendar import (
    STAGES,
    PeriodCalendar,
    UnknownYearWarning,
    period_calendar,
    workdays_after,
)
from reporting.core.config import Settings
from reporting.core.exceptions import NotifyError, SendError
from reporting.core.ledger import Ledger
from reporting.core.messages import MAIL_TEMPLATES, WEBHOOK_TEMPLATE, render_message, render_text
from reporting.core.periods import Period, chinese_date
from reporting.core.records import ReturnRecord
from reporting.core.states import RECEIPT_STAGE, Level, SendResult, Step
from reporting.core.workspace import Workspace
from reporting.taskbook.assignments import Assignments

CHANNELS = ("email", "webhook", "list")
CHANNEL_CN = {"email": "邮件", "wecom": "企业微信", "dingtalk": "钉钉", "list": "催报清单"}
RESULT_CN = {
    "sent": "已发送",
    "failed": "失败",
    "skipped": "跳过",
    "already": "此前已发送",
    "planned": "将发送",
}


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


@dataclass
class Outcome:
    unit: str
    channel: str  # email | wecom | dingtalk
    result: str  # sent | failed | skipped | already | planned
    detail: str = ""
    attempts: int = 0
    target: str = ""  # addresses, or the robot
    subject: str = ""
    attachment: str = ""
    claim: int | None = None  # the ledger's send claim (``Ledger.claim_send``) while sending


def record_outcome(ledger: Ledger, period: str, stage: str, out: Outcome, detail: str, *, at: str):
    """Put one send's result in the ledger: close its claim, or (nothing was claimed: the
    message was never tried) record the failure."""
    if out.claim is not None:
        ledger.complete_send(out.claim, out.result, detail, attempts=out.attempts, at=at)
        out.claim = None
    else:
        ledger.record_send(
            period, out.unit, stage, out.channel, out.result, detail, attempts=out.attempts, at=at
        )


class SendTally:
    """``sent`` / ``failed`` / ``ok`` of a summary that can ``count(result)``."""

    def count(self, result: str) -> int:
        raise NotImplementedError

    @property
    def sent(self) -> int:
        return self.count("sent")

    @property
    def failed(self) -> int:
        return self.count("failed")

    @property
    def ok(self) -> bool:
        return self.failed == 0


@dataclass
class RemindSummary(SendTally):
    period: Period
    stage: str | None
    channels: tuple[str, ...]
    dry_run: bool
    today: date
    deadline: str = ""
    recipients: list[Recipient] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    chase_list: list[Path] = field(default_factory=list)

    def count(self, result: str, channel: str | None = None) -> int:
        return sum(
            1
            for o in self.outcomes
            if o.result == result and (channel is None or o.channel == channel)
        )

    def lines(self) -> list[str]:
        head = f"{self.period.full_label}（{self.period}）"
        if self.stage is None:
            return [head, *self.notes]
        out = [f"{head} {self.stage}，报送截止 {self.deadline}"]
        if self.dry_run:
            out.append("【演练】以下为将要发送的内容，本次不发送、不记录台账。")
        out += self.notes
        rejected = sum(r.rejected for r in self.recipients)
        if self.stage != Step.NOTICE:
            extra = f"（其中 {rejected} 个单位的表格被退回待修改）" if rejected else ""
            out.append(f"尚未报送合格表格的单位 {len(self.recipients)} 个{extra}。")
        channels = []
        for o in self.outcomes:
            if o.channel not in channels:
                channels.append(o.channel)
        for ch in channels:
            parts = [
                f"{RESULT_CN[r]} {self.count(r, ch)}"
                for r in ("planned", "sent", "failed", "already", "skipped")
                if self.count(r, ch)
            ]
            out.append(f"{CHANNEL_CN[ch]}：" + "，".join(parts))
            if self.dry_run:
                out += _plan_table([o for o in self.outcomes if o.channel == ch])
            for o in self.outcomes:
                if o.channel == ch and o.result in ("failed", "skipped"):
                    out.append(f"  {RESULT_CN[o.result]}：{o.unit}：{o.detail}")
        for path in self.chase_list:
            out.append(f"催报清单：{path}")
        if self.failed:
            out.append(
                f"有 {self.failed} 条发送失败，已记入台账；排除问题后重新运行同一命令即可补发，已发送的不会重复。"
            )
        elif (
            not self.dry_run
            and self.stage
            and not self.sent
            and not self.chase_list
            and self.outcomes
        ):
            out.append("没有需要新发送的消息。")
        return out


def _plan_table(outcomes: list[Outcome]) -> list[str]:
    rows = []
    for o in outcomes:
        if o.result != "planned":
            continue
        extra = f"；附件 {o.attachment}" if o.attachment else ""
        rows.append(f"  {o.unit} → {o.target}：{o.subject}{extra}")
    return rows


# -- who ---------------------------------------------------------------------------
def problem_text(problem) -> str:
    """One line for a rejection reason recorded by intake: place and fix, no file name."""
    if isinstance(problem, dict) and problem.get("text"):
        from reporting.core.problems import Problem

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


def outstanding(
    assignments: Assignments, workspace: Workspace, ledger: Ledger, period: Period, stage: str
) -> tuple[list[Recipient], list[str]]:
    """Units to reach at ``stage`` and, for the 通知, units whose form does not exist yet.

    Units with an accepted return are never reminded (not even by a late 通知).
    """
    accepted = ledger.latest_accepted(str(period))
    latest: dict[str, ReturnRecord] = {}
    for row in ledger.returns(str(period)):
        if row["unit"]:
            latest[row["unit"]] = row
    history = send_history(ledger, period)
    units = assignments.registry.units
    out, no_form = [], []
    for name, rows in assignments.by_unit.items():
        if name in accepted:
            continue
        form: Path | None = workspace.form_path(period, name)
        if form is not None and not form.exists():
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
        last = latest.get(name)
        if last is not None and last["state"] == "rejected":
            rec.rejected = True
            rec.reasons = error_reasons(last)
            rec.last_received = _short_day(last["received_at"])
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
    rows = [r for r in ledger.sends(str(period)) if r["result"] == "sent"]
    for row in sorted(rows, key=lambda r: r["at"] or ""):
        # a unit still owing a form was only ever sent the 退回通知 kind of receipt
        kind = "退回通知" if row["stage"] == RECEIPT_STAGE else row["stage"]
        channels = sent.setdefault(row["unit"], {}).setdefault((_short_day(row["at"]), kind), [])
        name = CHANNEL_CN.get(row["channel"], row["channel"])
        if name not in channels:
            channels.append(name)
    return {
        unit: [f"{day} {kind}（{'、'.join(ch)}）" for (day, kind), ch in days.items()]
        for unit, days in sent.items()
    }


def _short_day(iso: str) -> str:
    try:
        d = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return str(iso or "")
    return f"{d.month}月{d.day}日"


def pick_stage(cal: PeriodCalendar, stage: str | None, today: date) -> str | None:
    if stage in (None, "", "auto"):
        return cal.stage_due(today)
    if stage not in STAGES:
        raise NotifyError(f"未知的阶段“{stage}”，可选：auto、{'、'.join(STAGES)}")
    return stage


def _channels(channels: Iterable[str]) -> tuple[str, ...]:
    out = []
    for ch in channels:
        if ch not in CHANNELS:
            raise NotifyError(f"未知的发送渠道“{ch}”，可选：{'、'.join(CHANNELS)}")
        if ch not in out:
            out.append(ch)
    if not out:
        raise NotifyError("没有指定发送渠道，可选：email、webhook、list")
    return tuple(out)


# -- what ----------------------------------------------------------------------------
def message_context(settings: Settings, cal: PeriodCalendar, stage: str, today: date) -> dict:
    """Variables every template gets (see docs/reminders.md)."""
    d = settings.district
    contact = getattr(settings.forms, "contact", "") or d.office
    return {
        "district": d.name,
        "office": d.office,
        "government": d.government,
        "basis": d.basis,
        "document_title": d.document_title,
        "office_contact": contact,
        "period": str(cal.period),
        "period_label": cal.period.full_label,
        # per unit in unit_context: its form lists last quarter's accepted answers
        "has_reference": False,
        "reference_units": frozenset(),
        "previous_label": cal.period.previous().full_label,
        "stage": stage,
        "deadline": cal.deadline_label,
        "deadline_date": chinese_date(cal.deadline_day),
        # a separate, earlier deadline for the 配合任务 sheet ([deadline] coop_days)
        "separate_coop": cal.separate_coop,
        "coop_deadline": cal.coop_deadline_label,
        "coop_passed": cal.separate_coop and today > cal.coop_due.date(),
        "workdays_left": workdays_after(today, cal.deadline_day),
        "overdue_workdays": workdays_after(cal.deadline_day, today),
        "today": chinese_date(today),
    }


def unit_context(base: dict, rec: Recipient, attachment: str) -> dict:
    return {
        **base,
        "unit": rec.unit,
        "contact": rec.contact,
        "lead_count": rec.lead_count,
        "coop_count": rec.coop_count,
        "attachment": attachment,
        "with_partners": bool(attachment) and rec.form_with_partners,
        "rejected": rec.rejected,
        "reasons": list(rec.reasons),
        "last_received": rec.last_received,
        "has_reference": rec.unit in base["reference_units"],
    }


def units_with_reference(workspace: Workspace, period: Period) -> frozenset[str]:
    """Units whose form shows last quarter's accepted answers (the forms' own rule, one
    loader): none in Q1, none when last quarter was never merged."""
    from reporting.core.previous import previous_answers, previous_result

    result, _note = previous_result(workspace, period)
    return frozenset(unit for unit, _role, _id in previous_answers(result))


# -- retries ---------------------------------------------------------------------------
def with_retries(
    call: Callable[[], object], *, retries: int, backoff: float, sleep: Callable[[float], None]
):
    """Call until it succeeds; transient SendErrors are retried ``retries`` times, waiting
    backoff, 2×backoff, 4×backoff … seconds. Returns (result, attempts); a final failure
    is raised with ``.attempts`` set."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return call(), attempt
        except SendError as exc:
            if not exc.transient or attempt > retries:
                exc.attempts = attempt  # type: ignore[attr-defined]  # read by the callers
                raise
            sleep(backoff * 2 ** (attempt - 1))


# -- email pieces shared with reporting.notify.receipts -------------------------------------------
NO_EMAIL = "单位名录（units.csv）没有登记邮箱，请补上后重新运行"


def open_mailer(settings, *, ssl_context, dry_run: bool, notes: list[str], now: datetime):
    """The run's ``Mailer``; settings that cannot work raise NotifyError (a dry run notes them)."""
    from reporting.notify.mailer import Mailer, sender_name

    mailer = Mailer(
        settings.smtp,
        sender_display=sender_name(settings.district.name, settings.district.office),
        context=ssl_context,
        password=settings.secrets.smtp_password,
        now=now,
    )
    if dry_run:
        try:
            mailer.check()
        except NotifyError as exc:
            notes.append(f"注意：正式发送前需要处理：{exc}")
    else:
        mailer.check()
    return mailer


def global_cc(settings) -> list[str]:
    from reporting.notify.mailer import parse_addresses

    try:
        return parse_addresses(", ".join(settings.smtp.cc))
    except NotifyError as exc:
        raise NotifyError(f"[smtp] cc 有误：{exc}") from None


def unit_addresses(email: str, cc: str, extra_cc: list[str]) -> tuple[list[str], list[str]]:
    """To (units.csv ``email``) and Cc (``cc`` + ``[smtp] cc``) of a unit; NotifyError when
    no usable address is registered."""
    from reporting.notify.mailer import parse_addresses

    to = parse_addresses(email)
    if not to:
        raise NotifyError(NO_EMAIL)
    return to, [a for a in parse_addresses(cc) + extra_cc if a not in to]


def deliver(
    mailer,
    planned: Sequence[tuple[Any, Outcome]],
    *,
    smtp,
    sleep: Callable[[float], None],
    record: Callable[[Outcome, str], None],
    claim: Callable[[Outcome], int | None],
    notes: list[str],
) -> None:
    """Send the planned mails over one connection and ``record(outcome, detail)`` each.

    ``planned`` pairs a ``Mail`` (None: nothing to send) with its ``Outcome``; outcomes
    already ``failed`` (unusable address) are recorded without sending. Each mail is
    claimed in the ledger just before it goes out (``claim(outcome)`` → claim id, or None
    when another process sent or is sending it: then it is ``already``). Transient errors are
    retried with backoff; after a fatal one (server down, login refused) the rest are
    recorded as not attempted. A refused To fails the message; a refused Cc only adds a note.
    """
    stopped: str | None = None
    with mailer:
        for mail, out in planned:
            if out.result == SendResult.FAILED:
                record(out, out.detail)
            if mail is None:
                continue
            if stopped:
                out.result, out.detail, out.attempts = "failed", f"未尝试：{stopped}", 0
                record(out, out.detail)
                continue
            out.claim = claim(out)
            if out.claim is None:
                out.result, out.detail = "already", "另一个 duban 进程已发送或正在发送"
                continue
            try:
                refused, attempts = with_retries(
                    partial(mailer.send, mail),
                    retries=smtp.retries,
                    backoff=smtp.backoff,
                    sleep=sleep,
                )
            except SendError as exc:
                out.result, out.detail, out.attempts = (
                    "failed",
                    str(exc),
                    getattr(exc, "attempts", 1),
                )
                if exc.fatal:
                    stopped = str(exc)
            else:
                out.attempts = attempts
                primary = [a for _, a in mail.to if a in refused]
                if primary:
                    out.result = SendResult.FAILED
                    out.detail = "收件人被拒收：" + "；".join(
                        f"{a}（{refused[a]}）" for a in primary
                    )
                    out.detail += "，请核对 units.csv 中的邮箱"
                else:
                    out.result = SendResult.SENT
                    out.detail = "；".join(f"抄送 {a} 被拒收（{r}）" for a, r in refused.items())
                    if out.detail:
                        # the unit was reached, but the office should know about the Cc
                        notes.append(f"{out.unit}：{out.detail}")
            detail = out.detail or (
                f"已写入 {mailer.outbox}" if mailer.outbox and out.result == SendResult.SENT else ""
            )
            record(out, detail)
    if mailer.outbox and any(o.result == SendResult.SENT for _, o in planned):
        notes.append(f"邮件未实际发出，已写入发件箱目录 {mailer.outbox}（[smtp] outbox）。")


# -- the step ----------------------------------------------------------------------------
def send_reminders(
    settings: Settings,
    assignments: Assignments,
    workspace: Workspace,
    period: Period | str,
    *,
    stage: str = "auto",
    channels: Iterable[str] = ("email",),
    dry_run: bool = False,
    now: datetime,
    ledger: Ledger | None = None,
    sleep: Callable[[float], None] = time.sleep,
    ssl_context=None,
    clock: Callable[[], float] | None = None,
) -> RemindSummary:
    """Send the reminders of one stage on the given channels; see the module docstring.

    ``now`` is the time of the run (stage choice, ledger times, mail Date:). ``sleep``
    (retry waits), ``ssl_context`` (mail server CA) and ``clock`` (DingTalk signature time,
    default ``now``) are for tests and special setups.
    """
    period = Period.parse(period)
    today = now.date()
    channels = _channels(channels)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UnknownYearWarning)
        cal = period_calendar(period, settings.deadline)
    picked = pick_stage(cal, stage, today)
    summary = RemindSummary(period, picked, channels, dry_run, today, deadline=cal.deadline_label)
    summary.notes += [
        f"警告：{w.message}" for w in caught if issubclass(w.category, UnknownYearWarning)
    ]
    if picked is None:
        summary.notes.append(
            f"今天（{chinese_date(today)}）还没到 {period} 的通知日（{chinese_date(cal.stages['通知'])}），"
            "不需要发送。要提前发送，请用 --stage 指定阶段。"
        )
        return summary
    own = ledger is None
    ledger = ledger or Ledger(workspace.ledger_path)
    try:
        recipients, no_form = outstanding(assignments, workspace, ledger, period, picked)
        summary.recipients = recipients
        sending = {"email", "webhook"} & set(channels)
        if no_form and sending:
            if len(no_form) == len(recipients):
                raise NotifyError(
                    f"{period} 还没有生成表单，无法发通知。请先运行 duban forms --period {period}"
                )
            names = "、".join(no_form[:10]) + (
                f" 等 {len(no_form)} 个单位" if len(no_form) > 10 else ""
            )
            summary.notes.append(
                f"以下单位还没有生成表单，本次不发通知：{names}。请先运行 duban forms --period {period}"
            )
        base = message_context(settings, cal, picked, today)
        base["reference_units"] = units_with_reference(workspace, period)
        for ch in channels:
            if ch == "email":
                _send_email(
                    settings, ledger, summary, base, ssl_context=ssl_context, sleep=sleep, now=now
                )
            elif ch == "webhook":
                _send_webhooks(
                    settings,
                    ledger,
                    summary,
                    base,
                    sleep=sleep,
                    clock=clock or now.timestamp,
                    now=now,
                )
            else:
                _write_list(settings, assignments, workspace, summary, cal)
    finally:
        if own:
            ledger.close()
    return summary


def _reachable(summary: RemindSummary) -> list[Recipient]:
    """The 通知 needs the form; later stages go to every unit still missing."""
    if summary.stage == Step.NOTICE:
        return [r for r in summary.recipients if r.form is not None]
    return list(summary.recipients)


def _send_email(
    settings, ledger: Ledger, summary: RemindSummary, base: dict, *, ssl_context, sleep, now
) -> None:
    from reporting.notify.mailer import Mail, clean_header

    period, stage = str(summary.period), str(summary.stage)  # a stage was picked
    mailer = open_mailer(
        settings, ssl_context=ssl_context, dry_run=summary.dry_run, notes=summary.notes, now=now
    )
    template = MAIL_TEMPLATES[stage]
    extra_cc = global_cc(settings)
    planned: list[tuple[Mail | None, Outcome]] = []
    bad = "skipped" if summary.dry_run else "failed"  # an unusable address: nothing can be sent
    for rec in _reachable(summary):
        out = Outcome(rec.unit, "email", "planned")
        if ledger.was_sent(period, rec.unit, stage, "email"):
            out.result = "already"
            planned.append((None, out))
            continue
        try:
            to, cc = unit_addresses(rec.email, rec.cc, extra_cc)
        except NotifyError as exc:
            out.result, out.detail = bad, f"{exc}"
            planned.append((None, out))
            continue
        # the 通知, 催报 and 逾期 carry the form; the 提醒 only when no 通知 reached the unit
        attach = (
            rec.form
            if stage in (Step.NOTICE, Step.URGE, Step.OVERDUE)
            or not ledger.was_sent(period, rec.unit, Step.NOTICE, "email")
            else None
        )
        name = attach.name if attach is not None else ""
        # render everything first: a template error stops the run before any message goes out
        msg = render_message(settings.templates_dir, template, unit_context(base, rec, name))
        mail = Mail(
            to=[(f"{rec.unit} {rec.contact}".strip(), addr) for addr in to],
            cc=cc,
            subject=msg.subject,
            body=msg.body,
            attachment=attach,
            attachment_name=name,
            fallback_name=f"{period}_form.xlsx",
            label=f"{period}_{stage}_{rec.unit}",
        )
        out.target = "、".join(to + [f"抄送 {a}" for a in cc])
        out.subject, out.attachment = clean_header(msg.subject), name
        planned.append((mail, out))
    summary.outcomes += [o for _, o in planned]
    if summary.dry_run:
        return
    at = now.isoformat(timespec="seconds")
    deliver(
        mailer,
        planned,
        smtp=settings.smtp,
        sleep=sleep,
        notes=summary.notes,
        claim=lambda out: ledger.claim_send(period, out.unit, stage, "email", at=at),
        record=lambda out, detail: record_outcome(ledger, period, stage, out, detail, at=at),
    )


def _send_webhooks(
    settings, ledger: Ledger, summary: RemindSummary, base: dict, *, sleep, clock, now
) -> None:
    from reporting.notify.webhooks import robots, send_text

    period, stage = str(summary.period), str(summary.stage)  # a stage was picked
    bots = robots(settings)
    if not bots:
        msg = (
            "没有配置群机器人：请在 config.toml 的 [webhook] 中填写 wecom_url 或 dingtalk_url"
            "（也可用环境变量 DUBAN_WEBHOOK_WECOM_URL / DUBAN_WEBHOOK_DINGTALK_URL）"
        )
        if summary.dry_run:
            summary.notes.append(f"注意：正式发送前需要处理：{msg}")
            return
        raise NotifyError(msg)
    at = now.isoformat(timespec="seconds")
    for bot in bots:
        todo, outs = [], []
        for rec in _reachable(summary):
            out = Outcome(rec.unit, bot.kind, "planned", target=f"{bot.label}群")
            if ledger.was_sent(period, rec.unit, stage, bot.kind):
                out.result = "already"
            elif not summary.dry_run:
                # claim before the group message that names the unit goes out
                out.claim = ledger.claim_send(period, rec.unit, stage, bot.kind, at=at)
                if out.claim is None:
                    out.result, out.detail = "already", "另一个 duban 进程已发送或正在发送"
                else:
                    todo.append(rec)
            else:
                todo.append(rec)
            outs.append(out)
        by_unit = {o.unit: o for o in outs}
        try:
            chunks = chunk_messages(settings, base, todo, bot.max_bytes)
        except BaseException:
            for o in outs:  # nothing went out: give the claims back
                if o.claim is not None:
                    ledger.release_claim(o.claim)
            raise
        for i, (content, members) in enumerate(chunks, 1):
            for rec in members:
                by_unit[rec.unit].subject = content.splitlines()[0]
                by_unit[rec.unit].detail = f"第 {i}/{len(chunks)} 条" if len(chunks) > 1 else ""
        summary.outcomes += outs
        if summary.dry_run:
            continue
        stopped = None
        for i, (content, members) in enumerate(chunks, 1):
            part = f"（第 {i}/{len(chunks)} 条）" if len(chunks) > 1 else ""
            if stopped:
                result, detail, attempts = "failed", f"未尝试：{stopped}", 0
            else:
                try:
                    _, attempts = with_retries(
                        partial(send_text, bot, content, [r.mobile for r in members], clock=clock),
                        retries=settings.smtp.retries,
                        backoff=settings.smtp.backoff,
                        sleep=sleep,
                    )
                    result, detail = "sent", f"群消息{part}"
                except SendError as exc:
                    result, detail, attempts = "failed", str(exc), getattr(exc, "attempts", 1)
                    if exc.fatal:
                        stopped = str(exc)
            for rec in members:
                o = by_unit[rec.unit]
                o.result, o.detail, o.attempts = result, detail, attempts
                record_outcome(ledger, period, stage, o, detail, at=at)


def chunk_messages(
    settings, base: dict, recipients: list[Recipient], max_bytes: int
) -> list[tuple[str, list[Recipient]]]:
    """Robot messages listing the units, split so each stays under ``max_bytes``."""

    def render(members, start, part, parts):
        units = [
            {
                "number": start + i,
                "name": r.unit,
                "contact": r.contact,
                "mobile": r.mobile,
                "rejected": r.rejected,
                "reasons": [_short(x) for x in r.reasons],
            }
            for i, r in enumerate(members, 1)
        ]
        ctx = {**base, "units": units, "part": part, "parts": parts, "count": len(recipients)}
        return render_text(settings.templates_dir, WEBHOOK_TEMPLATE, ctx).strip() + "\n"

    groups: list[list[Recipient]] = []
    current: list[Recipient] = []
    for rec in recipients:
        trial = current + [rec]
        # room for the "@mobile" mentions DingTalk appends
        size = len(render(trial, 0, 1, 2).encode()) + 12 * len(trial)
        if current and size > max_bytes:
            groups.append(current)
            current = [rec]
        else:
            current = trial
    if current:
        groups.append(current)
    out, start = [], 0
    for i, members in enumerate(groups, 1):
        out.append((render(members, start, i, len(groups)), members))
        start += len(members)
    return out


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _write_list(
    settings, assignments, workspace, summary: RemindSummary, cal: PeriodCalendar
) -> None:
    from reporting.notify.chase_list import write_chase_list

    if summary.dry_run:
        summary.notes.append(f"催报清单将列出 {len(summary.recipients)} 个单位（演练不生成文件）。")
        return
    summary.chase_list += write_chase_list(
        settings, workspace, summary.period, summary.recipients, cal, summary.today
    )
