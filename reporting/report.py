"""The quarterly report (公文, GB/T 9704-2012) rendered from the merged result.

``render_report`` reads ``<data>/<period>/merged.json`` (or, before anything was
collected, an empty result built from the task table), turns it into a plain context of
strings and numbers, and fills ``templates/report.docx`` with docxtpl. The wording lives
in the template; every number comes from ``QuarterResult``'s counts, so the text, the
chart and the annex agree. Text from units is escaped (Jinja autoescape) and cleaned of
characters XML cannot hold; newlines become separate paragraphs in the body and line
breaks in table cells.

Rendering twice gives the same file: fixed core properties, fixed zip times, a
deterministic chart and image names.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from .config import Settings
from .exceptions import ReportError
from .fileutil import atomic_write_bytes, clean_text, safe_filename
from .merge import num
from .model import MISSING, Light, QuarterResult, RowResult, Status, UnitReturn
from .periods import Period, chinese_date
from .workspace import Workspace

REPORT_TEMPLATE = "report.docx"
BRIEF_TEMPLATE = "leader_brief.docx"
BRIEFS_DIR = "分管领导调度单"

# how much of a unit's text the report repeats (the merged workbook keeps it all)
BODY_CHARS = 220
ANNEX_CHARS = 120
TASK_CHARS = 50
SHORT_CHARS = 28
BRIEF_CHARS = 70
TITLE_EM = 20  # 二号 characters per line in the 156 mm type area

LIGHT_FILL = {Light.RED.value: "F4B6B6", Light.YELLOW.value: "FBE29F", Light.GREEN.value: "BFE3C0"}
_KEYS = {
    Status.DONE.value: "done",
    Status.AHEAD.value: "ahead",
    Status.ON_TRACK.value: "on_track",
    Status.LAGGING.value: "lagging",
    Status.NOT_STARTED.value: "not_started",
    MISSING: "missing",
}
_LIGHT_KEYS = {Light.GREEN.value: "green", Light.YELLOW.value: "yellow", Light.RED.value: "red"}
# lagging first in a leader's brief, then what is unknown, then the rest in task order
_BRIEF_ORDER = {
    Status.LAGGING.value: 0,
    Status.NOT_STARTED.value: 1,
    None: 2,
}


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

    def lines(self) -> list[str]:
        out = [f"报告已生成：{self.docx}"]
        if self.pdf:
            out.append(f"PDF：{self.pdf}")
        if self.pdf_error:
            out.append(f"未能生成 PDF：{self.pdf_error}")
        if self.briefs:
            out.append(f"分管领导调度单 {len(self.briefs)} 份：{self.briefs[0].parent}")
        counts = "、".join(f"{k}{v}项" for k, v in self.status_counts.items() if v)
        out.append(
            f"{self.period.full_label}：任务 {self.rows} 项（{counts or '无'}），滞后或亮红灯 {self.lagging} 项。"
        )
        u = self.unit_counts
        out.append(
            f"应报送单位 {u['due']} 个：按时 {u['on_time']} 个，逾期 {u['late']} 个，"
            f"退回待重报 {u['rejected']} 个，未报送 {u['missing']} 个。"
        )
        if not self.merged:
            out.append(
                "提示：还没有汇总结果（merged.json），报告按“尚未收到报送”生成；回收后请先运行 duban collect 再生成报告。"
            )
        return out


# -- the result ---------------------------------------------------------------------
def empty_result(settings: Settings, assignments, period: Period) -> QuarterResult:
    """The result of a period nobody has reported on yet: every row and unit missing."""
    import warnings

    from .calendar import UnknownYearWarning, period_calendar
    from .merge import build_result

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownYearWarning)
        due = period_calendar(period, settings.deadline).deadline.isoformat()
    registry = assignments.registry
    units = [
        UnitReturn(
            unit=name, kind=registry.units[name].kind if name in registry.units else "department"
        )
        for name in assignments.by_unit
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
    from .assignments import Assignments
    from .registry import Registry
    from .tasks import load_tasks

    return Assignments(
        load_tasks(settings.paths.tasks), Registry.load(settings.paths.units, settings.registry)
    )


def default_report_day(settings: Settings, period: Period, today: date | None = None) -> date:
    """The date in the 落款: the period's report day once it has come, else today."""
    import warnings

    from .calendar import UnknownYearWarning, period_calendar

    today = today or date.today()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownYearWarning)
        report_day = period_calendar(period, settings.deadline).report_day
    return report_day if report_day <= today else today


