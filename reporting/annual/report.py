"""The annual (全年) edition of the fourth quarter's report: ``duban report --period 2024Q4``.

Same 公文 geometry and styles as the quarterly report (``templates/annual_report.docx``, built
by ``templates/build_annual_template.py``); the quarter's own numbers (who reported) stay
in the opening paragraph. What it adds, all from one ``YearData`` (``duban year`` writes
the same numbers): 全年完成情况 by the rule in ``reporting.annual.year``, every indicator's
final value against its target, the unfinished tasks with the lead units' reasons, the
year's four quarters side by side (annex 1) and a chart of the status mix by quarter, and
— when ``[report] annual_scores`` is on — the year's 考核评分 (``reporting.assess.scoring``).
"""

from __future__ import annotations

from datetime import date, datetime

from reporting.annual.changes_annex import year_changes_context
from reporting.annual.next_year import unfinished_label, year_common, year_next_steps
from reporting.annual.year import Final, Reached, TaskYear, YearData, year_data
from reporting.core.config import Settings
from reporting.core.exceptions import ChartFontError
from reporting.core.model import MISSING
from reporting.core.periods import Period
from reporting.core.text import condense, one_line, unit_text
from reporting.core.workspace import Workspace
from reporting.merge.tally import STATUS_KEYS
from reporting.report.context import LIGHT_FILL, annex_state, in_pairs
from reporting.report.render import Edition, ReportOutput, load_result, render_report
from reporting.report.wording import (
    join_names,
    label_items,
    share,
    stack_names,
    status_phrase,
    title_break,
)

TEMPLATE = "annual_report.docx"
REASON_CHARS = 60  # each of the unit's texts in section 二: about two lines of the body
NAMED_INDICATORS = 6  # missed indicators named in the body (annex 2 lists them all)
FINAL_FILL = {Final.DONE: "BFE3C0", Final.MOSTLY: "FBE29F", Final.UNDONE: "F4B6B6"}


def annual_file_name(settings: Settings, period: Period) -> str:
    from reporting.core.fileutil import safe_filename

    d = settings.district
    return safe_filename(f"{period}_{d.name}{d.document_title}全年完成情况报告.docx", 120)


def render_annual(
    settings: Settings,
    workspace: Workspace,
    period: Period,
    *,
    now: datetime,
    ledger=None,
    assignments=None,
    year_book=None,
    changes_year=None,
    **kw,
) -> ReportOutput:
    """Render the fourth quarter's report as the annual edition (``kw`` as ``render_report``:
    out_dir, pdf, by_leader, today). ``ledger`` is needed only when ``[report] annual_scores``;
    ``year_book`` (``taskbook.period_book.year_book``) is the version the year is judged by
    (default: ``assignments``); ``changes_year`` the year's 销号/延期/调整 requests
    (``taskbook.changes.listing``) for annex 4."""
    from reporting.report.render import _assignments

    period = Period.parse(period)
    assignments = assignments or _assignments(settings)
    result, _merged = load_result(settings, workspace, period, assignments)
    data = year_data(settings, workspace, year_book or assignments, period.year, fourth=result)
    scores = annual_scores(settings, ledger, data) if settings.report.annual_scores else []
    edition = Edition(
        template=TEMPLATE,
        file_name=annual_file_name(settings, period),
        chart=quarter_chart(settings, data),
        context=lambda base: {
            **annual_context(data, settings, base, scores=scores),
            **year_changes_context(changes_year or [], data.year),
        },
        finals={t.id: str(t.final) for t in data.tasks},
    )
    output = render_report(
        settings,
        workspace,
        period,
        now=now,
        assignments=assignments,
        result=result,
        edition=edition,
        **kw,
    )
    output.change = None  # the annual edition shows the four quarters, not the last two
    c = data.final_counts()
    output.summary.append(
        f"全年版：任务 {len(data.tasks)} 项，完成 {c[Final.DONE]} 项，基本完成 {c[Final.MOSTLY]} 项，"
        f"未完成 {c[Final.UNDONE]} 项"
        + (f"，尚未判定 {c[Final.PENDING]} 项" if c[Final.PENDING] else "")
        + "（与 duban year 的全年汇总表相同）。"
    )
    if settings.report.annual_scores and not scores:
        output.summary.append("提示：[report] annual_scores 已开启，但没有可引用的考核评分。")
    return output


