"""``duban schedule``: the long-lived scheduler and ``--once`` for cron/systemd.

Every job (see ``jobs.plan``) only runs ``jobs.runner.run_cycle`` for its period, so the
ledger — not the job store — decides what still has to be done: a job that fires twice,
late or after a restart does nothing twice, and the hourly job retries whatever failed.

APScheduler 3.x keeps the jobs in its own SQLite file (``workspace.scheduler_db``) with
``coalesce=True``, ``max_instances=1`` and a misfire grace of ``misfire_grace_days``; jobs
run one at a time in a single worker thread. One scheduler per data dir (``FileLock`` on
``workspace.scheduler_lock``). SIGTERM/SIGINT stop it after the running job. Stored jobs
name their function as ``jobs.scheduler:fire``, so ``fire`` must stay in this module.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from logging.handlers import RotatingFileHandler
from pathlib import Path

from reporting.core.exceptions import SchedulerError
from reporting.core.fileutil import create_file
from reporting.core.lock import FileLock

from . import steps as cycle
from .clock import Clock, clock_from_env
from .plan import JOB_UNTIL, Plan, PlannedJob, build_plan, job_done, missed_notes
from .plan_jobs import PlanStageJob, run_plan_stage
from .runner import RunReport, run_cycle

LOGGER = "duban.schedule"
LOG_FILE = "schedule.log"


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
        report = run_cycle(
            rt.apps.get(),
            period_code,
            now=now,
            until=JOB_UNTIL[step],
            command=f"duban schedule（排程任务 {period_code} {cycle.label(step)}）",
        )
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


def fire_plan(year: int, step: str) -> None:
    """The 落实方案 round's job: its due stage (``jobs.plan_jobs``). Never raises."""
    rt = _RUNTIME
    name = f"{year}年落实方案 {step}"
    if rt is None or rt.stopping.is_set():
        logging.getLogger(LOGGER).info(f"{name}：调度程序未就绪或正在停止，本次不执行")
        return
    now = rt.clock.now()
    try:
        done = run_plan_stage(
            rt.apps.get(), year, now, command=f"duban schedule（排程任务 {name}）"
        )
    except Exception as exc:  # noqa: BLE001 - a failing job must not stop the scheduler
        rt.log.error(f"{name} 失败：{exc}；可手动运行 duban plan --year {year} --send auto")
        rt.log.debug("详细信息", exc_info=True)
        return
    log_plan(rt.log, done)


def log_plan(log, done) -> None:
    if done.acted:
        for line in done.text():
            (log.error if done.failed else log.info)(line)


def make_scheduler(settings, workspace, *, scheduler_cls=None, executor=None):
    """A configured (not started) APScheduler with the SQLite job store under the data dir."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    if scheduler_cls is None:
        from apscheduler.schedulers.background import BackgroundScheduler as scheduler_cls
    workspace.root.mkdir(parents=True, exist_ok=True)
    create_file(workspace.scheduler_db)  # the umask's mode, not SQLite's 0644
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
    for job in plan.jobs:
        if job_done(job, ledger) or job.expired(now, grace):
            continue
        wanted[job.id] = job
    stages = {j.id: j for j in plan.rounds if not (j.done(ledger) or j.expired(now, grace))}
    for stored in sched.get_jobs():
        if stored.id not in wanted and stored.id not in stages:
            sched.remove_job(stored.id)
    for stage in stages.values():
        sched.add_job(
            "jobs.scheduler:fire_plan",
            trigger=stage.trigger(),
            args=[stage.year, stage.step],
            id=stage.id,
            name=stage.name,
            replace_existing=True,
        )
    for job in wanted.values():
        sched.add_job(
            "jobs.scheduler:fire",
            trigger=job.trigger(),
            args=[str(job.period), job.step],
            id=job.id,
            name=job.name,
            replace_existing=True,
        )
    return missed_notes(plan, ledger, now, grace)


def _on_missed(event) -> None:
    logging.getLogger(LOGGER).warning(
        f"排程任务 {event.job_id}（计划 {event.scheduled_run_time:%Y-%m-%d %H:%M}）错过太久，未执行；"
        "如仍需要，请运行 duban run --period " + event.job_id.split(".")[0]
    )


@contextmanager
def scheduler_lock(workspace):
    """One scheduler (``serve`` or ``--once``) per data dir: hold its lock or say who does."""
    lock = FileLock(workspace.scheduler_lock)
    if not lock.acquire():
        holder = lock.holder()
        pid = holder.pid if holder else None
        who = f"（进程号 {pid}）" if pid else ""
        raise SchedulerError(
            f"数据目录 {workspace.root} 已有一个排程进程在运行{who}，同一数据目录只能运行一个；"
            f"如需重启，请先停止它（kill {pid or '<进程号>'} 或 systemctl stop duban）"
        )
    try:
        yield lock
    finally:
        lock.release()


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
    with scheduler_lock(workspace) as lock:
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
                    yield Session(sched, log)
                finally:
                    runtime.stopping.set()  # jobs still queued are left for the next start
                    sched.shutdown(wait=True)
            log.info("排程进程已停止")


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
    upcoming: list[tuple[datetime, PlannedJob | PlanStageJob]]
    notes: list[str]
    rounds: list = field(default_factory=list)  # jobs.plan_jobs.PlanStageRun

    @property
    def failed(self) -> bool:
        return any(r.failed for r in self.reports) or any(r.failed for r in self.rounds)

    def lines(self) -> list[str]:
        out = [f"提示：{n}" for n in self.notes]
        for r in self.reports:
            out += r.lines()
        for done in self.rounds:
            out += done.text()
        if not self.reports and not self.rounds:
            out.append("现在不在任何季度的报送周期内，没有需要执行的步骤。")
        if self.upcoming:
            t, job = self.upcoming[0]
            out.append(f"下一个排程任务：{t.isoformat()}  {job.name}")
        from reporting.notify.delivery import outbox_note_once

        return outbox_note_once(out)


def run_once(app, *, years: list[int] | None = None, clock=None, stream=None) -> OnceResult:
    """What the scheduler would run now, once, for every period whose window is open.

    Holds the scheduler lock (so it never runs beside ``duban schedule``) and logs like it.
    """
    settings, workspace = app.settings, app.workspace
    clock = clock or clock_from_env(settings)
    with scheduler_lock(workspace):
        plan = build_plan(settings, years)
        now = clock.now()
        grace = timedelta(days=settings.schedule.misfire_grace_days)
        reports, rounds = [], []
        with app.ledger() as ledger:
            # beyond the grace nothing runs by itself: say so, not "nothing to do"
            notes = plan.notes + missed_notes(plan, ledger, now, grace)
        with schedule_log(workspace, stream) as log:
            log.info(f"duban schedule --once（{now.isoformat(timespec='seconds')}）")
            for note in notes:
                log.warning(note)
            for period in plan.periods:
                first, last = plan.window(period)
                if first <= now <= last + grace:
                    report = run_cycle(app, period, now=now, command="duban schedule --once")
                    log_report(log, report)
                    reports.append(report)
            for year in sorted({j.year for j in plan.rounds}):
                done = run_plan_stage(app, year, now, command="duban schedule --once")
                log_plan(log, done)
                if done.acted:
                    rounds.append(done)
        return OnceResult(reports, plan.upcoming(now, 1), notes, rounds)
