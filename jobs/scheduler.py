"""``duban schedule``: the long-lived scheduler, its plan, and ``--once`` for cron/systemd.

The plan: for every period of the configured years, one job at ``[schedule] time`` on the
通知 day (forms + 通知), on each of 提醒 / 催报 / 逾期, on the report day (collect + report),
and one interval job collecting every ``collect_every_hours`` hours from the 通知 moment until
the report is done (if the report fails it keeps going, at most ``misfire_grace_days`` past
the report moment). Every job only runs ``jobs.runner.run_cycle`` for its period, so the
ledger — not the job store — decides what still has to be done: a job that fires twice,
late or after a restart does nothing twice, and the hourly job retries whatever failed.

APScheduler 3.x keeps the jobs in its own SQLite file (``workspace.scheduler_db``) with
``coalesce=True``, ``max_instances=1`` and a misfire grace of ``misfire_grace_days``; jobs
run one at a time in a single worker thread. One scheduler per data dir (``FileLock`` on
``workspace.scheduler_lock``). SIGTERM/SIGINT stop it after the running job.

Tests and demos only: ``DUBAN_FAKE_NOW=2024-03-29T08:59:55+08:00`` starts the clock of
``clock_from_env`` (used by ``run``, ``schedule`` and ``status``) at that moment; it then
advances in real time. Only this module reads it.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from logging.handlers import RotatingFileHandler
from pathlib import Path

from reporting.exceptions import SchedulerError
from reporting.periods import Period, periods_of_year

from . import steps as cycle
from .runner import FileLock, RunReport, period_dates, run_cycle

FAKE_NOW_ENV = "DUBAN_FAKE_NOW"
LOGGER = "duban.schedule"
LOG_FILE = "schedule.log"

JOB_STEPS = ("通知", "collect", "提醒", "催报", "逾期", "report")
JOB_KEYS = {
    "通知": "notice",
    "collect": "collect",
    "提醒": "remind",
    "催报": "urge",
    "逾期": "overdue",
    "report": "report",
}
JOB_TEXT = {
    "通知": "生成表单并下发通知",
    "提醒": "提醒未交单位",
    "催报": "催报未交单位",
    "逾期": "逾期催报",
    "report": "回收并生成报告",
}
# how far each job runs the cycle: a stage job does its stage and anything earlier that is
# still missing; collect and report run everything due
JOB_UNTIL = {
    "通知": "通知",
    "提醒": "提醒",
    "催报": "催报",
    "逾期": "逾期",
    "collect": None,
    "report": None,
}


# -- the clock ---------------------------------------------------------------------------


class Clock:
    """Real time in the schedule's zone; with ``fake_start`` it starts there and advances."""

    def __init__(self, tz, fake_start: datetime | None = None):
        self.tz = tz
        self.offset = fake_start - datetime.now(tz) if fake_start else timedelta(0)

    @property
    def fake(self) -> bool:
        return bool(self.offset)

    def now(self) -> datetime:
        return datetime.now(self.tz) + self.offset


def clock_from_env(settings, env=None) -> Clock:
    env = os.environ if env is None else env
    tz = cycle.schedule_zone(settings)
    text = env.get(FAKE_NOW_ENV, "").strip()
    if not text:
        return Clock(tz)
    try:
        start = datetime.fromisoformat(text)
    except ValueError:
        raise SchedulerError(
            f"环境变量 {FAKE_NOW_ENV}={text!r} 不是 ISO 时间（如 2024-03-29T08:59:55+08:00）"
        ) from None
    return Clock(tz, start if start.tzinfo else start.replace(tzinfo=tz))


