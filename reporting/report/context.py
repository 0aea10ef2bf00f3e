"""The report's template context: every number and phrase ``report.docx`` shows.

``build_context`` turns a ``QuarterResult`` into plain strings, numbers and lists: status,
light and unit counts with shares, the main-indicator table, one block per section, the
lagging list and the annex. Every number comes from the result's counts, so the text, the
chart and the annex agree; the wording around them lives in the template.
"""

from __future__ import annotations

import re
from datetime import date

from reporting.core.config import Settings
from reporting.core.model import MISSING, Light, QuarterResult, RowResult, Status
from reporting.core.numbers import growth_text, num, tenths
from reporting.core.periods import Period, chinese_date, cn_time
from reporting.core.submissions import Submitted
from reporting.merge.compare import QuarterChange
from reporting.merge.disagree import row_disagreements
from reporting.merge.figures import period_figures
from reporting.merge.tally import light_reason, pace_note, plan_words, task_counts
from reporting.report.issues import issues_context, unit_problems
from reporting.report.next_steps import next_steps, rung_sentence
from reporting.report.results import digest, results_text, section_budget, section_results
from reporting.report.themes import themes_from
from reporting.report.wording import (
    body_text,
    condense,
    id_key,
    join_labels,
    join_names,
    label_items,
    label_text,
    one_line,
    row_light,
    row_status,
    share,
    short_title,
    stack_names,
    status_phrase,
    title_break,
    unit_text,
)

# how much of a unit's text the report repeats (the merged workbook keeps it all)
BODY_CHARS = 220
ANNEX_CHARS = 40
ANNEX_TABLE_ROWS = 100  # annex 1 is cut into tables of this many rows (LibreOffice's speed)
CHANGE_LABELS = 6  # task labels named in the comparison with last quarter, then "等N项"
INDICATOR_ROWS = 8  # 表1 in the body; a city's hundreds of indicators stay in the 汇总表
INDICATOR_NAMED = 3  # indicators below target named in the sentence above 表1

LIGHT_FILL: dict[str, str] = {Light.RED: "F4B6B6", Light.YELLOW: "FBE29F", Light.GREEN: "BFE3C0"}
_KEYS = {
    Status.DONE: "done",
    Status.AHEAD: "ahead",
    Status.ON_TRACK: "on_track",
    Status.LAGGING: "lagging",
    Status.NOT_STARTED: "not_started",
    MISSING: "missing",
}
_LIGHT_KEYS: dict[str, str] = {Light.GREEN: "green", Light.YELLOW: "yellow", Light.RED: "red"}


