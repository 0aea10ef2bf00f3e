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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from reporting.core.calendar import STAGES, PeriodCalendar, UnknownYearWarning, period_calendar
from reporting.core.config import Settings
from reporting.core.exceptions import NotifyError
from reporting.core.ledger import Ledger
from reporting.core.messages import MAIL_TEMPLATES, WEBHOOK_TEMPLATE, render_message, render_text
from reporting.core.periods import Period, chinese_date
from reporting.core.states import SendResult, Step
from reporting.core.workspace import Workspace
from reporting.notify.chase_list import write_chase_list
from reporting.notify.context import message_context, unit_context, units_with_reference
from reporting.notify.delivery import (
    CHANNEL_CN,
    RESULT_CN,
    MailBatch,
    Outcome,
    Planned,
    SendLog,
    SendTally,
    deliver,
)
from reporting.notify.recipients import Recipient, outstanding
from reporting.notify.webhooks import GroupMessage, RobotChannel, robots
from reporting.taskbook.assignments import Assignments

if TYPE_CHECKING:
    from reporting.forms.build import FormsBuild

CHANNELS = ("email", "webhook", "list")


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

    def count(self, result: SendResult, channel: str | None = None) -> int:
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
                for r in (
                    SendResult.PLANNED,
                    SendResult.SENT,
                    SendResult.FAILED,
                    SendResult.ALREADY,
                    SendResult.UNCERTAIN,
                    SendResult.SKIPPED,
                )
                if self.count(r, ch)
            ]
            out.append(f"{CHANNEL_CN[ch]}：" + "，".join(parts))
            if self.dry_run:
                out += _plan_table([o for o in self.outcomes if o.channel == ch])
            for o in self.outcomes:
                if o.channel == ch and o.result in (
                    SendResult.FAILED,
                    SendResult.SKIPPED,
                    SendResult.UNCERTAIN,
                ):
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
        if o.result != SendResult.PLANNED:
            continue
        extra = f"；附件 {o.attachment}" if o.attachment else ""
        rows.append(f"  {o.unit} → {o.target}：{o.subject}{extra}")
    return rows


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
    resend_uncertain: bool = False,
    building: FormsBuild | None = None,
) -> RemindSummary:
    """Send the reminders of one stage on the given channels; see the module docstring.

    ``now`` is the time of the run (stage choice, ledger times, mail Date:). ``sleep``
    (retry waits), ``ssl_context`` (mail server CA) and ``clock`` (DingTalk signature time,
    default ``now``) are for tests and special setups. ``resend_uncertain``: the office
    checked that the stage's 可能已发出 messages did not arrive; they go out again with
    their Message-ID. ``building``: the forms being written meanwhile (started, on the
    same ledger connection): each unit's 通知 goes out once its form is on disk and
    recorded, while the workers write the later ones; a unit whose form fails gets none.
    """
    period = Period.parse(period)
    assignments = assignments.for_period(period)
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
        if resend_uncertain and not dry_run:
            n = ledger.release_uncertain(period, picked)
            summary.notes.append(
                f"按要求重发上次中断时可能已发出的{picked}消息 {n} 条（沿用原 Message-ID）"
            )
        pending = AsBuilt(building) if building is not None and picked == Step.NOTICE else None
        coming = pending.coming if pending is not None else ()
        recipients, no_form = outstanding(assignments, workspace, ledger, period, picked, coming)
        summary.recipients = recipients
        sending = {"email", "webhook"} & set(channels)
        if no_form and sending:
            if len(no_form) == len(recipients):
                raise NotifyError(
                    f"{period} 还没有生成表单，无法发通知。请先运行 duban forms --period {period}"
                )
            summary.notes.append(_no_form_note(period, no_form))
        base = message_context(settings, cal, picked, today, now=now)
        base["reference_units"] = units_with_reference(workspace, period)
        for ch in channels:
            if ch != "email" and pending is not None:  # the group robots list the units at once
                pending.finish(summary)
            if ch == "email":
                _send_email(
                    settings,
                    ledger,
                    summary,
                    base,
                    ssl_context=ssl_context,
                    sleep=sleep,
                    now=now,
                    pending=pending,
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
        if pending is not None:
            pending.finish(summary)
    finally:
        if own:
            ledger.close()
    return summary


def _no_form_note(period: Period, no_form: list[str]) -> str:
    names = "、".join(no_form[:10]) + (f" 等 {len(no_form)} 个单位" if len(no_form) > 10 else "")
    return f"以下单位还没有生成表单，本次不发通知：{names}。请先运行 duban forms --period {period}"


class AsBuilt:
    """The forms written meanwhile (``forms.build.FormsBuild``) as the 通知 needs them: a
    unit's mail waits until its form is on disk and recorded; a unit whose form failed (or
    was not reached after the forms met an error, which the forms step reports) is left
    out as if it had no form."""

    def __init__(self, building: FormsBuild):
        self.building = building
        self.coming = building.coming
        self.done: dict[str, bool] = {}  # unit → its form was built
        self.left_out: list[Outcome] = []
        self.finished = False

    def ready(self, unit: str) -> bool:
        while unit in self.coming and unit not in self.done:
            try:
                batch = self.building.step()
            except Exception:  # noqa: BLE001 - kept in building.error for the forms step
                batch = []
            if not batch:
                break
            self.done.update(batch)
        return self.done.get(unit, unit not in self.coming)

    def planned(self, planned: list[Planned]) -> Iterator[Planned]:
        for mail, outs in planned:
            if self.ready(outs[0].unit):
                yield mail, outs
            else:
                self.left_out.extend(outs)

    def finish(self, summary: RemindSummary) -> None:
        """The remaining forms; the units without one taken out of the summary."""
        if self.finished:
            return
        self.finished = True
        for unit in self.coming:
            self.ready(unit)
        missing = [r for r in summary.recipients if not self.ready(r.unit)]
        if not missing:
            return
        for rec in missing:
            rec.form = None
        gone = {id(o) for o in self.left_out}
        summary.outcomes = [o for o in summary.outcomes if id(o) not in gone]
        summary.notes.append(_no_form_note(summary.period, [r.unit for r in missing]))


def _reachable(summary: RemindSummary) -> list[Recipient]:
    """The 通知 needs the form; later stages go to every unit still missing."""
    if summary.stage == Step.NOTICE:
        return [r for r in summary.recipients if r.form is not None]
    return list(summary.recipients)


def _send_email(
    settings,
    ledger: Ledger,
    summary: RemindSummary,
    base: dict,
    *,
    ssl_context,
    sleep,
    now,
    pending: AsBuilt | None = None,
) -> None:
    period, stage = str(summary.period), str(summary.stage)  # a stage was picked
    batch = MailBatch(
        settings, ssl_context=ssl_context, dry_run=summary.dry_run, notes=summary.notes, now=now
    )
    template = MAIL_TEMPLATES[stage]
    outs: list[Outcome] = []
    for rec in _reachable(summary):
        out = Outcome(rec.unit, "email")
        outs.append(out)
        if ledger.was_sent(period, rec.unit, stage, "email"):
            out.result = SendResult.ALREADY
            continue
        to = batch.addresses(out, rec.email, rec.cc)
        if to is None:
            continue
        # the 通知, 催报 and 逾期 carry the form; the 提醒 only when no 通知 reached the unit
        attach = (
            rec.form
            if stage in (Step.NOTICE, Step.URGE, Step.OVERDUE)
            or not ledger.was_sent(period, rec.unit, Step.NOTICE, "email")
            else None
        )
        out.attachment = attach.name if attach is not None else ""
        # render everything first: a template error stops the run before any message goes out
        msg = render_message(
            settings.templates_dir, template, unit_context(base, rec, out.attachment)
        )
        batch.add(
            out,
            f"{rec.unit} {rec.contact}".strip(),
            to,
            msg,
            attachment=attach,
            attachment_name=out.attachment,
            fallback_name=f"{period}_form.xlsx",
            label=f"{period}_{stage}_{rec.unit}",
        )
    summary.outcomes += outs
    if summary.dry_run:
        return
    log = SendLog(ledger, period, stage, now.isoformat(timespec="seconds"))
    batch.send(log, sleep=sleep, planned=pending.planned(batch.planned) if pending else None)


def _send_webhooks(
    settings, ledger: Ledger, summary: RemindSummary, base: dict, *, sleep, clock, now
) -> None:
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
    log = SendLog(ledger, period, stage, now.isoformat(timespec="seconds"))
    for bot in bots:
        todo, outs = [], []
        for rec in _reachable(summary):
            out = Outcome(rec.unit, bot.kind, target=f"{bot.label}群")
            if ledger.was_sent(period, rec.unit, stage, bot.kind):
                out.result = SendResult.ALREADY
            elif not summary.dry_run:
                # claim before the group message that names the unit goes out
                out.claim = log.claim(out)
                if out.claim is None:
                    log.not_claimed(out)
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
        planned: list[Planned] = []
        for i, (content, members) in enumerate(chunks, 1):
            part = f"（第 {i}/{len(chunks)} 条）" if len(chunks) > 1 else ""
            message = GroupMessage(content, [r.mobile for r in members], part)
            planned.append((message, [by_unit[r.unit] for r in members]))
            for rec in members:
                by_unit[rec.unit].subject = content.splitlines()[0]
                by_unit[rec.unit].detail = f"第 {i}/{len(chunks)} 条" if len(chunks) > 1 else ""
        summary.outcomes += outs
        if summary.dry_run:
            continue
        deliver(
            RobotChannel(bot, clock=clock),
            planned,
            log,
            retry=settings.smtp,
            sleep=sleep,
            notes=summary.notes,
            claimed=True,
        )


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
    if summary.dry_run:
        summary.notes.append(f"催报清单将列出 {len(summary.recipients)} 个单位（演练不生成文件）。")
        return
    summary.chase_list += write_chase_list(
        settings, workspace, summary.period, summary.recipients, cal, summary.today
    )