@contextmanager
def apscheduler_clock(clock):
    """Make APScheduler read ``clock`` (a fake clock in tests; the real one is left alone)."""
    if not getattr(clock, "fake", True):
        yield
        return
    import apscheduler.executors.base as executors_base
    import apscheduler.schedulers.base as schedulers_base

    class ClockedDatetime(datetime):
        @classmethod
        def now(cls, tz=None):
            current = clock.now()
            return current.astimezone(tz) if tz is not None else current.replace(tzinfo=None)

    saved = schedulers_base.datetime, executors_base.datetime
    schedulers_base.datetime = executors_base.datetime = ClockedDatetime
    try:
        yield
    finally:
        schedulers_base.datetime, executors_base.datetime = saved


# -- the plan ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedJob:
    period: Period
    step: str  # 通知 / collect / 提醒 / 催报 / 逾期 / report
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

    @property
    def until(self) -> str | None:
        return JOB_UNTIL[self.step]

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
            f"每 {hours} 小时回收一次，到报告生成为止（{self.closes.isoformat()}）；"
            f"其间重试未完成的步骤，报告没有生成则继续，最迟到 {self.last.isoformat()}"
        )

    def line(self, done: bool = False) -> str:
        from reporting.calendar import day_label

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

    @property
    def periods(self) -> list[Period]:
        return sorted({j.period for j in self.jobs})

    def of(self, period: Period) -> list[PlannedJob]:
        return [j for j in self.jobs if j.period == period]

    def window(self, period: Period) -> tuple[datetime, datetime]:
        jobs = self.of(period)
        return min(j.first for j in jobs), max(j.last for j in jobs)

    def upcoming(self, now: datetime, limit: int = 5) -> list[tuple[datetime, PlannedJob]]:
        fires = [(t, j) for j in self.jobs if (t := j.next_fire(now)) is not None]
        return sorted(fires, key=lambda x: (x[0], cycle.ORDER.index(x[1].step)))[:limit]

    def lines(self, ledger=None) -> list[str]:
        return [job.line(ledger is not None and job_done(job, ledger)) for job in self.jobs]


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
                if step == "collect":  # also the retry of anything failed, until the report
                    last = due.window_end + timedelta(days=settings.schedule.misfire_grace_days)
                    jobs.append(
                        PlannedJob(period, step, due["collect"], last, every, due.window_end)
                    )
                else:
                    jobs.append(PlannedJob(period, step, due[step], due[step]))
    jobs.sort(key=lambda j: (j.first, cycle.ORDER.index(j.step)))
    return Plan(jobs, notes)


def job_done(job: PlannedJob, ledger) -> bool:
    """Nothing left for this job: its step is in the ledger (collect: the report is)."""
    step = "report" if job.step == "collect" else job.step
    return ledger.step_done(job.period, step) is not None


# -- logging -----------------------------------------------------------------------------


class _ChineseFormatter(logging.Formatter):
    LEVELS = {
        "DEBUG": "调试",
        "INFO": "信息",
        "WARNING": "警告",
        "ERROR": "错误",
        "CRITICAL": "严重",
    }

    def format(self, record):
        record.level_cn = self.LEVELS.get(record.levelname, record.levelname)
        return super().format(record)


@contextmanager
def schedule_log(workspace, stream=None):
    """The scheduler's logger: a rotating file under ``logs/`` (with tracebacks) and ``stream``."""
    log = logging.getLogger(LOGGER)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    workspace.logs_dir.mkdir(parents=True, exist_ok=True)
    fmt = _ChineseFormatter("%(asctime)s %(level_cn)s %(message)s", "%Y-%m-%d %H:%M:%S")
    file_handler = RotatingFileHandler(
        workspace.logs_dir / LOG_FILE, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
    )
    file_handler.setLevel(logging.DEBUG)
    handlers: list[logging.Handler] = [file_handler]
    if stream is not None:
        stream_handler = logging.StreamHandler(stream)
        stream_handler.setLevel(logging.INFO)
        handlers.append(stream_handler)
    aps = logging.getLogger("apscheduler")  # its own errors only; job errors are ours
    saved = aps.level, aps.propagate
    aps.setLevel(logging.ERROR)
    aps.propagate = False
    for h in handlers:
        h.setFormatter(fmt)
        log.addHandler(h)
        aps.addHandler(h)
    try:
        yield log
    finally:
        for h in handlers:
            log.removeHandler(h)
            aps.removeHandler(h)
            h.close()
        aps.setLevel(saved[0])
        aps.propagate = saved[1]


