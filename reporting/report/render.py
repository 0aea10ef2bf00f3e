"""The quarterly report (公文, GB/T 9704-2012) rendered from the merged result.

``render_report`` reads ``<data>/<period>/merged.json`` (or, before anything was
collected, an empty result built from the task table), turns it into the template context
(``report_context``), and fills ``templates/report.docx`` (``docx_render``); optionally it
converts the report to PDF and writes the per-leader briefs (``leader_briefs``). From the
second quarter on, the previous quarter's merged.json of the same year (same task table)
adds the comparison with last quarter (``compare``); without it nothing changes.

Rendering twice gives the same file: fixed core properties, fixed zip times, a
deterministic chart and image names.
"""

from __future__ import annotations

import glob
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from reporting.core.config import Settings
from reporting.core.exceptions import ChartFontError, OfficeError, OutputError, ReportError
from reporting.core.fileutil import safe_filename
from reporting.core.model import QuarterResult, UnitReturn
from reporting.core.parallel import Warmed, in_background
from reporting.core.periods import Period
from reporting.core.previous import previous_result
from reporting.core.workspace import Workspace
from reporting.documents.docx_render import compile_ahead, render_docx
from reporting.documents.office import settle_pdf
from reporting.merge.compare import QuarterChange, quarter_change
from reporting.merge.tally import task_counts
from reporting.report.changes_text import NO_CHANGES, mark_annex
from reporting.report.context import build_context
from reporting.report.leader_briefs import BRIEFS_DIR, render_leader_briefs

REPORT_TEMPLATE = "report.docx"


@dataclass
class Edition:
    """Another edition of the period's report: its template and file name, its chart
    ((PNG, '') or (None, why)), and ``context(quarter_context)`` → what it adds or replaces."""

    template: str
    file_name: str
    chart: tuple[bytes | None, str]
    context: Callable[[dict], dict]
    finals: dict[str, str] = field(default_factory=dict)  # task id → 全年完成情况 (the briefs)


@dataclass
class ReportOutput:
    """What ``render_report`` wrote, with the counts it reported."""

    period: Period
    docx: Path
    merged: bool  # False: no merged.json yet, rendered as "no returns received"
    rows: int
    status_counts: dict[str, int]
    unit_counts: dict[str, int]
    lagging: int
    pdf: Path | None = None
    pdf_error: str = ""
    briefs: list[Path] = field(default_factory=list)
    change: QuarterChange | None = None  # the comparison with last quarter the report shows
    change_note: str = ""  # why last quarter's result was not compared, when it exists
    chart_note: str = ""  # why the chart was left out (no CJK font), with how to fix it
    removed: list[Path] = field(default_factory=list)  # earlier outputs this run made stale
    summary: list[str] = field(default_factory=list)  # what another edition adds (the year)

    def lines(self) -> list[str]:
        out = [f"报告已生成：{self.docx}"]
        if self.pdf:
            out.append(f"PDF：{self.pdf}")
        if self.pdf_error:
            out.append(f"未能生成 PDF：{self.pdf_error}")
        for old in self.removed:
            out.append(f"已删除与本次报告不一致的旧文件：{old}")
        if self.briefs:
            out.append(f"分管领导调度单 {len(self.briefs)} 份：{self.briefs[0].parent}")
        if self.change:
            c = self.change
            out.append(
                f"已与{c.before.period_label}对比：由未达到转为达到序时进度 {len(c.caught_up)} 项，"
                f"由达到转为未达到 {len(c.fell_behind)} 项（见报告“一、总体情况”）。"
            )
        out += self.summary
        if self.change_note:
            out.append(f"提示：{self.change_note}")
        if self.chart_note:
            out.append(f"提示：{self.chart_note}")
        counts = "、".join(f"{k}{v}项" for k, v in self.status_counts.items() if v)
        out.append(
            f"{self.period.full_label}：任务 {self.rows} 项（{counts or '无'}），滞后或亮红灯 {self.lagging} 项。"
        )
        u = self.unit_counts
        out.append(
            f"应报送单位 {u['due']} 个：按时 {u['on_time']} 个，逾期 {u['late']} 个，"
            f"退回待重报 {u['rejected']} 个，未报送 {u['missing']} 个"
            + (f"，待核实 {u['held']} 个" if u["held"] else "")
            + "。"
        )
        if not self.merged:
            out.append(
                "提示：还没有汇总结果（merged.json），报告按“尚未收到报送”生成；回收后请先运行 duban collect 再生成报告。"
            )
        return out


# -- the result ---------------------------------------------------------------------
def _calendar(settings: Settings, period: Period):
    """The period's dates; a year missing from the holiday table does not stop the report."""
    import warnings

    from reporting.core.calendar import UnknownYearWarning, period_calendar

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownYearWarning)
        return period_calendar(period, settings.deadline)


