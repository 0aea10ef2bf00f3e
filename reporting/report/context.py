"""The report's template context: every number and phrase ``report.docx`` shows.

``build_context`` turns a ``QuarterResult`` into plain strings, numbers and lists: status,
light and unit counts with shares, the main-indicator table, one block per section, the
lagging list and the annex. Every number comes from the result's counts, so the text, the
chart and the annex agree; the wording around them lives in the template.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from reporting.core.config import Settings
from reporting.core.model import MISSING, Light, QuarterResult, RowResult, Status
from reporting.core.periods import Period, chinese_date, cn_time
from reporting.merge.compare import QuarterChange
from reporting.merge.judge import num
from reporting.report.wording import (
    body_text,
    condense,
    id_key,
    join_labels,
    join_names,
    label_text,
    row_light,
    row_status,
    share,
    short_title,
    status_phrase,
    task_text,
    title_break,
    unit_text,
)

# how much of a unit's text the report repeats (the merged workbook keeps it all)
BODY_CHARS = 220
ANNEX_CHARS = 120
CHANGE_LABELS = 10  # task labels named in the comparison with last quarter, then "等N项"

LIGHT_FILL = {Light.RED: "F4B6B6", Light.YELLOW: "FBE29F", Light.GREEN: "BFE3C0"}
_KEYS = {
    Status.DONE: "done",
    Status.AHEAD: "ahead",
    Status.ON_TRACK: "on_track",
    Status.LAGGING: "lagging",
    Status.NOT_STARTED: "not_started",
    MISSING: "missing",
}
_LIGHT_KEYS = {Light.GREEN: "green", Light.YELLOW: "yellow", Light.RED: "red"}
# lagging first in a leader's brief, then what is unknown, then the rest in task order


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
    lead = join_names(row.lead_units) or "牵头单位"
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
    if row.percent is not None and row.status and row.status != Status.LAGGING:
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
    for row in sorted(result.rows, key=id_key):
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
                    "units": join_names(row.lead_units),
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


def change_context(change: QuarterChange | None) -> dict | None:
    """The comparison with last quarter (None: nothing to compare, the template skips it)."""
    if change is None or not change.comparable:
        return None
    counts = change.counts()

    def moved(status: str) -> dict:
        before, after = counts[status]
        return {"before": before, "after": after, "diff": after - before}

    def listed(rows) -> dict:
        rows = sorted(rows, key=id_key)
        return {
            "n": len(rows),
            "labels": join_labels(r.label for r in rows[:CHANGE_LABELS]),
            "more": len(rows) > CHANGE_LABELS,
        }

    mean = change.mean_delta
    delta = num(abs(round(mean, 1))) if mean is not None else "0"
    return {
        "previous_label": Period.parse(change.before.period).label,
        "done": moved(Status.DONE),
        "lagging": moved(Status.LAGGING),
        "not_started": moved(Status.NOT_STARTED),
        "compared": change.compared,
        "mean_delta": delta,
        "mean_sign": 0 if delta == "0" else (1 if mean > 0 else -1),
        "caught_up": listed(change.caught_up),
        "fell_behind": listed(change.fell_behind),
    }


def build_context(
    result: QuarterResult,
    settings: Settings,
    period: Period,
    *,
    today: date,
    change: QuarterChange | None = None,
) -> dict:
    """Everything the report template shows, as plain strings, numbers and lists.

    ``change`` (from ``compare.quarter_change``, last quarter → this one) adds the
    comparison paragraph; without it the report is exactly what it was before.
    """
    d = settings.district
    rows = sorted(result.rows, key=id_key)
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
        return join_names(
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
    from reporting.core.labels import SECTION_NUMERALS

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
                "behind": ordered[Status.LAGGING] + ordered[Status.NOT_STARTED],
            }
        )

    lagging = [
        {
            "label": r.label,
            "short": short_title(r),
            "leaders": join_names(r.lead_leaders) or "—",
            "units": join_names(r.lead_units) or "—",
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
        "change": change_context(change),
    }


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
        "leaders": join_names(r.lead_leaders) or "—",
        "units": join_names(r.lead_units) or "—",
        "progress": source + progress,
        "status": row_status(r),
        "light": row_light(r),
        "fill": LIGHT_FILL.get(r.light or "", "FFFFFF"),
    }


def light_rule(settings: Settings) -> str:
    y, r = settings.merge.yellow_gap, settings.merge.red_gap
    green = "达到序时进度" if not y else f"低于序时进度不超过{num(y)}个百分点"
    return f"绿灯为{green}，黄灯为低于序时进度{num(r)}个百分点以内，红灯为低于序时进度超过{num(r)}个百分点"
