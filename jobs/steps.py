"""The steps of one period's cycle and when each is due.

Order: forms → 通知 → collect → 提醒 / 催报 → 配合反馈 → 逾期 → report → 督查通报. Collect runs before
the reminder stages so that a unit whose return has just arrived is not reminded, and before
the report so that it includes every return. 配合反馈 (``coop``) is due at the cooperating
units' deadline (``[deadline] coop_days``; without one it is not part of the cycle); once it
is done every later collect sends lead units an update when a partner's return changed
what they were sent. The 督查通报 (``bulletin``) follows the report at the same moment
when ``[bulletin] auto`` is on (off by default: without it the step is not part of the
cycle); ``[bulletin] send`` decides whether the step also mails it to every unit.

Each step calls one ``reporting`` function (imported lazily: the command line stays fast and
a step whose module is missing fails alone). ``STEPS`` maps a step name to its callable
``(app, period, now) -> summary``; tests replace entries. The runner (``jobs.runner``) decides
what is due and records completion with ``Ledger.mark_step``; ``collect`` repeats and is
recorded each time it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from reporting.core.exceptions import DubanError, SchedulerError
from reporting.core.periods import Period
from reporting.core.states import REMINDER_STEPS, Step

if TYPE_CHECKING:  # the step modules are imported lazily at run time
    from reporting.annual.workbook import YearOutput
    from reporting.assess.bulletin import BulletinOutput
    from reporting.assess.bulletin_send import BulletinSendSummary
    from reporting.dashboard.page import DashboardOutput
    from reporting.feedback.send import FeedbackSummary
    from reporting.intake.collect import CollectSummary
    from reporting.intake.imap import FetchSummary
    from reporting.notify.receipts import ReceiptSummary
    from reporting.report.render import ReportOutput

ORDER = tuple(Step)
REMINDER_STAGES = REMINDER_STEPS
REPEATING = frozenset({Step.COLLECT})  # runs whenever due; never "done"

LABELS = {
    Step.FORMS: "生成表单",
    Step.NOTICE: "下发通知",
    Step.COLLECT: "回收报表",
    Step.REMIND: "提醒",
    Step.URGE: "催报",
    Step.COOP: "配合反馈",
    Step.OVERDUE: "逾期催报",
    Step.REPORT: "生成报告",
    Step.BULLETIN: "督查通报",
}

# what a person may type for --until: ledger name, label, or a short Chinese word
ALIASES = {
    **{name: name for name in ORDER},
    **{label: name for name, label in LABELS.items()},
    "表单": Step.FORMS,
    "通知": Step.NOTICE,
    "回收": Step.COLLECT,
    "报告": Step.REPORT,
    "配合": Step.COOP,
    "通报": Step.BULLETIN,
}


def step_name(text: str) -> str:
    """The ledger name of a step typed by a person (``报告`` → ``report``)."""
    name = ALIASES.get(text.strip())
    if name is None:
        choices = "、".join(ORDER)
        raise SchedulerError(f"不认识的步骤“{text}”，可选：{choices}")
    return name


def label(step: str) -> str:
    return LABELS.get(Step(step), step) if step in Step._value2member_map_ else step


def schedule_zone(settings) -> ZoneInfo:
    """The installation's one time zone ([schedule] timezone, checked when loaded)."""
    return settings.deadline.zone


def at_schedule_time(day: date, settings) -> datetime:
    """``day`` at ``[schedule] time`` in the schedule's time zone."""
    hh, mm = (int(x) for x in settings.schedule.time.split(":"))
    return datetime.combine(day, time(hh, mm), tzinfo=schedule_zone(settings))


@dataclass(frozen=True)
class DueTimes:
    """When each step of a period becomes due (and when the collection window closes)."""

    steps: dict[str, datetime]
    deadline: datetime
    window_end: datetime  # the last scheduled collect (report day, schedule time)

    def __getitem__(self, step: str) -> datetime:
        return self.steps[step]

    def __contains__(self, step: str) -> bool:
        return step in self.steps