def row_progress(row: RowResult, limit: int, *, results_first: bool = False) -> tuple[str, str]:
    """(source, condensed progress): the lead unit's report, else cooperating feedback.
    ``results_first`` (a table cell): what the report achieved rather than its opening
    sentences when it is too long (``results.digest``)."""
    cut = digest if results_first else condense
    reports = [a for a in row.lead_reports if unit_text(a.progress)]
    if reports:
        if len(reports) == 1 and len(row.lead_units) <= 1:
            return "", cut(reports[0].progress, limit)
        each = max(limit // len(reports), 40)
        return "", "\n".join(f"{a.unit}：{cut(a.progress, each)}" for a in reports)
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


def _indicator_rows(result: QuarterResult) -> tuple[list[dict], dict]:
    """Table rows for the main economic indicators (section 1) and the summary numbers.

    At most ``INDICATOR_ROWS`` in the body's 表1 (those below target first when there are
    more); the sentence names at most ``INDICATOR_NAMED`` of those below target."""
    rows: list[dict] = []
    behind_texts: list[str] = []
    on_track = behind = missing = 0
    for row in sorted(result.rows, key=id_key):
        if row.section != 1:
            continue
        for ind in row.indicators:
            target = f"增长{num(ind.target)}%" if ind.growth else f"{num(ind.target)}{ind.unit}"
            low = False
            if ind.value is None:
                value, compare = MISSING, "—"
                missing += 1
            else:
                value = growth_text(ind.value) if ind.growth else f"{num(ind.value)}{ind.unit}"
                compare = _compare(ind)
                if ind.on_track is False or (
                    ind.on_track is None and ind.gap is not None and ind.gap < 0
                ):
                    behind += 1
                    low = True
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
                    "low": low,
                }
            )
    total = len(rows)
    summary = ""
    if rows:
        summary = f"主要经济指标{total}项，达到目标或序时要求{on_track}项，低于目标{behind}项"
        if missing:
            summary += f"，未报送{missing}项"
        summary += "。"
        if behind_texts:
            named = behind_texts[:INDICATOR_NAMED]
            more = len(behind_texts) > len(named)
            summary += "其中，" + "；".join(named) + ("等" if more else "") + "。"
    if total > INDICATOR_ROWS:
        shown = ([r for r in rows if r["low"]] + [r for r in rows if not r["low"]])[:INDICATOR_ROWS]
        rows = sorted(shown, key=lambda r: r["no"])
        summary += f"表1列出其中{len(rows)}项（低于目标的在前），全部指标见汇总表。"
    return rows, {
        "total": total,
        "on_track": on_track,
        "behind": behind,
        "missing": missing,
        "summary": summary,
    }


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
        done = f"完成年度目标的{num(tenths(100 * ind.value / ind.target))}%"
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
            "named": label_items(r.label for r in rows[:CHANGE_LABELS]),
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
        "mean_sign": 0 if delta == "0" or mean is None else (1 if mean > 0 else -1),
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
    has_chart: bool = True,
    rungs: dict | None = None,
) -> dict:
    """Everything the report template shows, as plain strings, numbers and lists.

    ``change`` (from ``compare.quarter_change``, last quarter → this one) adds the
    comparison paragraph. Counts come from ``tally.task_counts`` (the chart, the briefs and
    the 汇总表 count with it too).
    """
    from reporting.core.labels import SECTION_NUMERALS

    d = settings.district
    rows = sorted(result.rows, key=id_key)
    n_rows = len(rows)
    tc = task_counts(rows)
    uc = result.unit_counts()
    c: dict[str, object] = {_KEYS[k]: v for k, v in tc.status.items()}
    c["on_pace"], c["behind"] = tc.on_pace, tc.behind
    c["on_pace_share"] = share(tc.on_pace, n_rows)
    c["behind_share"] = share(tc.behind, n_rows)
    lights: dict[str, object] = {_LIGHT_KEYS[k]: v for k, v in tc.lights.items()}
    lights["unlit"] = tc.unlit
    lights["on_pace_lit"] = tc.on_pace_yellow

    def names(state: Submitted) -> str:
        return join_names(u.unit for u in result.units if u.submitted == state)

    u: dict[str, object] = dict(uc)
    u["late_names"] = names(Submitted.LATE)
    u["rejected_names"] = names(Submitted.REJECTED)
    u["held_names"] = names(Submitted.HELD)
    u["missing_names"] = names(Submitted.MISSING)
    u["all_on_time"] = bool(result.units) and uc["on_time"] == uc["due"]

    expected = result.expected_progress
    quarter_label = period.label
    full = settings.report.detail == "full"
    sections: list[dict] = []
    by_section: dict[int, list[RowResult]] = {}
    for row in rows:
        by_section.setdefault(row.section, []).append(row)
    for number, srows in sorted(by_section.items()):
        counts = task_counts(srows)
        reported = sum(1 for r in srows if r.reported)
        if reported:
            summary = f"共{len(srows)}项，{status_phrase(counts.status)}。"
        else:
            summary = f"共{len(srows)}项，牵头单位均未报送。"
        numeral = (
            SECTION_NUMERALS[number - 1] if 1 <= number <= len(SECTION_NUMERALS) else str(number)
        )
        results = section_results(srows, section_budget(len(srows), n_rows))
        sections.append(
            {
                "numeral": numeral,
                "title": unit_text(srows[0].section_title).rstrip("。") or f"第{numeral}板块",
                "summary": summary,
                "results": results_text(results),  # what the quarter achieved, from the units
                "result_labels": [r.row.label for r in results],
                "highlights": _highlights(srows),
                "rows": [_walk_row(r) for r in srows] if full else [],
                "count": len(srows),
                "behind": counts.behind,
            }
        )

    annex = [annex_row(r) for r in rows]
    indicators, ind = _indicator_rows(result)
    title = f"关于{d.name}{d.year}年{d.document_title}{quarter_label}推进情况的报告"
    any_returns = any(r.reported for r in rows) or uc["on_time"] + uc["late"] > 0
    issues = issues_context(
        rows, themes_from(settings.report.theme_keywords), table_no=2 if indicators else 1
    )
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
        "annex2_title": f"各单位{quarter_label}报送情况",
        "date_text": chinese_date(today),
        "cutoff": period_figures(result).cutoff_text(today),
        "expected": num(expected),
        # rows judged otherwise than by the period's 序时进度 (落实方案节点, 其它类 …), said once
        "pace_note": pace_note(rows, expected),
        "plan_words": plan_words(rows),  # "或落实方案节点" where some rows have their 节点
        "light_rule": light_rule(settings),
        "any_returns": any_returns,
        "n_rows": n_rows,
        "c": c,
        "l": lights,
        "u": u,
        "ind": ind,
        "indicators": indicators,
        "sections": sections,
        "sections_summary": sections_summary(sections, has_chart),
        "detail_full": full,
        "issues": issues,
        "lagging": issues["lagging"],  # kept for templates the office edited
        "n_lagging": len(issues["lagging"]),
        "annex": annex,
        "annex_parts": [
            annex[i : i + ANNEX_TABLE_ROWS] for i in range(0, len(annex), ANNEX_TABLE_ROWS)
        ]
        or [[]],
        "unit_rows": unit_rows(result, today),
        "has_chart": has_chart,
        "chart": "",
        "change": change_context(change),
        "rungs_text": rung_sentence(sorted(result.rows, key=id_key), rungs),
        "next_steps": next_steps(
            result,
            settings,
            period,
            sections=sections,
            common=issues["common"],
            change=change,
            rungs=rungs,
        ),
    }


