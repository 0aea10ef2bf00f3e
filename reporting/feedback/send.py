"""Sending each lead unit its 配合单位反馈 once the cooperating units' deadline has passed.

Every send is claimed in the ledger first (stage ``配合反馈``, key = the compiled content's
digest): a rerun, a second process or the hourly collect sends nothing that went out
already, and a partner return that changes what a lead unit was sent (a late one, a
correction) sends the new version marked 更新. Lead units without partners on any task get
nothing. The compiled workbooks are written under ``<period>/feedback/`` whether or not mail
is configured, so the office can forward them by hand.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from reporting.core.calendar import PeriodCalendar, period_calendar
from reporting.core.config import Settings
from reporting.core.exceptions import DubanError
from reporting.core.fileutil import SyncLater
from reporting.core.ledger import FEEDBACK_STAGE, Ledger
from reporting.core.messages import render_message
from reporting.core.model import QuarterResult
from reporting.core.parallel import ordered_map
from reporting.core.periods import Period, chinese_date, cn_time
from reporting.core.states import SendResult
from reporting.core.workspace import Workspace
from reporting.feedback.compile import (
    LeadFeedback,
    compile_feedback,
    feedback_path,
    form_cells,
    load_sent,
    save_sent,
    write_workbook,
)
from reporting.merge.collect_merge import ledger_answers
from reporting.merge.disagree import row_disagreements
from reporting.merge.judge import build_row
from reporting.notify.context import message_context
from reporting.notify.delivery import (
    RESULT_CN,
    MailBatch,
    Outcome,
    Planned,
    SendLog,
    SendTally,
    email_configured,
)
from reporting.taskbook.assignments import Assignments

STAGE = FEEDBACK_STAGE
CHANNEL = "email"
TEMPLATE = "mail_coop_feedback.txt.j2"


@dataclass
class Sent:
    feedback: LeadFeedback
    outcome: Outcome
    update: int = 0  # 0: the first version; n: the n-th 更新


@dataclass
class FeedbackSummary(SendTally):
    period: Period
    coop_deadline: str = ""
    sends: list[Sent] = field(default_factory=list)
    unchanged: int = 0  # lead units whose latest version went out already
    notes: list[str] = field(default_factory=list)
    disagreements: list[str] = field(default_factory=list)  # for the office

    def count(self, result: SendResult) -> int:
        return sum(1 for s in self.sends if s.outcome.result == result)

    def lines(self) -> list[str]:
        out = list(self.notes)
        if self.sends:
            first = sum(
                1 for s in self.sends if not s.update and s.outcome.result == SendResult.SENT
            )
            upd = sum(1 for s in self.sends if s.update and s.outcome.result == SendResult.SENT)
            parts = [f"首次发给牵头单位 {first} 份"] if first else []
            parts += [f"更新 {upd} 份"] if upd else []
            parts += [f"失败 {self.failed} 份"] if self.failed else []
            if self.unchanged:
                parts.append(f"{self.unchanged} 个牵头单位的反馈没有变化，不重发")
            out.append("配合反馈：" + "，".join(parts) + "。")
        elif self.unchanged:
            out.append(f"配合反馈：{self.unchanged} 个牵头单位的反馈已发出且没有变化，本次不重发。")
        for s in self.sends:
            o = s.outcome
            tag = f"更新{s.update}" if s.update else "首次"
            missing = s.feedback.missing
            gaps = f"，未反馈：{'、'.join(missing)}" if missing else ""
            if o.result in (SendResult.SENT, SendResult.PLANNED):
                out.append(
                    f"  {RESULT_CN[o.result]}（{tag}）{s.feedback.unit}：配合单位 "
                    f"{len(s.feedback.partners)} 个，已反馈 {len(s.feedback.reported)} 个{gaps}"
                )
            else:
                out.append(f"  {RESULT_CN[o.result]}（{tag}）{s.feedback.unit}：{o.detail}")
        if self.disagreements:
            out.append("牵头单位与配合单位说法不一，请核实：")
            out += [f"  {d}" for d in self.disagreements]
        if self.failed:
            out.append(
                f"有 {self.failed} 份配合反馈没有发出，已记入台账；处理后运行 duban coop-feedback"
                f" --period {self.period} 补发，已发出的不会重复。"
            )
        return out


def disagreements(
    settings: Settings,
    assignments: Assignments,
    answers,
    period: Period,
    result: QuarterResult | None = None,
) -> list[str]:
    """Tasks where a lead unit reports 已完成/超序时 and a partner 滞后/未启动
    (``reporting.merge.disagree``: the same rule as the 汇总表's and the annex's flag).
    ``result``: the period's merged result, whose rows are these tasks judged already."""
    merged = {r.id: r for r in result.rows} if result is not None else {}
    return [
        d.text
        for row in assignments.rows
        for d in row_disagreements(
            merged.get(row.id) or build_row(row, answers, period, settings.merge)
        )
    ]


