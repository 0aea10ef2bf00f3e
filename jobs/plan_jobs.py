"""The 落实方案 round in the scheduler and ``duban run`` (``[plan] auto``).

One job per stage (通知 / 提醒 / 催报 / 逾期) at ``[schedule] time`` on its ``[plan]`` day. A
firing job does what ``duban plan --send auto`` does (``plan_pass``: the office mailbox, the
forms, the intake of returned plans with their receipts, then the latest stage that is due to
the lead units without an accepted plan) and records the stage in the ledger under the
round's key (``<year>plan``), so a rerun does nothing; the mail itself is claimed per unit
and stage, so two runs at once send nothing twice. Outside the round's window (from the
通知 moment to ``misfire_grace_days`` after 逾期) nothing runs by itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from reporting.core.calendar import STAGES, plan_calendar

from .steps import at_schedule_time

STAGE_KEYS = {"通知": "notice", "提醒": "remind", "催报": "urge", "逾期": "overdue"}
STAGE_TEXT = {
    "通知": "下发落实方案表",
    "提醒": "回收落实方案表，提醒未通过的单位",
    "催报": "回收落实方案表，催报未通过的单位",
    "逾期": "回收落实方案表，逾期催报未通过的单位",
}


@dataclass(frozen=True)
class PlanStageJob:
    """One stage of a year's 落实方案 round, fired once."""

    year: int
    step: str  # 通知 / 提醒 / 催报 / 逾期
    first: datetime
    every = None

    @property
    def last(self) -> datetime:
        return self.first

    @property
    def key(self) -> str:
        from reporting.forms.plan_spec import plan_key

        return plan_key(self.year)

    @property
    def period(self) -> str:  # what listings print where a quarter's job prints its period
        return self.key

    @property
    def id(self) -> str:
        return f"{self.key}.{STAGE_KEYS[self.step]}"

    @property
    def name(self) -> str:
        return f"{self.year}年落实方案 {self.step}"

    def fire_times(self) -> list[datetime]:
        return [self.first]

    def next_fire(self, after: datetime) -> datetime | None:
        return self.first if self.first > after else None

    def trigger(self):
        from apscheduler.triggers.date import DateTrigger

        return DateTrigger(run_date=self.first, timezone=self.first.tzinfo)

    def expired(self, now: datetime, grace: timedelta) -> bool:
        return self.first + grace < now

    def done(self, ledger) -> bool:
        return ledger.step_done(self.key, self.step) is not None

    def line(self, done: bool = False) -> str:
        from reporting.core.calendar import day_label

        step = self.step + " " * (7 - 2 * len(self.step))
        text = f"{self.first.isoformat()}  {self.key}  {step}  {STAGE_TEXT[self.step]}  {day_label(self.first.date())}"
        return text + ("  [已完成]" if done else "")


def plan_stage_jobs(settings, years: list[int]) -> list[PlanStageJob]:
    """The round's stage jobs of ``years``; none unless ``[plan] auto``."""
    if not settings.plan.auto:
        return []
    jobs = []
    for year in sorted(set(years)):
        cal = plan_calendar(year, settings.plan, settings.deadline.zone)
        jobs += [PlanStageJob(year, s, at_schedule_time(cal.stages[s], settings)) for s in STAGES]
    return jobs


def plan_pass(app, year: int, ledger, now: datetime, *, stage=None, force=False):
    """What ``duban plan [--send stage]`` does: (lines, the send summary or None)."""
    from reporting.forms.plan_spec import plan_key
    from reporting.merge.plan_round import run_plan_round
    from reporting.notify.plan_notice import send_plan_notices

    lines: list[str] = []
    a = app.table_assignments
    if app.settings.imap.host:  # replies in the office mailbox first, like collect
        lines += fetch_lines(app, plan_key(year), ledger, now)
    result = run_plan_round(
        app.settings, a, app.workspace, year, ledger=ledger, now=now, force=force
    )
    lines += result.lines()
    sent = None
    if stage is not None:
        sent = send_plan_notices(
            app.settings, a, app.workspace, year, stage=stage, ledger=ledger, now=now
        )
        lines += sent.lines()
    from reporting.notify.delivery import outbox_note_once

    return outbox_note_once(lines), sent  # the 回执 and the notices: one outbox notice


