"""The overview ``duban status`` shows without ``--period``: the open cycle at a glance.

Stage, deadline, counts of returns, steps done and due, whether the scheduler runs, and the
next jobs of the plan that still have work to do.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from reporting.core.exceptions import SchedulerError
from reporting.core.lock import FileLock
from reporting.core.periods import Period
from reporting.core.states import Step

from . import steps as cycle
from .plan import PlannedJob, build_plan, job_done, missed_notes
from .plan_jobs import PlanStageJob
from .runner import default_period, period_dates, run_cycle


def upcoming_jobs(
    settings, now: datetime, limit: int = 3, ledger=None
) -> list[tuple[datetime, PlannedJob | PlanStageJob]]:
    """The next ``limit`` fires of the configured plan, skipping jobs whose work is done."""
    plan = build_plan(settings)
    fires = plan.upcoming(now, len(plan.jobs) + len(plan.rounds))
    if ledger is not None:
        fires = [(t, j) for t, j in fires if not job_done(j, ledger)]
    return fires[:limit]


@dataclass
class CycleStatus:
    """Where the open cycle stands: stage, deadline, counts, steps done, next jobs."""

    period: Period
    now: datetime
    stage: str | None
    next_stage: tuple[str, datetime] | None
    deadline_label: str
    deadline_passed: bool
    counts: dict[str, int]
    done: dict[Step, str]  # step → done_at
    upcoming: list[tuple[datetime, PlannedJob | PlanStageJob]]
    scheduler_pid: int | None
    years: list[int]
    pending: list[str] = field(default_factory=list)  # due, not done: what `duban run` would do
    coop_deadline_label: str = ""  # the partners' earlier deadline, when there is one
    notes: list[str] = field(default_factory=list)
    orders: list[dict] = field(default_factory=list)  # the 督办单 not yet answered (--json)

    def lines(self) -> list[str]:
        from reporting.core.calendar import day_label

        p = self.period
        out = [f"当前报送周期：{p.full_label}（{p}），现在 {self.now:%Y-%m-%d %H:%M}"]
        out += [f"提示：{n}" for n in self.notes]
        stage = f"{self.stage}阶段" if self.stage else "尚未开始"
        if self.done.get(Step.REPORT):
            stage = "报告已生成，本季度流程结束"
            if "bulletin" in self.pending:
                stage = "报告已生成，督查通报待生成"
        if self.next_stage and not self.done.get(Step.REPORT):
            name, when = self.next_stage
            stage += f"；下一步：{cycle.label(name)}，{day_label(when.date())} {when:%H:%M}"
        out.append(f"阶段：{stage}")
        passed = "（已过截止时间）" if self.deadline_passed else ""
        if self.coop_deadline_label:
            out.append(f"配合截止：{self.coop_deadline_label}（配合任务表）")
            out.append(f"牵头截止：{self.deadline_label}{passed}（牵头任务表）")
        else:
            out.append(f"报送截止：{self.deadline_label}{passed}")
        c = self.counts
        returned = c["accepted"] + c["rejected"]
        out.append(
            f"报送情况：应报 {c['due']} 个单位，已报回 {returned} 个（已接收 {c['accepted']}，"
            f"退回待重报 {c['rejected']}），未报送 {c['missing']} 个"
        )
        done = [
            f"{cycle.label(s)}（{'最近一次 ' if s in cycle.REPEATING else ''}{self.done[s][5:16].replace('T', ' ')}）"
            for s in cycle.ORDER
            if s in self.done
        ]
        out.append("已完成：" + ("、".join(done) if done else "还没有"))
        if self.pending:
            out.append(
                f"已到期、还没完成：{'、'.join(cycle.label(s) for s in self.pending)}"
                f"（运行 duban run --period {p}，或等排程进程下一次触发）"
            )
        if self.scheduler_pid:
            out.append(f"排程进程：运行中（进程号 {self.scheduler_pid}）")
        else:
            out.append(
                "排程进程：没有运行（用 duban schedule 启动，用 systemd 管理见 docs/systemd.md）"
            )
        if self.upcoming:
            out.append("接下来的排程任务：")
            out += [f"  {t.isoformat()}  {job.name}" for t, job in self.upcoming]
        else:
            years = "、".join(str(y) for y in self.years)
            out.append(
                f"排程中没有接下来的任务（[schedule] years = {years}），新的年度请加到 config.toml 后重启排程进程"
            )
        out.append(f"各单位的详细情况：duban status --period {p}")
        return out

    def to_json(self) -> str:
        import json

        return json.dumps(
            {
                "period": str(self.period),
                "now": self.now.isoformat(timespec="seconds"),
                "stage": self.stage,
                "next_stage": (
                    {"stage": self.next_stage[0], "at": self.next_stage[1].isoformat()}
                    if self.next_stage
                    else None
                ),
                "deadline": self.deadline_label,
                "deadline_passed": self.deadline_passed,
                "counts": self.counts,
                "done": self.done,
                "pending": self.pending,
                "scheduler_pid": self.scheduler_pid,
                "upcoming": [
                    {"at": t.isoformat(), "period": str(j.period), "step": j.step, "name": j.name}
                    for t, j in self.upcoming
                ],
                "notes": self.notes,
                "orders": self.orders,
            },
            ensure_ascii=False,
            indent=2,
        )


def cycle_status(app, now: datetime, limit: int = 5) -> CycleStatus:
    """The overview of the period whose cycle is open at ``now``."""
    from reporting.core.calendar import STAGES, UnknownYearWarning, deadline_passed
    from reporting.intake.status import period_status

    settings = app.settings
    outside = ""
    try:
        period = default_period(settings, now)
    except SchedulerError:
        if not settings.schedule.years:
            raise
        # today is past the configured years: show the last configured period instead
        period = Period(max(settings.schedule.years), 4)
        outside = (
            f"今天不在配置的报送年度（[schedule] years）内，下面是最近一个报告期 {period.full_label} 的情况；"
            "新的年度请换用新任务表并加到 [schedule] years"
        )
    preview = run_cycle(app, period, now=now, dry_run=True)
    pending = [
        r.step for r in preview.results if r.state == "planned" and r.step not in cycle.REPEATING
    ]
    cal, due, notes = period_dates(period, settings)
    stage = cal.stage_due(now.date()) if now >= due["通知"] else None
    upcoming_stages = sorted(
        ((s, due[s]) for s in (*STAGES, "coop", "report", "bulletin") if s in due and due[s] > now),
        key=lambda x: x[1],
    )
    with app.ledger() as ledger, warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownYearWarning)  # already in ``notes``
        counts = period_status(settings, app.book(period), ledger, period, now=now).counts()
        done = {
            s: row["done_at"]
            for s in cycle.ORDER
            if (row := ledger.step_done(period, s)) is not None
        }
        upcoming = upcoming_jobs(settings, now, limit, ledger)
        grace = timedelta(days=settings.schedule.misfire_grace_days)
        notes = notes + missed_notes(build_plan(settings), ledger, now, grace)
    return CycleStatus(
        period=period,
        now=now,
        stage=stage,
        next_stage=upcoming_stages[0] if upcoming_stages else None,
        deadline_label=cal.deadline_label,
        coop_deadline_label=cal.coop_deadline_label if cal.separate_coop else "",
        deadline_passed=deadline_passed(cal.deadline, now),
        counts=counts,
        done=done,
        upcoming=upcoming,
        scheduler_pid=FileLock(app.workspace.scheduler_lock).held_by(),
        years=list(settings.schedule.years),
        pending=pending,
        notes=[outside, *notes] if outside else notes,
    )