HIGHLIGHT_CHARS = 30  # one line of the body: what a completed or ahead item achieved


def _highlights(srows: list[RowResult]) -> list[dict]:
    """Completed items with a one-line excerpt, ahead-of-pace items with their progress."""
    out = []
    done = [r for r in srows if r.status == Status.DONE]
    if done:
        text = "；".join(f"{label_text(r)}{short_title(r)}：{_excerpt(r)}" for r in done)
        out.append({"status": Status.DONE, "n": len(done), "text": text})
    ahead = [r for r in srows if r.status == Status.AHEAD]
    if ahead:
        text = join_labels(f"{label_text(r)}{short_title(r)}" for r in ahead)
        out.append({"status": Status.AHEAD, "n": len(ahead), "text": text})
    return out


def _excerpt(r: RowResult) -> str:
    """One line of what the lead unit reported (a leading bracketed note such as
    "（示例数据）" left out), ending at a sentence or clause end."""
    text = one_line("\n".join(a.progress or "" for a in r.lead_reports))
    text = re.sub(r"^[（(][^）)]{1,8}[）)]", "", text).strip()
    first = re.split(r"[。！？!?]", text, maxsplit=1)[0]  # one sentence: items are joined by "；"
    return condense(first, HIGHLIGHT_CHARS).rstrip("。；") or "已报送"


def _walk_row(r: RowResult) -> dict:
    """One task of the full walk (``[report] detail = "full"``)."""
    source, progress = row_progress(r, BODY_CHARS)
    return {
        "label": label_text(r),
        "short": short_title(r),
        "state": _state_text(r),
        "detail": body_text(source + progress),
    }


def unit_rows(result: QuarterResult, today: date) -> list[dict]:
    """Annex 2: each unit's 报送情况, two units to a table row (the list is long and narrow)."""

    units = []
    for i, unit in enumerate(result.units, 1):
        when = cn_time(unit.received_at, today) if unit.received_at else "—"
        units.append(
            {"no": i, "unit": unit.unit, "state": annex_state(unit.submitted), "when": when}
        )
    return in_pairs(units)


