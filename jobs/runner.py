"""``duban run``: the steps of one period that are due and not yet done, in order.

The ledger is the truth: a step recorded with ``Ledger.mark_step`` is never run again, so
``run`` can be repeated at any time (by hand, from cron, from every scheduler job) and does
only what is missing. A failing step is reported with its cause and the others go on,
unless they depend on it. Runs on one data dir are serialised by a lock file, so a person
typing ``duban run`` while the scheduler works cannot send a notice twice.
"""

from __future__ import annotations

import traceback
import warnings
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from reporting.core.exceptions import DubanError, SchedulerError, storage_error
from reporting.core.periods import Period
from reporting.core.states import Step

from . import steps as cycle

STATE_WORDS = {
    "ran": "完成",
    "partial": "未全部完成",
    "failed": "失败",
    "done_before": "已完成过",
    "skipped": "跳过",
    "waiting": "未到时间",
    "planned": "将执行",
}


@dataclass
class StepResult:
    step: str
    state: str  # one of STATE_WORDS
    reason: str = ""
    lines: list[str] = field(default_factory=list)
    detail: str = ""  # traceback of an unexpected error, for the log file
    blocking: bool = True  # a failed/partial result holds back the steps that depend on it

    @property
    def label(self) -> str:
        return cycle.label(self.step)

    def text(self) -> str:
        head = f"{self.label}：{STATE_WORDS[self.state]}"
        return f"{head}（{self.reason}）" if self.reason else head


@dataclass
class RunReport:
    """What ``run`` did for one period, and what it skipped and why."""

    period: Period
    now: datetime
    deadline_label: str
    results: list[StepResult]
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False

    def by_step(self, step: str) -> StepResult | None:
        return next((r for r in self.results if r.step == step), None)

    @property
    def failed(self) -> list[StepResult]:
        return [r for r in self.results if r.state in ("failed", "partial")]

    @property
    def ran(self) -> list[StepResult]:
        return [r for r in self.results if r.state in ("ran", "partial")]

    def lines(self) -> list[str]:
        out = [
            f"{self.period.full_label}（{self.period}）  现在 {self.now:%Y-%m-%d %H:%M}  报送截止 {self.deadline_label}"
        ]
        out += [f"提示：{n}" for n in self.notes]
        for r in self.results:
            out.append("  " + r.text())
            out += ["      " + line for line in r.lines]
        if self.dry_run:
            planned = [r.label for r in self.results if r.state == "planned"]
            out.append(
                "试运行，未执行任何步骤。"
                + (f"将执行：{'、'.join(planned)}。" if planned else "现在没有需要执行的步骤。")
            )
            return out
        if not self.ran and not self.failed:
            out.append("现在没有需要执行的步骤。")
        else:
            out.append(f"本次执行 {len(self.ran)} 步，失败 {len(self.failed)} 步。")
        if self.failed:
            out.append(
                f"请按上面的原因处理后重新运行 duban run --period {self.period}"
                "（已完成的步骤不会重做）；排程进程会在下一次触发时自动重试。"
            )
        from reporting.notify.delivery import outbox_note_once

        return outbox_note_once(out)


def period_dates(period: Period, settings):
    """(PeriodCalendar, DueTimes, notes): calendar warnings become notes for the log/CLI."""
    from reporting.core.calendar import UnknownYearWarning, period_calendar

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UnknownYearWarning)
        cal = period_calendar(period, settings.deadline)
    notes = [str(w.message) for w in caught if issubclass(w.category, UnknownYearWarning)]
    return cal, cycle.due_times(cal, settings), notes


def default_period(settings, now: datetime) -> Period:
    """The period whose cycle is open on ``now``'s day, if it is of a configured year.

    Outside ``[schedule] years`` there is no task table to report on: say so rather than
    run last year's tasks under this year's dates.
    """
    from reporting.core.calendar import UnknownYearWarning, current_period
    from reporting.core.periods import chinese_date

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownYearWarning)
        period = current_period(now.date(), settings.deadline)
    years = settings.schedule.years
    if period.year not in years:
        listed = "、".join(str(y) for y in years) or "（空）"
        raise SchedulerError(
            f"今天（{chinese_date(now.date())}）所在的报送周期是 {period.full_label}，不在配置的报送年度"
            f"（[schedule] years = {listed}）内。请用 --period 指定报告期（如 --period {years[-1] if years else period.year}Q4），"
            "或换用新年度的任务表并把年度加到 [schedule] years 后再运行"
        )
    return period


