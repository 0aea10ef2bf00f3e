"""The plan: every scheduled job of the configured years and when it fires.

For every period, one job at ``[schedule] time`` on the 通知 day (forms + 通知), on each of
提醒 / 催报 / 逾期, one at the cooperating units' deadline (配合反馈, with ``coop_days``), on the
report day (collect + report, then the 督查通报 with ``[bulletin] auto``), and one interval
job collecting every
``collect_every_hours`` hours from the 通知 moment until the report is done (if the report
fails it keeps going, at most ``misfire_grace_days`` past the report moment). With ``[plan]
auto`` the year's 落实方案 round adds one job per stage (``jobs.plan_jobs``). A job's work is
done when its step is in the ledger (``job_done``); ``duban schedule --plan`` prints the plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from reporting.core.exceptions import SchedulerError
from reporting.core.periods import Period, periods_of_year
from reporting.core.states import Step

from . import steps as cycle
from .plan_jobs import PlanStageJob, plan_stage_jobs
from .runner import period_dates

JOB_STEPS = ("通知", "collect", "提醒", "催报", "coop", "逾期", "report", "bulletin")
JOB_KEYS = {
    "通知": "notice",
    "collect": "collect",
    "提醒": "remind",
    "催报": "urge",
    "逾期": "overdue",
    "coop": "coop",
    "report": "report",
    "bulletin": "bulletin",
}
JOB_TEXT = {
    "通知": "生成表单并下发通知",
    "提醒": "提醒未交单位",
    "催报": "催报未交单位",
    "逾期": "逾期催报",
    "coop": "配合截止：回收并把配合单位反馈汇编发给牵头单位",
    "report": "回收并生成报告",
    "bulletin": "生成督查通报（[bulletin] send 开启时同时发给各单位）",
}
# how far each job runs the cycle: a stage job does its stage and anything earlier that is
# still missing; collect and report run everything due
JOB_UNTIL = {
    "通知": "通知",
    "提醒": "提醒",
    "催报": "催报",
    "逾期": "逾期",
    "coop": "coop",
    "collect": None,
    "report": None,
    "bulletin": None,
}


@dataclass(frozen=True)
class PlannedJob:
    period: Period
    step: str  # 通知 / collect / 提醒 / 催报 / coop / 逾期 / report / bulletin
    first: datetime
    last: datetime  # == first for one-shot jobs
    every: timedelta | None = None
    closes: datetime | None = None  # collect: the report moment (it stops once the report is done)

    @property
    def id(self) -> str:
        return f"{self.period}.{JOB_KEYS[self.step]}"

    @property
    def name(self) -> str:
        return f"{self.period} {cycle.label(self.step)}"

    def fire_times(self) -> list[datetime]:
        if self.every is None:
            return [self.first]
        out, moment = [], self.first
        while moment <= self.last:
            out.append(moment)
            moment += self.every
        return out

    def next_fire(self, after: datetime) -> datetime | None:
        return next((t for t in self.fire_times() if t > after), None)

    def trigger(self):
        if self.every is None:
            from apscheduler.triggers.date import DateTrigger

            return DateTrigger(run_date=self.first, timezone=self.first.tzinfo)
        from apscheduler.triggers.interval import IntervalTrigger

        return IntervalTrigger(
            seconds=int(self.every.total_seconds()),
            start_date=self.first,
            end_date=self.last,
            timezone=self.first.tzinfo,
        )

    def expired(self, now: datetime, grace: timedelta) -> bool:
        """Too late to fire: a one-shot job beyond the grace, an interval job past its end."""
        return (self.first + grace if self.every is None else self.last) < now

    def describe(self) -> str:
        if self.every is None:
            return JOB_TEXT[self.step]
        hours = int(self.every.total_seconds() // 3600)
        return (
            f"每 {hours} 小时回收一次，到报告生成为止（{self.closes and self.closes.isoformat()}）；"
            f"其间重试未完成的步骤，报告没有生成则继续，最迟到 {self.last.isoformat()}"
        )

    def line(self, done: bool = False) -> str:
        from reporting.core.calendar import day_label

        step = (
            self.step.ljust(7)
            if self.step.isascii()
            else self.step + " " * (7 - 2 * len(self.step))
        )
        text = f"{self.first.isoformat()}  {self.period}  {step}  {self.describe()}  {day_label(self.first.date())}"
        return text + ("  [已完成]" if done else "")


@dataclass
class Plan:
    jobs: list[PlannedJob]
    notes: list[str] = field(default_factory=list)
    rounds: list[PlanStageJob] = field(default_factory=list)  # 落实方案 stages ([plan] auto)

    @property
    def periods(self) -> list[Period]:
        return sorted({j.period for j in self.jobs})

    def of(self, period: Period) -> list[PlannedJob]:
        return [j for j in self.jobs if j.period == period]

    def window(self, period: Period) -> tuple[datetime, datetime]:
        jobs = self.of(period)
        return min(j.first for j in jobs), max(j.last for j in jobs)

    def upcoming(
        self, now: datetime, limit: int = 5
    ) -> list[tuple[datetime, PlannedJob | PlanStageJob]]:
        every: list[PlannedJob | PlanStageJob] = [*self.jobs, *self.rounds]
        fires = [(t, j) for j in every if (t := j.next_fire(now)) is not None]
        return sorted(fires, key=lambda x: (x[0], cycle.ORDER.index(x[1].step)))[:limit]

    def lines(self, ledger=None) -> list[str]:
        every: list[PlannedJob | PlanStageJob] = [*self.jobs, *self.rounds]
        every.sort(key=lambda j: j.first)  # stable: fire order
        return [job.line(ledger is not None and job_done(job, ledger)) for job in every]


def build_plan(settings, years: list[int] | None = None) -> Plan:
    """Every job of the configured (or given) years, in fire order."""
    every_hours = settings.schedule.collect_every_hours
    if every_hours < 1:
        raise SchedulerError(
            f"[schedule] collect_every_hours = {every_hours} 无效，应为不小于 1 的整数（小时）"
        )
    every = timedelta(hours=every_hours)
    jobs: list[PlannedJob] = []
    notes: list[str] = []
    for year in sorted(set(years or settings.schedule.years)):
        for period in periods_of_year(year):
            _cal, due, period_notes = period_dates(period, settings)
            notes += [n for n in period_notes if n not in notes]
            for step in JOB_STEPS:
                if step not in due:  # 配合反馈 without coop_days, 通报 without auto
                    continue
                if step == Step.COLLECT:  # also the retry of anything failed, until the report
                    last = due.window_end + timedelta(days=settings.schedule.misfire_grace_days)
                    jobs.append(
                        PlannedJob(period, step, due["collect"], last, every, due.window_end)
                    )
                else:
                    jobs.append(PlannedJob(period, step, due[step], due[step]))
    jobs.sort(key=lambda j: (j.first, cycle.ORDER.index(j.step)))
    return Plan(jobs, notes, plan_stage_jobs(settings, years or settings.schedule.years))


def job_done(job: PlannedJob | PlanStageJob, ledger) -> bool:
    """Nothing left for this job: its step is in the ledger (collect: the report is)."""
    if isinstance(job, PlanStageJob):
        return job.done(ledger)
    step = Step.REPORT if job.step == Step.COLLECT else job.step
    return ledger.step_done(job.period, step) is not None


def missed_notes(plan: Plan, ledger, now: datetime, grace: timedelta) -> list[str]:
    """What the scheduler will not do any more: per period, the steps whose jobs were missed
    by more than the grace and whose work is not in the ledger (collect aside: it repeats);
    a period of which nothing was ever done is called never started."""
    missed: dict[Period, list[str]] = {}
    for job in plan.jobs:
        if job.step != Step.COLLECT and job.expired(now, grace) and not job_done(job, ledger):
            missed.setdefault(job.period, []).append(cycle.label(job.step))
    out = []
    for period, steps in missed.items():
        line = (
            f"{period} 的 {'、'.join(steps)} 已错过超过 {grace.days} 天，不再自动补做；"
            f"如仍需要，请运行 duban run --period {period}"
        )
        if not any(ledger.step_done(period, s) for s in cycle.ORDER):
            line += f"。{period.full_label}从未开始：没有生成表单、没有发通知，也没有生成报告"
        out.append(line)
    return out + missed_rounds(plan.rounds, ledger, now, grace)


def missed_rounds(rounds: list[PlanStageJob], ledger, now: datetime, grace: timedelta) -> list[str]:
    """The 落实方案 stages missed beyond the grace, when no later stage of the round was done
    (a later one sends the form to the same units, so the round went on)."""
    out = []
    for year in sorted({j.year for j in rounds}):
        stages = [j for j in rounds if j.year == year]
        missed = []
        for i, job in enumerate(stages):
            later_done = any(j.done(ledger) for j in stages[i:])
            if job.expired(now, grace) and not later_done:
                missed.append(job.step)
        if missed:
            out.append(
                f"{year}年落实方案的 {'、'.join(missed)} 已错过超过 {grace.days} 天，不再自动补做；"
                f"如仍需要，请运行 duban plan --year {year} --send {missed[-1]}"
            )
    return out