# the annexes' cells are narrow: a returned-and-not-fixed return is 退回
ANNEX_STATE = {
    Submitted.ON_TIME: "按时",
    Submitted.LATE: "逾期",
    Submitted.REJECTED: "退回",
    Submitted.HELD: "待核实",
    Submitted.MISSING: "未报送",
}


def annex_state(state: Submitted | None) -> str:
    """A unit's quarter in an annex cell; None (nothing due) is —."""
    return "—" if state is None else ANNEX_STATE[state]


def in_pairs(items: list[dict]) -> list[dict]:
    """A long narrow list as two columns: row k holds ``a`` = item k and ``b`` = item
    k + half (an empty item of the same keys pads the right column)."""
    if not items:
        return []
    blank = dict.fromkeys(items[0], "")
    half = (len(items) + 1) // 2
    left, right = items[:half], items[half:] + [blank] * (half - len(items[half:]))
    return [{"a": a, "b": b} for a, b in zip(left, right, strict=True)]


def sections_summary(sections: list[dict], has_chart: bool = True) -> str:
    """Which sections have the most lagging/not-started rows (at most three named)."""
    text = f"{len(sections)}个板块的任务推进状态见图1。" if has_chart else ""
    worst = sorted((s for s in sections if s["behind"]), key=lambda s: -s["behind"])[:3]
    if worst:
        text += (
            "滞后和未启动任务较多的是"
            + "、".join(f"第{s['numeral']}板块（{s['behind']}项）" for s in worst)
            + "。"
        )
    return text


PROBLEM_CHARS = 24  # the annex's 存在问题 column


def annex_row(
    r: RowResult, *, progress_chars: int = ANNEX_CHARS, problem_chars: int = PROBLEM_CHARS
) -> dict:
    """One row of annex 1 (and of a leader's brief)."""
    source, progress = row_progress(r, progress_chars, results_first=True)
    if r.carried_from:
        source = f"{Period.parse(r.carried_from).label}已按完成时限判定，本季度无需报送。" + source
    problems = [t for _, t in unit_problems(r)]
    # what partners said against the lead unit, as a fact: the office's own flag (说法不一,
    # 请核实) is for the 汇总表 and duban status, not for 区政府 or a leader
    flags = row_disagreements(r)
    status = row_status(r)
    problem_text = condense("\n".join(problems), problem_chars) if problems else "—"
    if flags:
        said = "；".join(f"配合单位{d.partner}报“{d.partner_status}”" for d in flags)
        problem_text = f"{said}。" + ("\n" + problem_text if problems else "")
    return {
        "label": r.label,
        "task": short_title(r),
        "leaders": stack_names(r.lead_leaders) or "—",
        "units": (stack_names(r.lead_units) or "—") + owner_line(r),
        "percent": f"{num(r.percent)}%" if r.percent is not None else "—",
        "progress": (source + progress) if r.reported or source else MISSING,
        "problems": problem_text,
        "reason": light_reason(r),
        "status": status,
        "flagged": bool(flags),
        "light": row_light(r),
        "fill": LIGHT_FILL.get(r.light or "", "FFFFFF"),
    }


def owner_line(r: RowResult) -> str:
    """The 责任人 under the lead units of an annex cell, one person a line (several lead
    units' "区文旅局：张三；长青乡：李四" without the units named above); '' for none."""
    owner = unit_text(r.owner).replace("\n", " ")
    if not owner:
        return ""
    people = [p.split("：", 1)[-1].strip() for p in owner.split("；") if p.strip()]
    return "\n责任人：" + "\n".join(people)


def light_rule(settings: Settings) -> str:
    """The one definition of the lights (what ``merge.judge`` applies), stated once in the text."""
    y, r = settings.merge.yellow_gap, settings.merge.red_gap
    green = "达到序时进度" if not y else f"低于序时进度不超过{num(y)}个百分点"
    return (
        f"进度{green}且量化指标达到要求的亮绿灯；"
        f"低于序时进度{num(r)}个百分点以内、量化指标未达到要求或自报滞后的亮黄灯；"
        f"低于序时进度超过{num(r)}个百分点（指标同样计算）或未启动的亮红灯"
    )