def due_times(cal, settings) -> DueTimes:
    """Due moments from a ``PeriodCalendar``: stage days and the report day at schedule time."""
    notice = at_schedule_time(cal.stages["通知"], settings)
    report = at_schedule_time(cal.report_day, settings)
    steps = {
        "forms": notice,
        "通知": notice,
        "collect": notice,
        "提醒": at_schedule_time(cal.stages["提醒"], settings),
        "催报": at_schedule_time(cal.stages["催报"], settings),
        "逾期": at_schedule_time(cal.stages["逾期"], settings),
        "report": report,
    }
    if cal.separate_coop:  # the partners' deadline itself: their sheets are due by then
        steps[Step.COOP] = cal.coop_deadline
    if settings.bulletin.auto:  # right after the report it quotes the numbers of
        steps[Step.BULLETIN] = report
    return DueTimes(steps=steps, deadline=cal.deadline, window_end=report)


# -- the step callables ------------------------------------------------------------------


def reminder_channels(settings, stage: str) -> tuple[str, ...]:
    """The channels configured for ``stage``: email (server or outbox), the group robots, and
    for 催报 / 逾期 the printable chase list. With nothing configured, email — whose error
    then says what to fill in."""
    channels = []
    if settings.smtp.host or settings.smtp.outbox:
        channels.append("email")
    if settings.webhook.wecom_url or settings.webhook.dingtalk_url:
        channels.append("webhook")
    if not channels:
        channels.append("email")
    if stage in ("催报", "逾期"):
        channels.append("list")
    return tuple(channels)


def do_forms(app, period: Period, now: datetime):
    from reporting.forms.build import build_forms

    with app.ledger() as ledger:
        return build_forms(
            app.settings, app.book(period), app.workspace, period, ledger=ledger, now=now
        )


def _reminder(stage: str) -> Callable:
    def do_stage(app, period: Period, now: datetime):
        from reporting.notify.remind import send_reminders

        return send_reminders(
            app.settings,
            app.book(period),
            app.workspace,
            period,
            stage=stage,
            channels=reminder_channels(app.settings, stage),
            now=now,
        )

    do_stage.__name__ = f"do_{stage}"
    return do_stage


do_notice = _reminder(Step.NOTICE)


NO_MAIL_HINT = (
    "没有配置邮件（config.toml 的 [smtp] host 或 outbox），本次没有给报送单位发回执或退回通知；"
    "配置后再次运行 duban collect 即可补发（不想发回执可设 [intake] receipts = false）。"
)


@dataclass
class CollectOutcome:
    """A collect and the receipts sent right after it (``duban collect``, the collect step)."""

    collected: CollectSummary
    fetched: FetchSummary | None = None  # when [imap] is set
    fetch_error: str = ""  # the mailbox could not be read at all (connection, login)
    receipts: ReceiptSummary | None = None  # when sent
    receipt_error: str = ""  # receipts could not be sent at all (mail settings, template)
    hint: str = ""  # why no receipts went out: for the command, not the scheduler's log
    feedback: FeedbackSummary | None = None  # 配合反馈 updates
    feedback_error: str = ""

    def lines(self) -> list[str]:
        out = []
        if self.fetch_error:
            out.append(f"收件邮箱未能收取：{self.fetch_error}")
        out += summary_lines(self.fetched) + summary_lines(self.collected)
        out += summary_lines(self.receipts)
        if self.receipt_error:
            out.append(f"回执未能发送：{self.receipt_error}")
        if self.feedback is not None and (self.feedback.sends or self.feedback.notes):
            out += summary_lines(self.feedback)
        if self.feedback_error:
            out.append(f"配合反馈更新未能发送：{self.feedback_error}")
        from reporting.notify.delivery import outbox_note_once

        return outbox_note_once(out)

    @property
    def failed(self) -> int:
        count = (
            len(self.collected.failed)
            + bool(self.receipt_error)
            + self.fetch_failed
            + bool(self.feedback_error)
        )
        count += self.feedback.failed if self.feedback is not None else 0
        return count + (self.receipts.failed if self.receipts is not None else 0)

    @property
    def blocks_later(self) -> bool:
        """Only a failed intake holds back reminders and the report; receipts that did not
        go out are retried at the next collect."""
        return bool(self.collected.failed) or bool(self.fetch_failed)

    @property
    def fetch_failed(self) -> int:
        """The mailbox was not (completely) read: returns may be waiting there, so reminders
        and the report wait too (the next collect retries)."""
        if self.fetch_error:
            return 1
        f = self.fetched
        return 0 if f is None else len(f.failed) + bool(f.error)