def empty_result(settings: Settings, assignments, period: Period) -> QuarterResult:
    """The result of a period nobody has reported on yet: every row and unit missing."""
    from reporting.merge.judge import build_result

    due = _calendar(settings, period).deadline.isoformat()
    registry = assignments.registry
    units = [
        UnitReturn(
            unit=name, kind=registry.units[name].kind if name in registry.units else "department"
        )
        for name in assignments.for_period(period).by_unit
    ]
    return build_result(
        assignments, period, {}, units, settings.merge, deadline=due, generated_at=due
    )


def load_result(
    settings: Settings, workspace: Workspace, period: Period, assignments=None
) -> tuple[QuarterResult, bool]:
    """(result, merged): the merged result, or an empty one when nothing was collected yet."""
    path = workspace.merged_json(period)
    if path.exists():
        try:
            return QuarterResult.load(path), True
        except (ValueError, TypeError, KeyError) as exc:
            raise ReportError(
                f"汇总结果 {path} 无法读取（{exc}），请重新运行 duban collect --period {period} 后再生成报告"
            ) from None
    if assignments is None:
        assignments = _assignments(settings)
    return empty_result(settings, assignments, period), False


def _assignments(settings: Settings):
    from reporting.taskbook.assignments import Assignments
    from reporting.taskbook.registry import Registry
    from reporting.taskbook.tasks import load_tasks

    return Assignments(
        load_tasks(settings.paths.tasks), Registry.load(settings.paths.units, settings.registry)
    )


def default_report_day(settings: Settings, period: Period, today: date) -> date:
    """The date in the 落款: the period's report day once it has come, else today."""
    report_day = _calendar(settings, period).report_day
    return report_day if report_day <= today else today


def report_chart(settings: Settings, result: QuarterResult) -> tuple[bytes | None, str]:
    """(PNG, '') or (None, why): without a CJK font the chart is left out, never boxes."""
    from reporting.report.chart import section_status_counts

    return counts_chart(settings.report.chart_font, section_status_counts(result))


def counts_chart(
    font_file: Path | None, data: list[tuple[str, dict[str, int]]]
) -> tuple[bytes | None, str]:
    """``report_chart`` from the counts by section: what a warmed process is handed."""
    from reporting.documents.fonts import chart_font
    from reporting.report.chart import counts_chart_png

    try:
        return counts_chart_png(data, chart_font(font_file)), ""
    except ChartFontError as exc:
        return None, str(exc)


def warm_chart() -> Warmed:
    """A process ready to draw the report's chart (``chart_ahead`` of ``render_report``):
    matplotlib imported while the run does what comes before the report."""
    from reporting.report.chart import warm_up

    return Warmed(warm_up)


def report_path(settings: Settings, period: Period, out_dir: Path) -> Path:
    d = settings.district
    return out_dir / safe_filename(
        f"{period}_{d.name}{d.document_title}{period.label}推进情况报告.docx", 120
    )


def render_report(
    settings: Settings,
    workspace: Workspace,
    period: Period,
    *,
    pdf: bool = False,
    office=None,
    **kw,
) -> ReportOutput:
    """``_render_report``; with ``pdf``, LibreOffice is started first, so its start-up
    overlaps the rendering (``office.EarlyOffice``), unless ``office`` is one started
    earlier still (by the run, ``jobs.steps.office_ahead``)."""
    from reporting.documents.office import EarlyOffice, soffice_path

    if office is not None or not pdf or soffice_path() is None:
        return _render_report(settings, workspace, period, pdf=pdf, office=office, **kw)
    with EarlyOffice(settings.report.pdf_timeout) as office:
        return _render_report(settings, workspace, period, pdf=pdf, office=office, **kw)