def send_feedback(
    settings: Settings,
    assignments: Assignments,
    workspace: Workspace,
    period: Period | str,
    *,
    ledger: Ledger,
    now: datetime,
    sleep: Callable[[float], None] = time.sleep,
    ssl_context=None,
    result: QuarterResult | None = None,
) -> FeedbackSummary:
    """Compile and send what is due; see the module docstring. Sends before the cooperating
    units' deadline, or without one (``coop_days = 0``), nothing. ``result``: the merged
    result of the answers in force, when the caller has it (the collect step)."""
    period = Period.parse(period)
    assignments = assignments.for_period(period)
    cal: PeriodCalendar = period_calendar(period, settings.deadline)
    summary = FeedbackSummary(period, cal.coop_deadline_label)
    if not cal.separate_coop:
        summary.notes.append(
            "没有单独的配合截止时间（[deadline] coop_days = 0），配合单位与牵头单位同时报送，不汇编配合反馈。"
        )
        return summary
    if now < cal.coop_due:
        summary.notes.append(
            f"配合单位报送截止时间 {cal.coop_deadline_label} 还没到，到时自动汇编发送。"
        )
        return summary
    answers = ledger_answers(ledger, period)
    received = {u: r["received_at"] for u, r in ledger.latest_accepted(period).items()}
    compiled = compile_feedback(assignments, answers, received, cal.coop_due)
    keys = {fb.unit: fb.key for fb in compiled}  # a digest of every line: computed once
    summary.disagreements = disagreements(settings, assignments, answers, period, result)
    sent_before = _sent_counts(ledger, period)
    done = {
        (c["unit"], c["key"])
        for c in ledger.claims(period)
        if c["stage"] == STAGE and c["state"] == SendResult.SENT
    }
    mail_ok = email_configured(settings)
    if not mail_ok:
        summary.notes.append(
            "没有配置邮件（[smtp] host 或 outbox），配合反馈只生成了文件，未发送："
            f"{feedback_path(workspace, period, 'X').parent}"
        )
    by_unit: dict[str, Sent] = {}
    batch: MailBatch | None = None
    if mail_ok and compiled:  # bad mail settings stop the run before anything is claimed
        batch = MailBatch(
            settings, ssl_context=ssl_context, dry_run=False, notes=summary.notes, now=now
        )
    # which workbooks to write, in order (reads only); then the files over the cores
    jobs: list[tuple[LeadFeedback, int, set]] = []
    for fb in compiled:
        if mail_ok and (fb.unit, keys[fb.unit]) in done:  # this very content went out already
            summary.unchanged += 1
            continue
        update = sent_before.get(fb.unit, 0) if mail_ok else 0
        # what changed since the last version sent (only an 更新 has one to read)
        changed = fb.changed_since(load_sent(workspace, period, fb.unit)) if update else set()
        jobs.append((fb, update, changed))
    from reporting.forms.build import form_previous

    files = FilesContext(
        settings,
        assignments,
        workspace,
        period,
        cal.coop_deadline_label,
        now,
        form_previous(workspace, period) if jobs else {},
    )
    # two workbooks a job: the pool is sized as for twice as many forms
    written = ordered_map(write_files, files, jobs, count=2 * len(jobs))
    later = SyncLater()  # the files reach the disk together, before their mails are claimed
    if batch is None:  # no mail: the files only
        for (fb, _, _), copy_error in zip(jobs, written, strict=True):
            later.add(feedback_path(workspace, period, fb.unit))
            if copy_error:
                summary.notes.append(f"{fb.unit} 的表单副本未能生成：{copy_error}")
            else:
                later.add(workspace.form_copy_path(period, fb.unit))
        later.sync()
        return summary
    # every mail is rendered before any file is written: a template error stops the run here
    for fb, update, changed in jobs:
        path = feedback_path(workspace, period, fb.unit)
        copy = workspace.form_copy_path(period, fb.unit)
        sent = Sent(fb, Outcome(fb.unit, CHANNEL), update)
        summary.sends.append(sent)
        by_unit[fb.unit] = sent
        out = sent.outcome
        unit = assignments.registry.units.get(fb.unit)
        contact = unit.contact if unit else ""
        # a lead unit gone from the registry has no address to write to
        to = batch.addresses(out, unit.email if unit else "", unit.cc if unit else "")
        if to is None:
            continue
        ctx = {
            **message_context(settings, cal, STAGE, now.date(), now=now),
            "unit": fb.unit,
            "contact": contact,
            "coop_deadline": cal.coop_deadline_label,
            "task_count": len(fb.tasks),
            "partner_count": len(fb.partners),
            "reported_count": len(fb.reported),
            "missing": list(fb.missing),
            "update": update,
            "changed_partners": sorted({p for _, p in changed}) or fb.reported,
            "attachment": path.name,
            "form_attachment": copy.name,
            "previous_hidden": bool(files.previous),  # the copy prints without the digest
            "returned_at": cn_time(received[fb.unit], now.date()) if fb.unit in received else "",
            "today": chinese_date(now.date()),
        }
        msg = render_message(settings.templates_dir, TEMPLATE, ctx)
        batch.add(
            out,
            f"{fb.unit} {contact}".strip(),
            to,
            msg,
            attachment=path,
            attachment_name=path.name,
            fallback_name="coop-feedback.xlsx",
            label=f"{period}_配合反馈_{fb.unit}_{keys[fb.unit][:8]}",
            more=[(copy, copy.name, f"{period}_form.xlsx")],
        )
    if not batch.planned:
        return summary
    log = SendLog(
        ledger,
        str(period),
        STAGE,
        now.isoformat(timespec="seconds"),
        key=lambda out: keys[out.unit],
        # what was sent, kept for the next 更新's comparison: on disk with the next batch of
        # files (a power cut before that marks less as changed in an 更新, sends nothing twice)
        on_sent=lambda out: save_sent(workspace, period, by_unit[out.unit].feedback, later),
    )
    # the mails go out while the workers write the next files (one plan per job, in order)
    planned = _once_on_disk(batch, jobs, written, later, workspace, period)
    try:
        batch.send(log, sleep=sleep, planned=planned)
    finally:
        later.sync()
    return summary