def collect_and_answer(
    app,
    period: Period,
    *,
    now: datetime,
    inbox=None,
    receipts: bool = True,
    mark: bool = False,
    fetch: bool = True,
    imap_ssl_context=None,
    rebuild: bool = False,
    **kw,
) -> CollectOutcome:
    """Fetch new mails from the office mailbox (``[imap]``, into the period's inbox; not with
    another ``inbox``), collect the inbox, then send the receipts (``[intake] receipts``)
    when email is set up.

    ``mark`` (``duban collect`` by hand) records the collect step when the merged outputs
    changed; the runner records its own steps. ``rebuild`` writes merged.json and the 汇总表
    again from the ledger even when nothing changed (``duban collect --rebuild``).

    ``kw`` goes to ``reporting.notify.receipts.send_receipts`` (``sleep``, ``ssl_context``).
    """
    from reporting.merge.collect_merge import collect_and_merge
    from reporting.notify.delivery import email_configured
    from reporting.notify.receipts import send_receipts

    s = app.settings
    with app.ledger() as ledger:
        fetched, fetch_error = None, ""
        if fetch and inbox is None and s.imap.host:
            from reporting.intake.imap import fetch_mailbox

            try:
                fetched = fetch_mailbox(
                    s,
                    app.registry,
                    app.workspace,
                    period,
                    ledger=ledger,
                    now=now,
                    ssl_context=imap_ssl_context,
                )
            except DubanError as exc:  # nothing taken; the inbox is still collected
                fetch_error = str(exc)
        answer = receipts and s.intake.receipts and email_configured(s)
        # the merged outputs: written meanwhile when receipts go out, awaited after them
        later: list | None = [] if answer else None
        collected = collect_and_merge(
            s,
            app.book(period),
            app.workspace,
            period,
            inbox=inbox,
            now=now,
            ledger=ledger,
            rebuild=rebuild,
            later=later,
        )
        outcome = CollectOutcome(collected, fetched=fetched, fetch_error=fetch_error)
        try:
            if receipts and s.intake.receipts:
                if not email_configured(s):
                    outcome.hint = NO_MAIL_HINT
                else:
                    try:
                        outcome.receipts = send_receipts(
                            s, app.book(period), app.workspace, period, ledger=ledger, now=now, **kw
                        )
                    except DubanError as exc:
                        outcome.receipt_error = str(exc)
        finally:
            for finish in later or ():
                finish()
        if mark and collected.written and collected.result is not None:
            c = collected.result.unit_counts()
            ledger.mark_step(
                period,
                "collect",
                detail=f"接收 {c['on_time'] + c['late']}，退回 {c['rejected']}，未报送 {c['missing']}"
                + (f"，待核实 {c['held']}" if c["held"] else ""),
                at=collected.result.generated_at,
            )
        if not collected.failed and ledger.step_done(period, Step.COOP) is not None:
            # after the 配合反馈 went out, a changed partner return sends the lead unit an update
            _feedback_updates(app, period, now, ledger, outcome, kw)
    return outcome


def _feedback_updates(app, period, now, ledger, outcome: CollectOutcome, kw) -> None:
    from reporting.feedback.send import send_feedback

    try:
        outcome.feedback = send_feedback(
            app.settings,
            app.book(period),
            app.workspace,
            period,
            ledger=ledger,
            now=now,
            result=outcome.collected.result,
            **kw,
        )
    except DubanError as exc:
        outcome.feedback_error = str(exc)


def do_coop(app, period: Period, now: datetime):
    """配合反馈: each lead unit gets its partners' feedback (the runner collected just before)."""
    from reporting.feedback.send import send_feedback

    with app.ledger() as ledger:
        return send_feedback(
            app.settings, app.book(period), app.workspace, period, ledger=ledger, now=now
        )