def _render_report(
    settings: Settings,
    workspace: Workspace,
    period: Period,
    *,
    office=None,
    out_dir: Path | None = None,
    pdf: bool = False,
    by_leader: bool = False,
    result: QuarterResult | None = None,
    now: datetime,
    today: date | None = None,
    assignments=None,
    previous: QuarterResult | None = None,
    edition: Edition | None = None,
    changes: dict | None = None,
    meanwhile: Callable[[], object] | None = None,
    chart_ahead: Warmed | None = None,
) -> ReportOutput:
    """Render the period's report (and optionally its PDF and the per-leader briefs).

    ``result`` defaults to merged.json, or an empty result from ``assignments`` (loaded from
    the settings when not given) when nothing was collected. ``now`` is the time of the run;
    ``today`` overrides the 落款 date (by default the report day once it has come, else today).
    ``previous`` (last quarter's result, for the comparison) defaults to the previous
    quarter's merged.json of the same year (``previous_result``). ``edition`` renders
    another edition of the same report (the annual one, ``reporting.annual``): its template,
    file, chart and the context it adds to the quarter's. ``meanwhile`` is called once the
    report and its briefs are written, while LibreOffice converts the report (what else the
    step writes: the 看板), before the PDF is awaited. ``chart_ahead`` (``warm_chart``) draws
    the chart, else a process forked here.
    """
    period = Period.parse(period)
    merged = True
    if result is None:
        result, merged = load_result(settings, workspace, period, assignments)
    elif result.period and result.period != str(period):
        raise ReportError(
            f"汇总结果属于 {result.period}，与要生成的报告期 {period} 不符，请检查 --period"
        )
    note = ""
    if previous is None:
        previous, note = previous_result(workspace, period, "本报告未与上季度对比")
    elif period.quarter == 1 or previous.period != str(period.previous()):
        raise ReportError(
            f"对比用的上季度结果属于 {previous.period}，不是 {period} 的上一季度（同一年度内），请检查"
        )
    change = quarter_change(previous, result) if previous is not None else None
    if change is not None and not change.comparable:
        change = None  # one of the quarters has no reports: nothing moved that can be told
    day = today or default_report_day(settings, period, now.date())
    out_dir = Path(out_dir) if out_dir else workspace.report_dir(period)
    # matplotlib's import and drawing (about a second) in another process while the
    # context is built; the context assumes a chart and is built again without one
    if edition:
        chart_later = lambda: edition.chart  # noqa: E731
    elif chart_ahead is not None:
        from reporting.report.chart import section_status_counts

        chart_later = chart_ahead.submit(
            counts_chart, settings.report.chart_font, section_status_counts(result)
        )
    else:
        chart_later = in_background(report_chart, settings, result)
    rungs = report_rungs(settings, workspace, result, previous)

    def build(has_chart: bool) -> dict:
        return build_context(
            result, settings, period, today=day, change=change, has_chart=has_chart, rungs=rungs
        )

    try:
        context = build(True)
        if not edition:  # what the render compiles, while the chart is still being drawn
            compile_ahead(Path(settings.templates_dir) / REPORT_TEMPLATE)
    finally:  # the drawing process is waited for, whatever happened here
        chart, chart_note = chart_later()
    if chart is None:
        context = build(False)
    # 销号/延期/调整 (``report.changes_text``): a paragraph, and marks beside changed rows
    context["changes"] = dict(changes or NO_CHANGES)
    context["changes"]["head"] = "（五）" if context.get("change") else "（四）"
    mark_annex(context, context["changes"]["marks"])
    when = datetime.combine(day, time(0, 0))
    target = report_path(settings, period, out_dir)
    template = REPORT_TEMPLATE
    stale: list[Path] = []
    if edition:
        context.update(edition.context(context))
        for old in (target, target.with_suffix(".pdf")):  # the quarter's edition it replaces
            stale += remove_stale(out_dir, glob.escape(old.name))
        target = out_dir / edition.file_name
        template = edition.template
    render_docx(
        Path(settings.templates_dir) / template,
        context,
        target,
        title=context["title"],
        author=settings.district.office,
        when=when,
        chart_png=chart,
    )
    output = ReportOutput(
        period=period,
        docx=target,
        merged=merged,
        rows=len(result.rows),
        status_counts=task_counts(result.rows).status,
        unit_counts=result.unit_counts(),
        lagging=context["n_lagging"],
        change=change,
        change_note=note,
        chart_note=chart_note,
        removed=stale,
    )
    from concurrent.futures import ThreadPoolExecutor

    from reporting.documents.office import convert

    # LibreOffice makes the PDF in its own process while the briefs are rendered here
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = (
            pool.submit(
                convert, target, "pdf", out_dir, timeout=settings.report.pdf_timeout, office=office
            )
            if pdf
            else None
        )
        if by_leader:
            output.briefs = render_leader_briefs(
                result,
                settings,
                period,
                out_dir / BRIEFS_DIR,
                today=day,
                change=change,
                finals=edition.finals if edition else None,
            )
        else:  # briefs of an earlier run carry the old numbers
            output.removed += remove_stale(out_dir / BRIEFS_DIR, f"{period}_分管领导调度单_*.docx")
        if meanwhile is not None:
            meanwhile()
    if pending is not None:
        try:
            output.pdf = pending.result()
        except (OfficeError, OutputError) as exc:
            _, output.pdf_error = settle_pdf(target, error=str(exc))
    else:  # an earlier PDF under the same name shows the old numbers
        output.removed += settle_pdf(target)[0]
    return output


def report_rungs(
    settings: Settings,
    workspace: Workspace,
    result: QuarterResult,
    previous: QuarterResult | None,
) -> dict:
    """The escalation ladder at ``result``'s quarter, over the year's merged quarters (the
    ``previous`` the report compares with standing for its quarter), as the 通报 has it."""
    from reporting.core.previous import year_so_far
    from reporting.merge.ladder import ladder

    quarters = year_so_far(workspace, result)
    if previous is not None:
        quarters = [q for q in quarters if q.period != previous.period]
        quarters = sorted([*quarters, previous], key=lambda q: q.period)
    return ladder(quarters, settings.ladder)


def remove_stale(folder: Path, pattern: str) -> list[Path]:
    """Delete earlier outputs matching ``pattern`` in ``folder``; the paths removed."""
    removed = []
    if folder.is_dir():
        for old in sorted(folder.glob(pattern)):
            old.unlink(missing_ok=True)
            removed.append(old)
    return removed