def log_report(log, report: RunReport, prefix: str = "") -> None:
    for line in report.lines():
        log.info(prefix + line)
    for r in report.failed:  # one line each, unindented, so they stand out and can be grepped
        log.error(f"{report.period} {r.label}失败：{r.reason}")
        if r.detail:
            log.debug(r.detail)


# -- the running scheduler ---------------------------------------------------------------


class AppHolder:
    """The App for job runs, rebuilt when config.toml, tasks.csv or units.csv change."""

    def __init__(self, factory: Callable):
        self.factory = factory
        self._app = None
        self._stamp = None

    @staticmethod
    def _stamp_of(app) -> tuple:
        s = app.settings
        paths = [s.source, s.paths.tasks, s.paths.units]
        return tuple(p.stat().st_mtime_ns if p and Path(p).exists() else None for p in paths)

    def get(self):
        if self._app is None:
            self._app = self.factory()
            self._stamp = self._stamp_of(self._app)
        elif self._stamp_of(self._app) != self._stamp:
            self._app = self.factory()
            self._stamp = self._stamp_of(self._app)
        return self._app


@dataclass
class Runtime:
    """What a firing job needs; set while a scheduler runs (jobs are stored by reference)."""

    apps: AppHolder
    clock: Clock
    log: logging.Logger
    stopping: threading.Event = field(default_factory=threading.Event)


_RUNTIME: Runtime | None = None


@contextmanager
def installed(runtime: Runtime):
    global _RUNTIME
    _RUNTIME = runtime
    try:
        yield runtime
    finally:
        _RUNTIME = None


def fire(period_code: str, step: str) -> None:
    """The one job function: run ``period``'s cycle up to the job's step. Never raises."""
    rt = _RUNTIME
    if rt is None:  # a job fired outside serve(): nothing to run it with
        logging.getLogger(LOGGER).error(
            "排程任务 %s %s 触发时调度程序尚未就绪，已跳过", period_code, step
        )
        return
    name = f"{period_code} {cycle.label(step)}"
    if rt.stopping.is_set():
        rt.log.info(f"{name}：收到停止信号，本次不执行；下次启动后会补做")
        return
    now = rt.clock.now()
    stamp = now.isoformat(timespec="seconds")
    rt.log.debug(f"开始 {name}（{stamp}）")
    try:
        report = run_cycle(rt.apps.get(), period_code, now=now, until=JOB_UNTIL[step])
    except Exception as exc:  # noqa: BLE001 - a failing job must not stop the scheduler
        rt.log.error(
            f"{name} 失败：{exc}；下一次排程任务触发时会重试，也可手动运行 duban run --period {period_code}"
        )
        rt.log.debug("详细信息", exc_info=True)
        return
    if report.ran or report.failed:
        rt.log.info(f"执行 {name}（{stamp}）")
        log_report(rt.log, report, prefix="  ")
    else:  # e.g. the hourly job after the report: nothing to say
        rt.log.debug(f"{name}（{stamp}）：没有需要执行的步骤")