def run_cycle(
    app,
    period: Period | str,
    *,
    now: datetime,
    until: str | None = None,
    dry_run: bool = False,
    lock_timeout: float | None = None,
    command: str | None = None,
) -> RunReport:
    """Run the steps of ``period`` that are due at ``now`` and not done, up to ``until``.

    ``app`` is a ``jobs.app.App``; ``now`` must be timezone-aware. Step errors are caught
    and reported in the result, never raised. The data dir's lock is held throughout
    (re-entrant: ``duban run`` holds it already); when another process keeps it longer than
    ``lock_timeout`` (default ``[schedule] lock_wait_seconds``) ``LockedError`` is raised.
    ``command`` is what the lock file names as the holder.
    """
    period = Period.parse(period)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    cal, due, notes = period_dates(period, app.settings)
    names = cycle.ORDER[: cycle.ORDER.index(cycle.step_name(until)) + 1] if until else cycle.ORDER
    results: dict[str, StepResult] = {}
    lock: AbstractContextManager[object]
    if dry_run:
        lock = _NoLock()
    else:
        lock = app.hold(
            command or f"duban run --period {period}", started=now, timeout=lock_timeout
        )
    with lock, app.ledger() as ledger:
        done = _DoneView(ledger, period, now)
        report_due = (
            not dry_run
            and Step.REPORT in names
            and Step.REPORT in due
            and now >= due[Step.REPORT]
            and done.at(Step.REPORT) is None
        )
        with cycle.office_ahead(app, report_due):
            for step in names:
                if step not in due or step in results:  # not of this cycle, or done already
                    continue  # (配合反馈 without coop_days; the 通知 run with the forms)
                result = _decide(step, due, now, done, results)
                if result is None and not dry_run and _notice_follows(step, names, due, done):
                    results[step], results[Step.NOTICE] = _forms_and_notice(
                        app, period, now, ledger
                    )
                    continue
                if result is None:
                    result = (
                        StepResult(step, "planned")
                        if dry_run
                        else _execute(step, app, period, now, ledger)
                    )
                if result.state == "planned":
                    done.pretend.add(step)  # a dry run shows what would follow from it
                results[step] = result
    return RunReport(period, now, cal.deadline_label, list(results.values()), notes, dry_run)


class _NoLock:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