def quarter_chart(settings: Settings, data: YearData) -> tuple[bytes | None, str]:
    """图1: the status mix of each quarter, drawn like the quarterly chart."""
    from reporting.documents.fonts import chart_font
    from reporting.report.chart import bars_png

    counts = data.status_by_quarter()
    keys = [k for k in STATUS_KEYS if any(c[k] for _, c in counts)]
    try:
        return bars_png(counts, keys or [MISSING], chart_font(settings.report.chart_font)), ""
    except ChartFontError as exc:
        return None, str(exc)


def annual_scores(settings: Settings, ledger, data: YearData) -> list[str]:
    """The year's 考核评分 lines (the same summary the bulletin quotes)."""
    from reporting.assess.scoring import score_lines

    if ledger is None:
        return []
    results = [data.results[p] for p in data.merged]
    return score_lines(settings, ledger, results, Period.parse(data.merged[-1]))


def annual_context(data: YearData, settings: Settings, base: dict, *, scores: list[str]) -> dict:
    """What the annual template shows besides the quarter's context ``base``."""
    d = settings.district
    title = f"关于{d.name}{data.year}年{d.document_title}全年完成情况的报告"
    counts = data.final_counts()
    n = len(data.tasks)
    finished = counts[Final.DONE] + counts[Final.MOSTLY]
    early = [t for t in data.tasks if t.early]
    inds = data.indicators()
    reached = [i for i in inds if i.reached == Reached.REACHED]
    missed = [i for i in inds if i.reached == Reached.MISSED]
    unreported = [i for i in inds if i.reached == Reached.MISSING]
    ind_summary = ""
    if inds:
        ind_summary = f"{n}项任务中设有量化指标{len(inds)}项，达到年度目标{len(reached)}项，未达到{len(missed)}项"
        if unreported:
            ind_summary += f"，未填报{len(unreported)}项"
        ind_summary += "（增速、比率按目标值判定，累计量按全年目标判定，逐项见附件2）。"
        if missed:
            named = missed[:NAMED_INDICATORS]
            ind_summary += (
                "未达到的"
                + ("有" if len(missed) > len(named) else "是")
                + "："
                + "；".join(f"{i.name}{i.value_text}，{i.compare}" for i in named)
                + ("等" if len(missed) > len(named) else "")
                + "。"
            )
    quarters = []
    for label, c in data.status_by_quarter():
        # the last quarter's statuses are what the units said; the verdict above is the judged one
        said = "自报" if label == Period(data.year, 4).label else ""
        quarters.append(f"{label}{said}{status_phrase(c)}")
    unfinished = [_unfinished(t) for t in data.unfinished()]
    common = year_common(data, settings)
    return {
        "title": title,
        "title_document": title_break(title, d.document_title),
        "annex_title": f"{data.year}年{d.document_title}全年推进情况表",
        "annex2_title": f"{data.year}年量化指标完成情况",
        "annex3_title": f"各单位{data.year}年报送情况",
        "quarter_u": base["u"],
        "n_rows": n,  # the year's tasks, as annex 1 lists them (销号 during the year included)
        "f": {
            "total": n,  # the year's tasks (those 销号 during the year included)
            "closed": max(n - base["n_rows"], 0),  # not among the fourth quarter's rows
            "done": counts[Final.DONE],
            "mostly": counts[Final.MOSTLY],
            "undone": counts[Final.UNDONE],
            "pending": counts[Final.PENDING],
            "finished": finished,
            "share": share(finished, n),
            "done_share": share(counts[Final.DONE], n),
        },
        "rule": data.rule,
        "early": (
            f"{label_items(t.label for t in early)}任务的完成时限在年内，"
            "已按完成时限所在季度的报送判定"
            if early
            else ""
        ),
        "indf": {"summary": ind_summary, "total": len(inds)},
        "indicator_rows": [
            {
                "no": k,
                "label": i.label,
                "name": i.name,
                "target": i.target_text,
                "value": i.value_text,
                "reached": i.reached.value,
                "compare": i.compare,
                "units": stack_names(i.units),
                "fill": "F4B6B6" if i.reached != Reached.REACHED else "FFFFFF",
            }
            for k, i in enumerate(inds, 1)
        ],
        "quarters_summary": "；".join(quarters) + "。",
        "unfinished": unfinished,
        "n_unfinished": len(unfinished),
        "common": common,  # the reasons units gave, by theme (as the quarter's 共性问题)
        "next_steps": year_next_steps(data, settings, common, rungs=base.get("rungs_text", "")),
        "scores": scores,
        "next_no": "四" if scores else "三",
        "trend": [_trend_row(t, data) for t in data.tasks],
        "quarter_labels": [Period.parse(p).label for p in data.periods],
        "year_units": _unit_rows(data),
    }