SYNC_EVERY = 32  # at most this many lead units' files synced together before their mails


def sync_group(jobs: int) -> int:
    """Lead units whose files are synced together before their mails go out: a quarter of
    a small batch (at least 4), so that its first mails go out while the workers still
    write the rest (a district's 26 waited for all); ``SYNC_EVERY`` for a city's."""
    return max(4, min(SYNC_EVERY, jobs // 4))


def _once_on_disk(
    batch: MailBatch, jobs: list, written: Iterator[str], later: SyncLater, workspace, period
) -> Iterator[Planned]:
    """The batch's planned mails in order, each once its unit's files are written and on
    disk; a unit whose form copy could not be written fails unclaimed (retried next run)."""
    waiting: list[Planned] = []
    every = sync_group(len(jobs))
    for (mail, outs), (fb, _, _), copy_error in zip(batch.planned, jobs, written, strict=True):
        later.add(feedback_path(workspace, period, fb.unit))
        if copy_error:  # as if never planned: nothing to show but why
            out = outs[0]
            out.result, out.detail = batch.bad, f"表单副本未能生成：{copy_error}"
            out.target = out.subject = ""
            mail = None
        else:
            later.add(workspace.form_copy_path(period, fb.unit))
        waiting.append((mail, outs))
        if len(waiting) == every:
            later.sync()
            yield from waiting
            waiting = []
    later.sync()
    yield from waiting


@dataclass(frozen=True)
class FilesContext:
    """What writing one lead unit's files needs (sent once to each worker process)."""

    settings: Settings
    assignments: Assignments
    workspace: Workspace
    period: Period
    coop_deadline: str
    now: datetime
    previous: dict  # last quarter's answers by unit (``forms.build.form_previous``), read once


def write_files(ctx: FilesContext, job: tuple[LeadFeedback, int, set]) -> str:
    """One lead unit's 配合单位反馈 workbook and its form copy; why the copy could not be
    written ("" when it was). Pure file work: the caller syncs them to disk, claims and
    records."""
    fb, update, changed = job
    later = SyncLater()  # not flushed here: by the caller, all files at once
    write_workbook(
        fb,
        feedback_path(ctx.workspace, ctx.period, fb.unit),
        settings=ctx.settings,
        period=ctx.period,
        coop_deadline=ctx.coop_deadline,
        update=update,
        changed=changed,
        now=ctx.now,
        later=later,
    )
    try:
        form_copy(
            ctx.settings,
            ctx.assignments,
            ctx.workspace,
            ctx.period,
            fb,
            now=ctx.now,
            previous=ctx.previous,
            later=later,
        )
    except DubanError as exc:
        return str(exc)
    return ""


def form_copy(
    settings: Settings,
    assignments: Assignments,
    workspace: Workspace,
    period: Period,
    fb: LeadFeedback,
    *,
    now: datetime,
    previous: dict | None = None,
    later: SyncLater | None = None,
) -> Path:
    """The lead unit's form with its partners' feedback as of now (``forms.refresh_form``)."""
    from reporting.forms.build import refresh_form

    path = workspace.form_copy_path(period, fb.unit)
    as_of = f"截至{cn_time(now.isoformat(timespec='seconds'), now.date())}"
    refresh_form(
        settings,
        assignments,
        workspace,
        period,
        fb.unit,
        form_cells(fb),
        path=path,
        as_of=as_of,
        now=now,
        previous=previous,
        later=later,
    )
    return path


def _sent_counts(ledger: Ledger, period: Period) -> dict[str, int]:
    """lead unit → how many versions of its feedback went out so far."""
    return {unit: len(times) for unit, times in ledger.feedback_sent(period).items()}