def do_collect(app, period: Period, now: datetime):
    """Collect, then answer the new returns (no mail configured: no receipts, silently)."""
    return collect_and_answer(app, period, now=now)


@dataclass
class ReportOutcome:
    """The report and the 看板 pages beside it; at the year's end also the year workbook
    written beside its annual edition."""

    report: ReportOutput
    year: YearOutput | None = None
    dashboards: list[DashboardOutput] = field(default_factory=list)
    dashboard_error: str = ""  # the pages could not be written (the report stands)

    def lines(self) -> list[str]:
        out = summary_lines(self.report) + summary_lines(self.year)
        for page in self.dashboards:
            out += summary_lines(page)
        if self.dashboard_error:
            out.append(f"看板未能生成：{self.dashboard_error}")
        return out


def write_dashboards(app, period: Period, now: datetime, outcome: ReportOutcome) -> None:
    """The period's 看板 and the year's (its quarters so far) beside the report; a failure
    is told, never undoes the report. ``outcome.report`` may not be set yet (the pages are
    written while LibreOffice converts the report)."""
    from reporting.dashboard.page import write_period_dashboard, write_year_dashboard

    try:
        with app.ledger() as ledger:
            outcome.dashboards.append(
                write_period_dashboard(
                    app.settings,
                    app.workspace,
                    period,
                    now=now,
                    ledger=ledger,
                    assignments=app.book(period),
                )
            )
        if app.workspace.merged_json(period).exists():  # the year page needs a merged quarter
            outcome.dashboards.append(
                write_year_dashboard(
                    app.settings, app.workspace, app.year_book(period.year), period.year, now=now
                )
            )
    except DubanError as exc:
        outcome.dashboard_error = str(exc)


@contextmanager
def office_ahead(app, report_due: bool):
    """With the report step due in this run, LibreOffice is started at its beginning, so
    its start-up overlaps the collection and reminders before the report
    (``office.EarlyOffice``, which ``do_report`` hands the PDF conversion), and so is the
    process that draws the report's chart (``render.warm_chart``: matplotlib imported
    meanwhile); both ended with the run."""
    if not report_due:  # most runs: not even the module is imported
        yield
        return
    from reporting.documents.office import EarlyOffice, soffice_path
    from reporting.report.render import warm_chart

    with warm_chart() as chart:
        app.__dict__["chart_ahead"] = chart
        try:
            if soffice_path() is None:
                yield
            else:
                with EarlyOffice(app.settings.report.pdf_timeout) as office:
                    app.__dict__["office_ahead"] = office
                    yield
        finally:
            app.__dict__.pop("office_ahead", None)
            app.__dict__.pop("chart_ahead", None)


def do_report(app, period: Period, now: datetime) -> ReportOutcome:
    """The report with the per-leader briefs, and its PDF when LibreOffice is installed;
    the fourth quarter's is the annual edition (``reporting.annual``), with the year
    workbook (``duban year``) beside it; then the 看板 of the period and of the year."""
    from reporting.annual.report import render_period_report
    from reporting.documents.office import soffice_path
    from reporting.merge.collect_merge import ensure_merged

    # a damaged or lost merged.json is rebuilt first
    ensure_merged(app.settings, app.book(period), app.workspace, period, now)

    # the year workbook and the 看板 are written while LibreOffice converts the report
    late = ReportOutcome(None)  # type: ignore[arg-type]  # the report is set when rendered

    def meanwhile() -> None:
        if period.quarter == 4:
            from reporting.annual.workbook import run_year

            late.year = run_year(
                app.settings, app.workspace, app.year_book(period.year), period.year
            )
        write_dashboards(app, period, now, late)

    def render(ledger=None):
        return render_period_report(
            app.settings,
            app.workspace,
            period,
            ledger=ledger,
            pdf=soffice_path() is not None,
            by_leader=True,
            now=now,
            today=now.date(),
            assignments=app.book(period),
            changes=app.change_notes(period),
            year_book=app.year_book(period.year) if period.quarter == 4 else None,
            changes_year=app.year_changes(period.year) if period.quarter == 4 else None,
            meanwhile=None if ledger is not None else meanwhile,
            office=app.__dict__.get("office_ahead"),
            chart_ahead=app.__dict__.get("chart_ahead"),
        )

    if period.quarter == 4 and app.settings.report.annual_scores:  # quotes the 考核评分
        with app.ledger() as ledger:
            late.report = render(ledger)
        meanwhile()  # the pages open the ledger themselves: after this one is closed
    else:
        late.report = render()
    return late