def make_scheduler(settings, workspace, *, scheduler_cls=None, executor=None):
    """A configured (not started) APScheduler with the SQLite job store under the data dir."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    if scheduler_cls is None:
        from apscheduler.schedulers.background import BackgroundScheduler as scheduler_cls
    workspace.root.mkdir(parents=True, exist_ok=True)
    return scheduler_cls(
        jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{workspace.scheduler_db}")},
        executors={"default": executor or ThreadPoolExecutor(max_workers=1)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": int(settings.schedule.misfire_grace_days * 86400),
        },
        timezone=cycle.schedule_zone(settings),
    )


def sync_jobs(sched, plan: Plan, ledger, now: datetime, grace: timedelta) -> list[str]:
    """Put the plan into the (started) scheduler: stable ids, replacing what is stored.

    Jobs whose work is in the ledger are dropped; so are jobs missed by more than the grace
    (reported per period). Stored jobs no longer in the plan are removed.
    """
    wanted: dict[str, PlannedJob] = {}
    missed: dict[Period, list[str]] = {}
    for job in plan.jobs:
        if job_done(job, ledger):
            continue
        if job.expired(now, grace):
            if job.step != "collect":
                missed.setdefault(job.period, []).append(cycle.label(job.step))
            continue
        wanted[job.id] = job
    for stored in sched.get_jobs():
        if stored.id not in wanted:
            sched.remove_job(stored.id)
    for job in wanted.values():
        sched.add_job(
            "jobs.scheduler:fire",
            trigger=job.trigger(),
            args=[str(job.period), job.step],
            id=job.id,
            name=job.name,
            replace_existing=True,
        )
    days = grace.days
    return [
        f"{period} 的 {'、'.join(steps)} 已错过超过 {days} 天，不再自动补做；"
        f"如仍需要，请运行 duban run --period {period}"
        for period, steps in missed.items()
    ]


def _on_missed(event) -> None:
    logging.getLogger(LOGGER).warning(
        f"排程任务 {event.job_id}（计划 {event.scheduled_run_time:%Y-%m-%d %H:%M}）错过太久，未执行；"
        "如仍需要，请运行 duban run --period " + event.job_id.split(".")[0]
    )


def lock_error(lock: FileLock, workspace) -> SchedulerError:
    pid = lock.holder()
    who = f"（进程号 {pid}）" if pid else ""
    return SchedulerError(
        f"数据目录 {workspace.root} 已有一个排程进程在运行{who}，同一数据目录只能运行一个；"
        f"如需重启，请先停止它（kill {pid or '<进程号>'} 或 systemctl stop duban）"
    )


@contextmanager
def _signals_stop(event: threading.Event, log):
    def handler(signum, frame):
        log.info(f"收到停止信号（{signal.Signals(signum).name}），正在执行的任务结束后退出")
        event.set()

    if threading.current_thread() is not threading.main_thread():  # only the main thread may
        yield
        return
    saved = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in saved.items():
            signal.signal(sig, old)


@dataclass
class Session:
    """A started, paused scheduler with its jobs in place (see ``session``)."""

    sched: object
    log: logging.Logger
    runtime: Runtime


@contextmanager
def session(
    app_factory: Callable,
    *,
    years: list[int] | None = None,
    clock=None,
    stream=None,
    stop: threading.Event | None = None,
    scheduler_cls=None,
    executor=None,
):
    """Lock the data dir, open the log, start the scheduler paused and put the plan in it.

    ``serve`` resumes it and waits for a signal; tests drive it with their own clock,
    scheduler class and executor. On exit the scheduler is shut down (waiting for a running
    job) and the lock released.
    """
    from apscheduler.events import EVENT_JOB_MISSED

    apps = AppHolder(app_factory)
    app = apps.get()
    settings, workspace = app.settings, app.workspace
    clock = clock or clock_from_env(settings)
    lock = FileLock(workspace.scheduler_lock)
    if not lock.acquire():
        raise lock_error(lock, workspace)
    try:
        with schedule_log(workspace, stream) as log, apscheduler_clock(clock):
            log.info(
                f"排程进程启动（进程号 {os.getpid()}），数据目录 {workspace.root}，"
                f"时区 {settings.schedule.timezone}，年度 {'、'.join(str(y) for y in years or settings.schedule.years)}"
                + (
                    f"，模拟时钟 {clock.now().isoformat(timespec='seconds')}"
                    if getattr(clock, "fake", False)
                    else ""
                )
            )
            if lock.previous_pid:
                log.warning(
                    f"上次的排程进程（进程号 {lock.previous_pid}）没有正常退出，已接管它留下的锁"
                )
            plan = build_plan(settings, years)
            for note in plan.notes:
                log.warning(note)
            sched = make_scheduler(
                settings, workspace, scheduler_cls=scheduler_cls, executor=executor
            )
            sched.add_listener(_on_missed, EVENT_JOB_MISSED)
            runtime = Runtime(apps, clock, log, stop or threading.Event())
            with installed(runtime):
                sched.start(paused=True)
                try:
                    now = clock.now()
                    with app.ledger() as ledger:
                        grace = timedelta(days=settings.schedule.misfire_grace_days)
                        notes = sync_jobs(sched, plan, ledger, now, grace)
                    for note in notes:
                        log.warning(note)
                    _log_next(log, sched, now)
                    yield Session(sched, log, runtime)
                finally:
                    runtime.stopping.set()  # jobs still queued are left for the next start
                    sched.shutdown(wait=True)
            log.info("排程进程已停止")
    finally:
        lock.release()


def serve(app_factory: Callable, *, stop: threading.Event | None = None, **options) -> int:
    """Run the scheduler until SIGTERM/SIGINT (or ``stop`` is set); ``options`` as for
    ``session`` (years, clock, stream). Returns the exit code."""
    stop = stop or threading.Event()
    with session(app_factory, stop=stop, **options) as s:
        with _signals_stop(stop, s.log):
            s.sched.resume()
            while not stop.wait(1.0):
                pass
    return 0


def _log_next(log, sched, now: datetime) -> None:
    jobs = sorted((j for j in sched.get_jobs() if j.next_run_time), key=lambda j: j.next_run_time)
    if not jobs:
        log.info(
            "没有待执行的排程任务。新的年度请加到 config.toml 的 [schedule] years 后重启排程进程"
        )
        return
    log.info(f"已排定 {len(jobs)} 个任务，接下来：")
    for j in jobs[:5]:
        late = "（已到时间，马上执行）" if j.next_run_time <= now else ""
        log.info(f"  {j.next_run_time.isoformat()}  {j.name}{late}")


@dataclass
class OnceResult:
    reports: list[RunReport]
    upcoming: list[tuple[datetime, PlannedJob]]
    notes: list[str]

    @property
    def failed(self) -> bool:
        return any(r.failed for r in self.reports)

    def lines(self) -> list[str]:
        out = [f"提示：{n}" for n in self.notes]
        for r in self.reports:
            out += r.lines()
        if not self.reports:
            out.append("现在不在任何季度的报送周期内，没有需要执行的步骤。")
        if self.upcoming:
            t, job = self.upcoming[0]
            out.append(f"下一个排程任务：{t.isoformat()}  {job.name}")
        return out


def run_once(app, *, years: list[int] | None = None, clock=None, stream=None) -> OnceResult:
    """What the scheduler would run now, once, for every period whose window is open.

    Holds the scheduler lock (so it never runs beside ``duban schedule``) and logs like it.
    """
    settings, workspace = app.settings, app.workspace
    clock = clock or clock_from_env(settings)
    lock = FileLock(workspace.scheduler_lock)
    if not lock.acquire():
        raise lock_error(lock, workspace)
    try:
        plan = build_plan(settings, years)
        now = clock.now()
        grace = timedelta(days=settings.schedule.misfire_grace_days)
        reports = []
        with schedule_log(workspace, stream) as log:
            log.info(f"duban schedule --once（{now.isoformat(timespec='seconds')}）")
            for period in plan.periods:
                first, last = plan.window(period)
                if first <= now <= last + grace:
                    report = run_cycle(app, period, now=now)
                    log_report(log, report)
                    reports.append(report)
        return OnceResult(reports, plan.upcoming(now, 1), plan.notes)
    finally:
        lock.release()


def upcoming_jobs(
    settings, now: datetime, limit: int = 3, ledger=None
) -> list[tuple[datetime, PlannedJob]]:
    """The next ``limit`` fires of the configured plan, skipping jobs whose work is done."""
    plan = build_plan(settings)
    fires = plan.upcoming(now, len(plan.jobs))
    if ledger is not None:
        fires = [(t, j) for t, j in fires if not job_done(j, ledger)]
    return fires[:limit]


# -- the overview for `duban status` without a period ----------------------------------------


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
    done: dict[str, str]  # step → done_at
    upcoming: list[tuple[datetime, PlannedJob]]
    scheduler_pid: int | None
    years: list[int]
    pending: list[str] = field(default_factory=list)  # due, not done: what `duban run` would do
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        from reporting.calendar import day_label

        p = self.period
        out = [f"当前报送周期：{p.full_label}（{p}），现在 {self.now:%Y-%m-%d %H:%M}"]
        out += [f"提示：{n}" for n in self.notes]
        stage = f"{self.stage}阶段" if self.stage else "尚未开始"
        if self.done.get("report"):
            stage = "报告已生成，本季度流程结束"
        if self.next_stage and not self.done.get("report"):
            name, when = self.next_stage
            stage += f"；下一步：{cycle.label(name)}，{day_label(when.date())} {when:%H:%M}"
        out.append(f"阶段：{stage}")
        passed = "（已过截止时间）" if self.deadline_passed else ""
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
            },
            ensure_ascii=False,
            indent=2,
        )


def cycle_status(app, now: datetime, limit: int = 5) -> CycleStatus:
    """The overview of the period whose cycle is open at ``now``."""
    from reporting.calendar import STAGES, UnknownYearWarning
    from reporting.status import period_status

    from .runner import default_period

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
    upcoming_stages = [(s, due[s]) for s in (*STAGES, "report") if due[s] > now]
    with app.ledger() as ledger, warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownYearWarning)  # already in ``notes``
        counts = period_status(settings, app.assignments, ledger, period, now=now).counts()
        done = {
            s: row["done_at"]
            for s in cycle.ORDER
            if (row := ledger.step_done(period, s)) is not None
        }
        upcoming = upcoming_jobs(settings, now, limit, ledger)
    return CycleStatus(
        period=period,
        now=now,
        stage=stage,
        next_stage=upcoming_stages[0] if upcoming_stages else None,
        deadline_label=cal.deadline_label,
        deadline_passed=now > cal.deadline,
        counts=counts,
        done=done,
        upcoming=upcoming,
        scheduler_pid=FileLock(app.workspace.scheduler_lock).held_by(),
        years=list(settings.schedule.years),
        pending=pending,
        notes=[outside, *notes] if outside else notes,
    )


# -- a controlled clock (tests and benchmarks) ----------------------------------------------


class FakeClock:
    """A clock that only moves when told to (``simulate`` jumps it from fire to fire)."""

    fake = True

    def __init__(self, start: datetime):
        self.t = start

    def now(self) -> datetime:
        return self.t


def simulate(
    app_factory: Callable, clock: FakeClock, until: datetime, *, years=None, listeners=()
) -> None:
    """Run the real scheduler (SQLite job store, real triggers, ``fire``) on ``clock`` until
    ``until``, jumping from one fire time to the next; jobs run inline, so days of a
    schedule pass in seconds. ``listeners`` are ``(callback, event_mask)`` pairs.
    """
    from apscheduler.executors.debug import DebugExecutor
    from apscheduler.schedulers.base import BaseScheduler

    class ManualScheduler(BaseScheduler):
        def shutdown(self, wait=True):
            super().shutdown(wait)

        def wakeup(self):  # nothing to wake: the loop below drives it
            pass

    with session(
        app_factory,
        years=years,
        clock=clock,
        scheduler_cls=ManualScheduler,
        executor=DebugExecutor(),
    ) as s:
        for callback, mask in listeners:
            s.sched.add_listener(callback, mask)
        s.sched.resume()
        while True:
            wait = s.sched._process_jobs()  # runs what is due at clock.t
            if wait is None or clock.t + timedelta(seconds=wait) > until:
                break
            clock.t += timedelta(seconds=wait)