# -- formatting helpers ---------------------------------------------------------------
def share(part: int, total: int) -> str:
    """'38.5%' style share of ``total`` (one decimal, a trailing .0 dropped)."""
    if not total:
        return "0%"
    return f"{num(round(100 * part / total, 1))}%"


def cn_time(iso: str, today: date | None = None) -> str:
    """'2024-04-09T10:30:00+08:00' → '4月9日10时30分' (year added when it is not the report's)."""
    try:
        dt = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return str(iso or "")
    year = "" if today is None or dt.year == today.year else f"{dt.year}年"
    minute = f"{dt.minute}分" if dt.minute else ""
    return f"{year}{dt.month}月{dt.day}日{dt.hour}时{minute}"


def unit_text(text: str | None) -> str:
    """Text from a unit: no XML-illegal characters, unified newlines, no empty lines."""
    text = clean_text(str(text or "")).replace("\r\n", "\n").replace("\r", "\n")
    lines = [re.sub(r"[ \t\u3000]+", " ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def condense(text: str, limit: int) -> str:
    """Cut after a sentence end within ``limit`` characters if there is one, else at the limit."""
    text = unit_text(text)
    if len(text) <= limit:
        return text
    cut = text[:limit]
    ends = [cut.rfind(ch) for ch in "。；！？\n"]
    best = max(ends)
    if best >= limit // 2:
        return cut[: best + 1].rstrip("\n") + "……"
    return cut.rstrip("，、；：,; ") + "……"


def body_text(text: str) -> str:
    """Body paragraphs: each line of the unit's text becomes its own paragraph (docxtpl: \\a)."""
    return text.replace("\n", "\a")


def short_title(row: RowResult) -> str:
    """A short name for a row: the task title, else the content's first clause."""
    title = unit_text(row.task_title)
    content = unit_text(row.content).replace("\n", "")
    if title and row.label == row.task_no:
        text = title
    else:
        text = re.split(r"[，。；：,;]", content, maxsplit=1)[0] or content
    text = text.rstrip("。")
    return text if len(text) <= SHORT_CHARS else text[:SHORT_CHARS] + "……"


def label_text(row: RowResult) -> str:
    """How the notice numbers a row in running text: '8（1）', '29.'."""
    return row.label if row.label.endswith("）") else f"{row.label}."


def task_text(row: RowResult) -> str:
    return f"{row.label} {condense(row.content, TASK_CHARS).rstrip('。')}"


def status_phrase(counts: dict[str, int]) -> str:
    """'序时推进6项、滞后1项、未报送1项' — only the statuses that occur."""
    parts = [f"{k}{v}项" for k, v in counts.items() if v]
    return "、".join(parts) if parts else "无任务"


def row_status(row: RowResult) -> str:
    return row.status or MISSING


def row_light(row: RowResult) -> str:
    return f"{row.light}灯" if row.light else "—"


def _id_key(row: RowResult) -> tuple:
    no, _, sub = str(row.id).partition(".")
    try:
        return (int(no), int(sub or 0), "")
    except ValueError:
        return (10**9, 0, str(row.id))


def _join(names) -> str:
    return "、".join(n for n in names if n)


# -- context ----------------------------------------------------------------------------
def row_progress(row: RowResult, limit: int) -> tuple[str, str]:
    """(source, condensed progress): the lead unit's report, else cooperating feedback."""
    reports = [a for a in row.lead_reports if unit_text(a.progress)]
    if reports:
        if len(reports) == 1 and len(row.lead_units) <= 1:
            return "", condense(reports[0].progress, limit)
        each = max(limit // len(reports), 40)
        return "", "\n".join(f"{a.unit}：{condense(a.progress, each)}" for a in reports)
    if row.lead_reports:
        return "", "已报送，未填写本季度进展。"
    feedback = [a for a in row.coop_feedback if unit_text(a.progress)]
    lead = _join(row.lead_units) or "牵头单位"
    if feedback:
        each = max(limit // len(feedback), 40)
        text = "\n".join(f"{a.unit}：{condense(a.progress, each)}" for a in feedback[:3])
        return f"牵头单位{lead}未报送，配合单位反馈：", text
    return "", f"牵头单位{lead}未报送。"


def _state_text(row: RowResult) -> str:
    if not row.reported:
        return ""
    parts = []
    if row.percent is not None:
        parts.append(f"累计完成{num(row.percent)}%")
    parts.append(row_status(row))
    if row.light:
        parts.append(f"{row.light}灯")
    return "（" + "，".join(parts) + "）"


def _gap_text(row: RowResult, expected: float) -> str:
    parts = []
    if row.percent is not None:
        parts.append(f"累计完成进度{num(row.percent)}%")
        gap = row.gap if row.gap is not None else expected - row.percent
        if gap > 0:
            parts.append(f"低于序时进度{num(gap)}个百分点")
    elif row.status:
        parts.append(f"单位自报“{row.status}”")
    if row.percent is not None and row.status and row.status != Status.LAGGING.value:
        parts.append(f"单位自报“{row.status}”")
    if row.light:
        parts.append(f"亮{row.light}灯")
    text = "，".join(parts) or "进展滞后"
    if row.status_conflict:
        text += f"（{unit_text(row.status_conflict)}）"
    return text


def _problems(row: RowResult) -> str:
    items = [(a.unit, unit_text(a.problems)) for a in row.lead_reports if unit_text(a.problems)]
    if not items:
        return "单位未填报。"
    if len(items) == 1:
        return body_text(condense(items[0][1], BODY_CHARS))
    return body_text("\n".join(f"{u}：{condense(t, BODY_CHARS // len(items))}" for u, t in items))


def _indicator_rows(result: QuarterResult) -> tuple[list[dict], dict]:
    """Table rows for the main economic indicators (section 1) and the summary numbers."""
    rows, behind_texts = [], []
    on_track = behind = missing = 0
    for row in sorted(result.rows, key=_id_key):
        if row.section != 1:
            continue
        for ind in row.indicators:
            target = f"增长{num(ind.target)}%" if ind.growth else f"{num(ind.target)}{ind.unit}"
            if ind.value is None:
                value, compare = MISSING, "—"
                missing += 1
            else:
                value = _growth(ind.value) if ind.growth else f"{num(ind.value)}{ind.unit}"
                compare = _compare(ind)
                if ind.on_track is False or (
                    ind.on_track is None and ind.gap is not None and ind.gap < 0
                ):
                    behind += 1
                    behind_texts.append(unit_text(ind.text) or f"{ind.name}{value}，{compare}")
                else:
                    on_track += 1
            rows.append(
                {
                    "no": len(rows) + 1,
                    "name": ind.name,
                    "target": target,
                    "value": value,
                    "compare": compare,
                    "units": _join(row.lead_units),
                }
            )
    summary = ""
    if rows:
        summary = f"主要经济指标{len(rows)}项，达到目标或序时要求{on_track}项，低于目标{behind}项"
        if missing:
            summary += f"，未报送{missing}项"
        summary += "。"
        if behind_texts:
            summary += "其中，" + "；".join(behind_texts) + "。"
    return rows, {
        "total": len(rows),
        "on_track": on_track,
        "behind": behind,
        "missing": missing,
        "summary": summary,
    }


def _growth(value: float) -> str:
    return f"增长{num(value)}%" if value >= 0 else f"下降{num(-value)}%"


def _compare(ind) -> str:
    if ind.growth or ind.unit == "%":
        gap = (
            ind.gap
            if ind.gap is not None
            else ind.value - (ind.expected if ind.expected is not None else ind.target)
        )
        if abs(gap) < 1e-9:
            return "与目标持平"
        return f"{'高于' if gap > 0 else '低于'}目标{num(abs(gap))}个百分点"
    if ind.target:
        done = f"完成年度目标的{num(round(100 * ind.value / ind.target, 1))}%"
        if ind.gap is not None and ind.gap < 0:
            done += f"，低于序时{num(-ind.gap)}{ind.unit}"
        return done
    return unit_text(ind.text) or "—"


def build_context(
    result: QuarterResult, settings: Settings, period: Period, *, today: date
) -> dict:
    """Everything the report template shows, as plain strings, numbers and lists."""
    d = settings.district
    rows = sorted(result.rows, key=_id_key)
    n_rows = len(rows)
    sc = result.status_counts()
    lc = result.light_counts()
    uc = result.unit_counts()
    c = {_KEYS[k]: v for k, v in sc.items()}
    c["on_pace"] = c["done"] + c["ahead"] + c["on_track"]
    c["behind"] = c["lagging"] + c["not_started"]
    c["on_pace_share"] = share(c["on_pace"], n_rows)
    c["behind_share"] = share(c["behind"], n_rows)
    lights = {_LIGHT_KEYS[k]: v for k, v in lc.items()}
    lights["unlit"] = n_rows - sum(lc.values())

    def names(state: str, late: bool | None = None) -> str:
        return _join(
            u.unit for u in result.units if u.state == state and (late is None or u.late == late)
        )

    u = dict(uc)
    u["late_names"] = names("accepted", late=True)
    u["rejected_names"] = names("rejected")
    u["missing_names"] = names("missing")
    u["all_on_time"] = bool(result.units) and uc["on_time"] == uc["due"]

    expected = result.expected_progress
    quarter_label = period.label
    sections: list[dict] = []
    by_section: dict[int, list[RowResult]] = {}
    for row in rows:
        by_section.setdefault(row.section, []).append(row)
    from .tasks import SECTION_NUMERALS

    for number, srows in sorted(by_section.items()):
        counts = Counter(row_status(r) for r in srows)
        ordered = {k: counts.get(k, 0) for k in sc}
        reported = sum(1 for r in srows if r.reported)
        if reported:
            summary = f"本板块共{len(srows)}项任务，{status_phrase(ordered)}。"
        else:
            summary = f"本板块共{len(srows)}项任务，牵头单位均未报送。"
        srow_ctx = []
        for r in srows:
            source, progress = row_progress(r, BODY_CHARS)
            srow_ctx.append(
                {
                    "label": label_text(r),
                    "short": short_title(r),
                    "state": _state_text(r),
                    "detail": body_text(source + progress),
                }
            )
        numeral = (
            SECTION_NUMERALS[number - 1] if 1 <= number <= len(SECTION_NUMERALS) else str(number)
        )
        sections.append(
            {
                "numeral": numeral,
                "title": unit_text(srows[0].section_title).rstrip("。"),
                "summary": summary,
                "rows": srow_ctx,
                "count": len(srows),
                "behind": ordered[Status.LAGGING.value] + ordered[Status.NOT_STARTED.value],
            }
        )

    lagging = [
        {
            "label": r.label,
            "short": short_title(r),
            "leaders": _join(r.lead_leaders) or "—",
            "units": _join(r.lead_units) or "—",
            "gap_text": _gap_text(r, expected),
            "problems": _problems(r),
        }
        for r in rows
        if r.lagging
    ]

    annex = [annex_row(i, r) for i, r in enumerate(rows, 1)]
    indicators, ind = _indicator_rows(result)
    title = f"关于{d.name}{d.year}年{d.document_title}{quarter_label}推进情况的报告"
    any_returns = any(r.reported for r in rows) or uc["on_time"] + uc["late"] > 0
    return {
        "title": title,
        "title_document": title_break(title, d.document_title),
        "district": d.name,
        "year": d.year,
        "document_title": d.document_title,
        "basis": d.basis,
        "government": d.government,
        "office": d.office,
        "signer": settings.report.signer,
        "quarter_label": quarter_label,
        "period_label": period.full_label,
        "annex_title": f"{d.year}年{d.document_title}{quarter_label}推进情况汇总表",
        "date_text": chinese_date(today),
        "cutoff": cn_time(result.generated_at, today),
        "expected": num(expected),
        "light_rule": light_rule(settings),
        "any_returns": any_returns,
        "n_rows": n_rows,
        "c": c,
        "l": lights,
        "u": u,
        "ind": ind,
        "indicators": indicators,
        "sections": sections,
        "sections_summary": sections_summary(sections),
        "lagging": lagging,
        "n_lagging": len(lagging),
        "annex": annex,
        "chart": "",
    }


def text_width(text: str) -> float:
    """Width in em: CJK and full-width characters 1, ASCII 0.5."""
    return sum(0.5 if ord(ch) < 0x2E80 else 1 for ch in text)


def title_break(title: str, document_title: str, per_line: float = TITLE_EM) -> str:
    """``document_title`` with a line break after its 》 when the title needs two lines.

    GB/T 9704 wants a wrapped title to break between words, not in the middle of
    one (…重点任 / 务…); the break after the quoted document name keeps both lines whole.
    """
    k = document_title.find("》")
    if text_width(title) <= per_line or k < 0 or k == len(document_title) - 1:
        return document_title
    i = title.find(document_title) + k + 1
    if text_width(title[:i]) <= per_line and text_width(title[i:]) <= per_line:
        return document_title[: k + 1] + "\n" + document_title[k + 1 :]
    return document_title


def sections_summary(sections: list[dict]) -> str:
    """Which sections have the most lagging/not-started rows (at most three named)."""
    text = f"{len(sections)}个板块的任务推进状态见图1。"
    worst = sorted((s for s in sections if s["behind"]), key=lambda s: -s["behind"])[:3]
    if worst:
        text += (
            "滞后和未启动任务较多的是"
            + "、".join(f"第{s['numeral']}板块（{s['behind']}项）" for s in worst)
            + "。"
        )
    return text


def annex_row(
    no: int, r: RowResult, *, progress_chars: int = ANNEX_CHARS, short: bool = False
) -> dict:
    source, progress = row_progress(r, progress_chars)
    return {
        "no": no,
        "task": f"{label_text(r)}{short_title(r)}" if short else task_text(r),
        "leaders": _join(r.lead_leaders) or "—",
        "units": _join(r.lead_units) or "—",
        "progress": source + progress,
        "status": row_status(r),
        "light": row_light(r),
        "fill": LIGHT_FILL.get(r.light or "", "FFFFFF"),
    }


def light_rule(settings: Settings) -> str:
    y, r = settings.merge.yellow_gap, settings.merge.red_gap
    green = "达到序时进度" if not y else f"低于序时进度不超过{num(y)}个百分点"
    return f"绿灯为{green}，黄灯为低于序时进度{num(r)}个百分点以内，红灯为低于序时进度超过{num(r)}个百分点"


# -- rendering ----------------------------------------------------------------------------
def jinja_env():
    """Autoescaped (unit text may hold < & >), strict (a misspelt tag is an error, not a blank)."""
    from jinja2 import Environment, StrictUndefined

    return Environment(autoescape=True, undefined=StrictUndefined)


def render_docx(
    template: Path,
    context: dict,
    out_path: Path,
    *,
    title: str,
    author: str,
    when: datetime,
    chart_png: bytes | None = None,
) -> Path:
    """Fill ``template`` with ``context`` and write ``out_path`` atomically and reproducibly."""
    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage
    from jinja2 import TemplateError

    from .docx_format import normalize_zip, set_core_properties

    template = Path(template)
    if not template.exists():
        raise ReportError(
            f"找不到报告模板 {template}。请从仓库恢复 templates/{template.name}，"
            "或运行 python templates/build_report_template.py 重新生成"
        )
    try:
        tpl = DocxTemplate(template)
        tpl.init_docx()
    except Exception as exc:  # noqa: BLE001 - any parse failure means a damaged template
        raise ReportError(
            f"报告模板 {template} 无法打开（{type(exc).__name__}），请用 Word/WPS 另存为 .docx 或从仓库恢复"
        ) from None
    context = dict(context)
    if chart_png is not None:
        context["chart"] = InlineImage(tpl, io.BytesIO(chart_png), width=Mm(150))
    try:
        tpl.render(context, jinja_env=jinja_env(), autoescape=True)
    except TemplateError as exc:
        near = " ".join(line.strip() for line in getattr(exc, "docx_context", []) if line.strip())[
            :80
        ]
        where = f"（在“{near}”附近）" if near else ""
        raise ReportError(
            f"报告模板 {template.name} 中的标签有误{where}：{exc}。"
            "请在 Word/WPS 中把该标签整段删除后一次性重新输入（不要只改其中几个字的格式），或从仓库恢复模板"
        ) from None
    set_core_properties(tpl.docx, title=title, author=author, when=when)
    buf = io.BytesIO()
    tpl.save(buf)
    atomic_write_bytes(out_path, normalize_zip(buf.getvalue()))
    return out_path


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
    out_dir: Path | None = None,
    pdf: bool = False,
    by_leader: bool = False,
    result: QuarterResult | None = None,
    today: date | None = None,
    assignments=None,
) -> ReportOutput:
    """Render the period's report (and optionally its PDF and the per-leader briefs).

    ``result`` defaults to merged.json, or an empty result from ``assignments`` (loaded from
    the settings when not given) when nothing was collected. ``today`` is the 落款 date.
    """
    period = Period.parse(period)
    merged = True
    if result is None:
        result, merged = load_result(settings, workspace, period, assignments)
    elif result.period and result.period != str(period):
        raise ReportError(
            f"汇总结果属于 {result.period}，与要生成的报告期 {period} 不符，请检查 --period"
        )
    day = today or default_report_day(settings, period)
    out_dir = Path(out_dir) if out_dir else workspace.report_dir(period)
    context = build_context(result, settings, period, today=day)

    from .chart import status_chart_png

    chart = status_chart_png(result)
    when = datetime.combine(day, time(0, 0))
    target = report_path(settings, period, out_dir)
    render_docx(
        Path(settings.templates_dir) / REPORT_TEMPLATE,
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
        status_counts=result.status_counts(),
        unit_counts=result.unit_counts(),
        lagging=context["n_lagging"],
    )
    if by_leader:
        output.briefs = render_leader_briefs(
            result, settings, period, out_dir / BRIEFS_DIR, today=day
        )
    if pdf:
        from .office import OfficeError, convert

        try:
            output.pdf = convert(target, "pdf", out_dir, timeout=settings.report.pdf_timeout)
        except OfficeError as exc:
            output.pdf_error = str(exc)
    return output


# -- per-leader briefs (分管领导调度单) ---------------------------------------------------
def leaders_of(result: QuarterResult) -> list[str]:
    seen: dict[str, None] = {}
    for row in sorted(result.rows, key=_id_key):
        for leader in row.lead_leaders:
            seen.setdefault(leader, None)
    return list(seen)


def brief_context(
    result: QuarterResult, settings: Settings, period: Period, leader: str, *, today: date
) -> dict:
    """One leader's rows, lagging (and red) first, then not started, unknown, the rest."""
    mine = [r for r in sorted(result.rows, key=_id_key) if leader in r.lead_leaders]

    def order(r: RowResult) -> int:
        if r.lagging:
            return 0
        return _BRIEF_ORDER.get(r.status, 3)

    mine.sort(key=order)  # stable: task order within each group
    counts = Counter(row_status(r) for r in mine)
    phrase = status_phrase({k: counts.get(k, 0) for k in result.status_counts()})
    d = settings.district
    rows = []
    for i, r in enumerate(mine, 1):
        row = annex_row(i, r, progress_chars=BRIEF_CHARS, short=True)
        row.pop("leaders")
        rows.append(row)
    return {
        "title": f"{leader}同志分管任务{period.label}推进情况调度单",
        "leader": leader,
        "period_label": period.full_label,
        "quarter_label": period.label,
        "document_title": d.document_title,
        "n_rows": len(mine),
        "n_lagging": sum(1 for r in mine if r.lagging),
        "phrase": phrase,
        "expected": num(result.expected_progress),
        "cutoff": cn_time(result.generated_at, today),
        "rows": rows,
        "signer": settings.report.signer,
        "date_text": chinese_date(today),
    }


def render_leader_briefs(
    result: QuarterResult, settings: Settings, period: Period, out_dir: Path, *, today: date
) -> list[Path]:
    """One short .docx per leading leader; stale briefs of this period are removed."""
    out_dir = Path(out_dir)
    template = Path(settings.templates_dir) / BRIEF_TEMPLATE
    when = datetime.combine(today, time(0, 0))
    written = []
    for leader in leaders_of(result):
        ctx = brief_context(result, settings, period, leader, today=today)
        path = out_dir / safe_filename(f"{period}_分管领导调度单_{leader}.docx")
        render_docx(
            template, ctx, path, title=ctx["title"], author=settings.district.office, when=when
        )
        written.append(path)
    if out_dir.exists():
        for old in out_dir.glob(f"{period}_分管领导调度单_*.docx"):
            if old not in written:
                old.unlink()
    return written


# -- duban check ---------------------------------------------------------------------------
def sample_for_check(settings: Settings, assignments, period: Period) -> QuarterResult:
    """A small result exercising every branch of the templates (and hostile unit text)."""
    from .model import Answer

    result = empty_result(settings, assignments, period)
    result.rows = result.rows[:6]
    statuses = [
        Status.ON_TRACK,
        Status.LAGGING,
        None,
        Status.DONE,
        Status.NOT_STARTED,
        Status.AHEAD,
    ]
    for row, status in zip(result.rows, statuses, strict=False):
        if status is None:
            continue
        row.status, row.percent = status.value, 10.0 if status is Status.LAGGING else 30.0
        row.light = (
            Light.RED.value if status in (Status.LAGGING, Status.NOT_STARTED) else Light.GREEN.value
        )
        row.lead_reports = [
            Answer(unit=u, progress='检查用 <文字> & "引号"\n第二行', problems="检查用")
            for u in row.lead_units
        ]
        for ind in row.indicators:
            ind.value, ind.on_track = ind.target, True
    for i, unit in enumerate(result.units[:4]):
        unit.state, unit.late = ("accepted", i == 1) if i < 3 else ("rejected", False)
    return result


def check_templates(settings: Settings, assignments, period: Period | None = None) -> list:
    """Render both templates with a small result; a Problem for each that fails."""
    import tempfile

    from docx import Document

    from .registry import Problem

    period = period or Period(settings.district.year, 1)
    problems = []
    with tempfile.TemporaryDirectory(prefix="duban-check-") as tmp:
        try:
            result = sample_for_check(settings, assignments, period)
            out = render_report(
                settings,
                Workspace(tmp),
                period,
                out_dir=Path(tmp),
                result=result,
                by_leader=True,
                today=period.end,
            )
            for path in [out.docx, *out.briefs]:
                Document(path)  # the rendered XML must still be a valid document
        except ReportError as exc:
            problems.append(Problem("报告模板", str(exc)))
        except Exception as exc:  # noqa: BLE001 - anything else means the template is broken
            problems.append(
                Problem(
                    "报告模板",
                    f"模板渲染后的文件无法打开（{type(exc).__name__}: {exc}），请从仓库恢复 templates/ 下的模板后重新修改",
                )
            )
    return problems