def _unfinished(t: TaskYear) -> dict:
    return {
        "label": t.label,
        "name": unfinished_label(t),
        "silent": t.quarters[t.judged_at].status == MISSING,  # nothing to say a reason with
        "short": unit_text(t.short_title or t.task_title),
        "units": join_names(t.lead_units),
        "final": t.final.value,
        "judged": "" if not t.early else f"（完成时限{_date_text(t.deadline)}）",
        "shortfall": unit_text(t.shortfall),
        "problems": condense(one_line(t.problems), REASON_CHARS).rstrip("。"),
        "steps": condense(one_line(t.next_steps), REASON_CHARS).rstrip("。"),
    }


def _date_text(iso: str) -> str:
    from reporting.core.periods import chinese_date

    try:
        return chinese_date(date.fromisoformat(iso))
    except ValueError:
        return iso


def _trend_row(t: TaskYear, data: YearData) -> dict:
    cells = {}
    for k, p in enumerate(data.periods, 1):
        q = t.quarters[p]
        # the basis on a line of its own: the narrow cell wrapped inside "（节点40%）"
        note = q.basis_note
        text = q.short.replace(note, "\n" + note) if note else q.short
        cells[f"q{k}"] = {"text": text, "fill": LIGHT_FILL.get(q.light, "FFFFFF")}
    final = t.final.value
    if t.early and t.final != Final.PENDING:
        final += f"\n（按{Period.parse(t.judged_at).label}）"
    if t.change and t.final == Final.PENDING:
        final = "经批准延期"
    return {
        "label": t.label,
        "task": unit_text(t.short_title or t.task_title) + (f"\n{t.change}" if t.change else ""),
        "units": stack_names(t.lead_units),
        **cells,
        "final": final,
        "fill": FINAL_FILL.get(t.final, "FFFFFF"),
    }


def _unit_rows(data: YearData) -> list[dict]:
    """Annex 3: each unit's four quarters, two units to a table row."""
    units = []
    for k, u in enumerate(data.units, 1):
        row = {"no": k, "unit": u.unit}
        for i, p in enumerate(data.periods, 1):
            row[f"q{i}"] = annex_state(u.quarters[p])
        units.append(row)
    return in_pairs(units)


def render_period_report(
    settings: Settings, workspace: Workspace, period: Period, *, ledger=None, **kw
) -> ReportOutput:
    """The report of ``period``: the fourth quarter's is the annual edition."""
    period = Period.parse(period)
    if period.quarter == 4:
        return render_annual(settings, workspace, period, ledger=ledger, **kw)
    kw.pop("year_book", None)
    kw.pop("changes_year", None)
    return render_report(settings, workspace, period, **kw)


def check_annual_template(settings: Settings, assignments) -> list:
    """``duban check``: the annual template (which the office may edit) still renders, from
    a small sample year (every quarter of ``report.template_check``'s sample, an early
    deadline, hostile unit text); a CheckFinding when it does not."""
    import tempfile
    from datetime import time
    from pathlib import Path

    from docx import Document

    from reporting.core.exceptions import ReportError
    from reporting.core.problems import CheckFinding
    from reporting.report.template_check import CHECK_PREVIOUS, sample_for_check

    year = settings.district.year
    try:
        with tempfile.TemporaryDirectory(prefix="duban-check-") as tmp:
            ws = Workspace(Path(tmp))
            for q in (1, 2, 3, 4):
                period = Period(year, q)
                statuses = CHECK_PREVIOUS if q % 2 else None
                result = (
                    sample_for_check(settings, assignments, period, statuses=statuses)
                    if statuses
                    else sample_for_check(settings, assignments, period)
                )
                ws.merged_json(period).parent.mkdir(parents=True, exist_ok=True)
                ws.merged_json(period).write_text(result.to_json(), encoding="utf-8")
            period = Period(year, 4)
            out = render_annual(
                settings,
                ws,
                period,
                now=datetime.combine(period.end, time(12), settings.deadline.zone),
                assignments=assignments,
                out_dir=Path(tmp),
                today=period.end,
            )
            Document(str(out.docx))  # the rendered XML must still be a valid document
    except ReportError as exc:
        return [CheckFinding("全年报告模板", str(exc))]
    except Exception as exc:  # noqa: BLE001 - anything else means the template is broken
        return [
            CheckFinding(
                "全年报告模板",
                f"模板 {TEMPLATE} 渲染后的文件无法打开（{type(exc).__name__}: {exc}），"
                "请从仓库恢复 templates/ 下的模板后重新修改",
            )
        ]
    return []