@dataclass
class BulletinOutcome:
    """The 通报 the bulletin step wrote, and its mails when ``[bulletin] send`` is on."""

    output: BulletinOutput
    sent: BulletinSendSummary | None = None
    send_error: str = ""  # nothing could be sent (no PDF, mail settings)
    hint: str = ""

    def lines(self) -> list[str]:
        out = summary_lines(self.output) + summary_lines(self.sent)
        if self.send_error:
            out.append(f"通报未能发送：{self.send_error}")
        return out + ([self.hint] if self.hint else [])

    @property
    def failed(self) -> int:
        # a send that did not happen keeps the step open: the next run tries again
        sent_failed = self.sent.failed if self.sent is not None else 0
        return sent_failed + bool(self.send_error)


BULLETIN_NO_MAIL = (
    "没有配置邮件（config.toml 的 [smtp] host 或 outbox），督查通报只生成、没有发送；"
    "配置后运行 duban bulletin --period {period} --send 发给各单位（已发送的不会重复）。"
)


def do_bulletin(app, period: Period, now: datetime):
    """督查通报 after the report; mailed with its PDF when ``[bulletin] send`` and mail are set."""
    from reporting.assess.bulletin import render_bulletin
    from reporting.documents.office import soffice_path
    from reporting.notify.delivery import email_configured

    s = app.settings
    send = s.bulletin.send and email_configured(s)
    with app.ledger() as ledger:
        output = render_bulletin(
            s,
            app.workspace,
            ledger,
            period,
            now=now,
            pdf=send or soffice_path() is not None,
            assignments=app.book(period),
            year_book=app.year_book(period.year) if period.quarter == 4 else None,
        )
        outcome = BulletinOutcome(output)
        if s.bulletin.send and not send:
            outcome.hint = BULLETIN_NO_MAIL.format(period=period)
        if not send:
            return outcome
        if output.pdf is None:
            outcome.send_error = f"通报 PDF 没有生成（{output.pdf_error or '没有找到 LibreOffice'}），没有发送任何邮件"
            return outcome
        from reporting.assess.bulletin_send import send_bulletin

        try:
            outcome.sent = send_bulletin(s, app.registry, ledger, output, now=now)
        except DubanError as exc:
            outcome.send_error = str(exc)
    return outcome


STEPS: dict[str, Callable] = {
    Step.FORMS: do_forms,
    Step.NOTICE: do_notice,
    Step.COLLECT: do_collect,
    Step.REMIND: _reminder(Step.REMIND),
    Step.URGE: _reminder(Step.URGE),
    Step.COOP: do_coop,
    Step.OVERDUE: _reminder(Step.OVERDUE),
    Step.REPORT: do_report,
    Step.BULLETIN: do_bulletin,
}


def summary_lines(summary) -> list[str]:
    """A step's Chinese summary lines, whatever it returned."""
    if summary is None:
        return []
    lines = getattr(summary, "lines", None)
    if callable(lines):
        return [str(x) for x in lines()]
    return [str(summary)]


def unfinished(summary) -> str | None:
    """Why a step that returned normally is not complete yet (e.g. some sends failed), or None.

    Summaries may report failures as ``failed`` (a count or a list); such a step stays
    not-done so the next scheduled run retries it (sends already made are not repeated).
    """
    failed = getattr(summary, "failed", None)
    if callable(failed):
        failed = failed()
    if not failed:
        return None
    count = failed if isinstance(failed, int) else len(failed)
    return f"{count} 项未成功，下次运行时重试"


def blocks_later(summary) -> bool:
    """Whether an unfinished step holds back the steps that depend on it (default yes)."""
    return bool(getattr(summary, "blocks_later", True))