def _fmt(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"


class _DoneView:
    """``step_done`` from the ledger, plus steps a dry run pretends to have done."""

    def __init__(self, ledger, period: Period, now: datetime):
        self.ledger, self.period, self.now = ledger, period, now
        self.pretend: set[str] = set()

    def at(self, step: str) -> datetime | None:
        if step in self.pretend:
            return self.now
        row = self.ledger.step_done(self.period, step)
        return datetime.fromisoformat(row["done_at"]) if row is not None else None


def _decide(step, due, now, done: _DoneView, results) -> StepResult | None:
    """Why ``step`` should not run now, or None when it should."""
    period = done.period
    if step not in cycle.REPEATING and step not in done.pretend:
        done_at = done.at(step)
        if done_at is not None:
            # the ledger may hold another offset (a step done by hand on a UTC server):
            # show it in the schedule's zone, like "现在" in the heading
            if done_at.tzinfo is not None:
                done_at = done_at.astimezone(now.tzinfo)
            return StepResult(step, "done_before", _fmt(done_at))
    if now < due[step]:
        from reporting.core.calendar import day_label

        when = due[step]
        return StepResult(step, "waiting", f"{day_label(when.date())} {when:%H:%M} 起")

    def blocked_by(prior: str) -> bool:
        r = results.get(prior)
        return r is not None and r.state in ("failed", "partial") and r.blocking

    if step == Step.NOTICE and done.at("forms") is None:
        return StepResult(step, "skipped", "表单还没有生成，先处理上面“生成表单”的问题")
    if step == Step.COLLECT and done.at("report") is not None:
        return StepResult(
            step,
            "skipped",
            f"报告已生成，自动回收已结束；之后交回的表请运行 duban collect --period {period}",
        )
    if step in cycle.REMINDER_STAGES:
        notice_at = done.at("通知")
        if notice_at is None:
            return StepResult(step, "skipped", "通知还没有发出")
        if step != Step.OVERDUE and now >= due.deadline:
            return StepResult(
                step, "skipped", f"已过报送截止时间，不再{step}；未交的单位按逾期催报"
            )
        if step == Step.REMIND and now >= due["催报"]:
            return StepResult(step, "skipped", "已到催报时间，提醒并入催报，不再单独发送")
        notice_day = notice_at.date()
        if notice_day == now.date() and notice_day > due["通知"].date():
            return StepResult(step, "skipped", f"通知今天才补发，今天不再发{cycle.label(step)}")
        if blocked_by("collect"):
            return StepResult(step, "skipped", "本次回收没有成功，为免催到已交表的单位，暂缓发送")
    if step == Step.COOP:
        notice_at = done.at(Step.NOTICE)
        if notice_at is None:
            return StepResult(step, "skipped", "通知还没有发出")
        if notice_at.date() == now.date() and notice_at.date() > due[Step.NOTICE].date():
            return StepResult(step, "skipped", "通知今天才补发，今天不汇编配合反馈")
        if blocked_by(Step.COLLECT):
            return StepResult(step, "skipped", "本次回收没有成功，配合反馈暂缓汇编")
    if step == Step.REPORT and blocked_by(Step.COLLECT):
        return StepResult(step, "skipped", "本次回收没有成功，报告暂不生成")
    if step == Step.BULLETIN and done.at(Step.REPORT) is None:
        return StepResult(step, "skipped", "报告还没有生成，通报在报告之后")
    return None


def _notice_follows(step, names, due, done: _DoneView) -> bool:
    """Whether the 通知 is to run right after the forms step about to run, so that the two
    go together (``forms_and_notice``); not when a test replaced either step."""
    if step != Step.FORMS or Step.NOTICE not in names or Step.NOTICE not in due:
        return False
    if cycle.STEPS[Step.FORMS] is not cycle.do_forms or cycle.STEPS[Step.NOTICE] is not (
        cycle.do_notice
    ):
        return False
    done.pretend.add(Step.FORMS)  # would the 通知 run once the forms are done
    try:
        return _decide(Step.NOTICE, due, done.now, done, {}) is None
    finally:
        done.pretend.discard(Step.FORMS)


def forms_and_notice(app, period: Period, now: datetime) -> tuple[Any, Any]:
    """The forms and the 通知 of one run together: each unit's 通知 goes out once its form
    is on disk and recorded, while the workers write the later forms (the runner's way when
    both steps are due in one run). Returns what each step gave, its summary or the
    exception it raised; the 通知's is None when it did not start (the forms could not)."""
    from reporting.forms.build import FormsBuild
    from reporting.notify.remind import send_reminders

    with app.ledger() as ledger:
        try:
            building = FormsBuild(app.settings, app.book(period), app.workspace, period, now=now)
            building.start(ledger)
        except Exception as exc:  # noqa: BLE001 - the runner reports it as the forms step's
            return exc, None
        notice: Any
        try:
            notice = send_reminders(
                app.settings,
                app.book(period),
                app.workspace,
                period,
                stage=Step.NOTICE,
                channels=cycle.reminder_channels(app.settings, Step.NOTICE),
                now=now,
                ledger=ledger,
                building=building,
            )
        except Exception as exc:  # noqa: BLE001 - the runner reports it as the 通知's
            notice = exc
        forms: Any
        try:  # the forms the 通知 did not wait for
            forms = building.finish()
        except Exception as exc:  # noqa: BLE001 - the runner reports it as the forms step's
            forms = exc
    return forms, notice


NO_FORMS = "表单还没有生成，先处理上面“生成表单”的问题"
MISSING_FORMS = "{} 个单位的表单没有生成，没有给它们发通知；表单生成后下次运行补发"


def _forms_and_notice(app, period, now, ledger) -> tuple[StepResult, StepResult]:
    """The forms and the 通知 run together, each reported and recorded as its own step.
    A 通知 that reached nobody while the forms did not all succeed is skipped, as it would
    have been after them; one that reached some units stays open for the rest."""
    forms, notice = forms_and_notice(app, period, now)
    first = _result(Step.FORMS, forms, app, period, now, ledger)
    if first.state == "ran":
        return first, _result(Step.NOTICE, notice, app, period, now, ledger)
    if notice is None or isinstance(notice, BaseException) or not (notice.sent or notice.failed):
        return first, StepResult(Step.NOTICE, "skipped", NO_FORMS)
    missing = len(forms.failed) if not isinstance(forms, BaseException) else 0
    second = _result(Step.NOTICE, notice, app, period, now, ledger, mark=False)
    second.state = "partial"
    second.reason = MISSING_FORMS.format(missing) if missing else NO_FORMS
    return first, second


def _execute(step, app, period, now, ledger) -> StepResult:
    try:
        summary = cycle.STEPS[step](app, period, now)
    except Exception as exc:  # noqa: BLE001 - one step's bug must not stop the others
        summary = exc
    return _result(step, summary, app, period, now, ledger)


def _result(step, summary, app, period, now, ledger, mark: bool = True) -> StepResult:
    """What a step that returned ``summary`` (or raised it) did; recorded when complete
    (and ``mark``)."""
    if isinstance(summary, DubanError):
        return StepResult(step, "failed", str(summary))
    if isinstance(summary, Exception):  # one step's bug must not stop the others
        known = storage_error(summary, app.workspace.ledger_path)
        if known is not None:
            return StepResult(step, "failed", str(known))
        return StepResult(
            step,
            "failed",
            f"程序内部出错（{type(summary).__name__}: {summary}），详细信息见日志；请把日志发给维护人员",
            detail="".join(traceback.format_exception(summary)),
        )
    lines = cycle.summary_lines(summary)
    pending = cycle.unfinished(summary)
    if pending:
        return StepResult(step, "partial", pending, lines, blocking=cycle.blocks_later(summary))
    if not mark:
        return StepResult(step, "ran", "", lines)
    ledger.mark_step(period, step, detail="\n".join(lines), at=now.isoformat(timespec="seconds"))
    return StepResult(step, "ran", "", lines)