def fetch_lines(app, key: str, ledger, now) -> list[str]:
    """The office mailbox's new mails into the round's inbox; what was done, or why not."""
    from reporting.core.exceptions import DubanError
    from reporting.intake.imap import fetch_mailbox

    try:
        return fetch_mailbox(
            app.settings, app.registry, app.workspace, key, ledger=ledger, now=now
        ).lines()
    except DubanError as exc:  # nothing taken; the inbox is still taken in
        return [f"收件邮箱未能收取：{exc}"]


@dataclass
class PlanStageRun:
    """What one scheduled/``duban run`` pass of a year's round did."""

    year: int
    state: str  # ran / partial / failed / done_before / waiting / closed / planned
    stage: str | None = None
    lines: list[str] = field(default_factory=list)

    @property
    def acted(self) -> bool:
        return self.state in ("ran", "partial", "failed", "planned")

    @property
    def failed(self) -> bool:
        return self.state in ("partial", "failed")

    def text(self) -> list[str]:
        from .runner import STATE_WORDS

        label = f"{self.year}年落实方案" + (self.stage or "")
        head = f"{label}：{STATE_WORDS.get(self.state, '不在报送时间内')}"
        return [head, *("    " + line for line in self.lines)]


def due_stage(settings, year: int, now: datetime) -> tuple[str | None, str]:
    """The latest stage whose moment has come and its state: open, waiting or closed."""
    jobs = plan_stage_jobs(settings, [year])
    if not jobs:
        return None, "closed"
    came = [j for j in jobs if j.first <= now]
    if not came:
        return None, "waiting"
    grace = timedelta(days=settings.schedule.misfire_grace_days)
    if jobs[-1].first + grace < now:
        return None, "closed"
    return came[-1].step, "open"


def run_plan_stage(
    app, year: int, now: datetime, *, dry_run: bool = False, command: str | None = None
) -> PlanStageRun:
    """The due stage of ``year``'s round, unless the ledger has it. Never raises a DubanError."""
    from reporting.core.exceptions import DubanError
    from reporting.forms.plan_spec import plan_key

    stage, state = due_stage(app.settings, year, now)
    if stage is None:
        return PlanStageRun(year, state)
    key = plan_key(year)
    with app.ledger() as ledger:
        row = ledger.step_done(key, stage)
    if row is not None:
        return PlanStageRun(year, "done_before", stage, [f"已于 {row['done_at']} 完成"])
    if dry_run:
        return PlanStageRun(year, "planned", stage)
    try:
        with app.hold(command or "duban run（落实方案）", started=now), app.ledger() as ledger:
            if ledger.step_done(key, stage) is not None:  # done while we waited for the lock
                return PlanStageRun(year, "done_before", stage)
            lines, sent = plan_pass(app, year, ledger, now, stage=stage)
            if sent is not None and not sent.ok:  # claimed mails are not resent on retry
                return PlanStageRun(year, "partial", stage, lines)
            ledger.mark_step(
                key, stage, detail="\n".join(lines), at=now.isoformat(timespec="seconds")
            )
        app.reload_tasks()  # accepted plans are the year's milestones from now on
    except DubanError as exc:
        return PlanStageRun(year, "failed", stage, [str(exc)])
    return PlanStageRun(year, "ran", stage, lines)


def run_due_stages(app, now: datetime, *, dry_run: bool = False) -> list[PlanStageRun]:
    """``duban run``: the due stage of every configured year's round that did something."""
    if not app.settings.plan.auto:
        return []
    runs = [run_plan_stage(app, y, now, dry_run=dry_run) for y in app.settings.schedule.years]
    return [r for r in runs if r.acted]
