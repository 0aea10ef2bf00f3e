"""What the period's 看板 shows, as plain data for the template.

Every number comes from the computation the report uses: ``merge.tally`` for the counts
(whole period, per section, per leader), ``QuarterResult.unit_counts`` for the units,
``merge.compare`` and ``report.context.change_context`` for last quarter,
``merge.tally.light_reason`` for why a row is lit, ``report.context.annex_row`` for the
condensed texts and the 说法不一 flag, ``report.leader_briefs`` for each leader's order and
phrase. Unit texts are cleaned (``unit_text``) and contact details in them left out; the
template escapes everything.
"""

from __future__ import annotations

import re
from datetime import date

from reporting.core.config import Settings
from reporting.core.labels import SECTION_NUMERALS
from reporting.core.model import MISSING, Answer, QuarterResult, RowResult
from reporting.core.numbers import num
from reporting.core.periods import Period, cn_time
from reporting.core.states import REMINDER_STEPS, PaceBasis, SendResult
from reporting.core.submissions import Submitted
from reporting.core.text import condense, unit_text
from reporting.dashboard.charts import (
    LIGHT_FILL,
    LIGHT_SLUG,
    STATUS_KEYS,
    STATUS_SLUG,
    history_line,
    history_points,
    stacked,
    status_fill,
)
from reporting.merge.compare import quarter_change
from reporting.merge.disagree import row_disagreements
from reporting.merge.figures import period_figures
from reporting.merge.tally import TaskCounts, light_reason, section_counts, task_counts
from reporting.report.context import change_context, growth_text, light_rule
from reporting.report.leader_briefs import brief_order, leaders_of
from reporting.report.wording import id_key, join_names, share, short_title, status_phrase

CARD_CHARS = 120  # the lead unit's 进展 on the card; the full text opens below it
NOTE_CHARS = 60  # 存在问题 / 下步打算 on the card
PARTNER_CHARS = 50
_CONTACT = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # mail addresses
    r"|(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)"  # mobile numbers
    r"|(?<!\d)0\d{2,3}-\d{7,8}(?!\d)"  # landlines written with the area code
)
CONTACT_LEFT_OUT = "（联系方式略）"
UNIT_SLUG = {  # a unit's return as a CSS class and filter value
    Submitted.ON_TIME: "on_time",
    Submitted.LATE: "late",
    Submitted.REJECTED: "rejected",
    Submitted.HELD: "held",
    Submitted.MISSING: "missing",
}


def shown(text: str | None) -> str:
    """A unit's text as the page shows it: cleaned, without mail addresses or phone numbers."""
    return _CONTACT.sub(CONTACT_LEFT_OUT, unit_text(text))


def section_name(number: int, title: str) -> str:
    numeral = SECTION_NUMERALS[number - 1] if 1 <= number <= len(SECTION_NUMERALS) else str(number)
    return f"{numeral}、{shown(title).rstrip('。')}"


def counts_view(counts: TaskCounts) -> dict:
    """One bar: segments, the statuses in words, lagging/red."""
    return {
        "total": counts.total,
        "status": counts.status,
        "lights": counts.lights,
        "segments": stacked(counts.status),
        "phrase": status_phrase(counts.status),
        "behind": counts.behind,
    }


def reminders_by_unit(sends) -> dict[str, list[str]]:
    """unit → the reminder stages (提醒/催报/逾期) that reached it, in the cycle's order."""
    reached: dict[str, set[str]] = {}
    for s in sends:
        if s.stage in REMINDER_STEPS and s.result == SendResult.SENT:
            reached.setdefault(s.unit, set()).add(s.stage)
    return {u: [str(st) for st in REMINDER_STEPS if st in got] for u, got in reached.items()}


def row_expected(row: RowResult, period_expected: float) -> float | None:
    """What the row was judged against (``core.pace.row_pace``, kept in merged.json: its
    落实方案 节点, the line to its deadline, or None for a row not judged by pace); a result
    merged before rows carried it: from its gap, else the period's 序时进度."""
    if row.expected_progress is not None or row.pace_basis == PaceBasis.NONE:
        return row.expected_progress
    if row.gap is not None and row.percent is not None:
        return round(row.percent + row.gap, 6)
    return period_expected


def pace_words(row: RowResult, expected: float | None) -> str:
    """'序时进度 50%' / '落实方案节点 40%' / '不按进度研判' (the card's line under the bar)."""
    if expected is None:
        return "不按进度研判"
    name = "落实方案节点" if row.pace_basis == PaceBasis.PLAN else "序时进度"
    return f"{name} {num(expected)}%"


def target_text(ind) -> str:
    return f"增长{num(ind.target)}%" if ind.growth else f"{num(ind.target)}{ind.unit}"


def value_text(ind) -> str:
    if ind.value is None:
        return "未填报"
    return growth_text(ind.value) if ind.growth else f"{num(ind.value)}{ind.unit}"


def _answer(a: Answer, limit: int) -> dict:
    view: dict[str, object] = {
        "unit": a.unit,
        "percent": f"{num(a.percent)}%" if a.percent is not None else "",
        "status": a.status or "",
    }
    cut = False
    for key, short, chars in (
        ("progress", "progress_short", limit),
        ("problems", "problems_short", NOTE_CHARS),
        ("next_steps", "next_short", NOTE_CHARS),
    ):
        full = shown(getattr(a, key))
        view[key] = full
        view[short] = condense(full, chars) if len(full) > chars else full
        cut = cut or view[short] != full
    view["cut"] = cut  # the full text is shown apart only where the card shortened it
    return view


Quarters = dict[int, tuple[QuarterResult, dict[str, RowResult]]]  # quarter → result, rows by id


def task_history(row: RowResult, year_results: Quarters, upto: int) -> dict:
    """The row in each quarter of the year up to ``upto``: dots (by quarter) and words."""
    cells: list[tuple[float | None, float | None, str]] = []
    words = []
    for q in range(1, upto + 1):
        res, by_id = year_results.get(q, (None, {}))
        other = by_id.get(row.id)
        label = Period(1, q).label.replace("第", "")
        if res is None:
            cells.append((None, None, ""))
            continue
        if other is None or not other.reported:
            cells.append((None, None, ""))
            words.append(f"{label}{MISSING}")
            continue
        cells.append((other.percent, row_expected(other, res.expected_progress), other.light or ""))
        pct = f"{num(other.percent)}%" if other.percent is not None else ""
        words.append(f"{label}{pct}{other.status or ''}")
    points = history_points(cells)
    return {"points": points, "line": history_line(points), "words": "，".join(words)}


def full_texts(leads: list[dict], partners: list[dict]) -> list[list]:
    """[head, [lines]] per unit whose text the card shortened, then per partner: what 全文
    opens (kept apart from the page's markup as JSON, filled in as text when opened)."""
    out: list[list] = []
    for a, who in [
        *((a, a["unit"]) for a in leads if a["cut"]),
        *((a, f"配合单位 {a['unit']}") for a in partners),
    ]:
        said = "，".join(x for x in (a["percent"], a["status"]) if x)
        lines = [f"进展：{a['progress'] or '未填写'}"]
        lines += [f"问题：{a['problems']}"] if a["problems"] else []
        lines += [f"打算：{a['next_steps']}"] if a["next_steps"] else []
        out.append([f"{who}（{said}）" if said else who, lines])
    return out


def task_view(row: RowResult, expected_all: float, year_results: Quarters, order: int) -> dict:
    expected = row_expected(row, expected_all)
    flags = row_disagreements(row)
    leads = [_answer(a, CARD_CHARS) for a in row.lead_reports]
    partners = [_answer(a, PARTNER_CHARS) for a in row.coop_feedback]
    reported = {a.unit for a in row.coop_feedback}
    status = row.status or MISSING
    return {
        "id": row.id,
        "label": row.label,
        "title": shown(short_title(row)),
        "content": shown(row.content),
        "section": row.section,
        "leaders": list(row.lead_leaders),
        "lead_units": list(row.lead_units),
        "coop_units": list(row.coop_units) + list(row.coop_collective),
        "coop_missing": [u for u in row.coop_units if u not in reported],
        "percent": row.percent,
        "percent_text": f"{num(row.percent)}%" if row.percent is not None else "—",
        "bar": max(0.0, min(100.0, row.percent or 0.0)),
        "expected": expected,
        "expected_text": f"{num(expected)}%" if expected is not None else "",
        "pace_text": pace_words(row, expected),
        "status": status,
        "status_slug": STATUS_SLUG.get(status, "missing"),
        "light": row.light or "",
        "light_slug": LIGHT_SLUG.get(row.light or "", "none"),
        "light_fill": LIGHT_FILL.get(row.light or "", ""),
        "reason": shown(light_reason(row)),
        "conflict": shown(row.status_conflict),
        "flags": [shown(d.text) for d in flags],
        "indicators": [
            {
                "name": shown(ind.name),
                "target": target_text(ind),
                "value": value_text(ind),
                "text": shown(ind.text),
                "ok": ind.on_track,
            }
            for ind in row.indicators
        ],
        "leads": leads,
        "partners": partners,
        "full": full_texts(leads, partners),
        "history": task_history(row, year_results, max(year_results)),
        "order": order,
    }


def leader_views(
    result: QuarterResult, settings: Settings, period: Period, rows: list[RowResult]
) -> list[dict]:
    """Per leader as the 分管领导调度单 counts: the bar, the phrase, lagging and missing."""
    out = []
    for leader in leaders_of(result):
        mine = [r for r in rows if leader in r.lead_leaders]
        counts = task_counts(mine)
        view = counts_view(counts)
        view.update(
            name=leader,
            lagging=sum(1 for r in mine if r.lagging),
            missing=counts.missing,
        )
        out.append(view)
    return out


def period_view(
    result: QuarterResult,
    settings: Settings,
    period: Period,
    *,
    today: date,
    earlier: list[QuarterResult] | None = None,
    sends=None,
) -> dict:
    """Everything the period page shows. ``earlier``: the year's merged quarters before
    this one, in order (the last one is compared with, as the report does); ``sends``:
    the ledger's sends of the period (who was reminded), None when not known."""
    d = settings.district
    rows = sorted(result.rows, key=id_key)
    earlier = [e for e in earlier or [] if e.period != result.period]
    previous = earlier[-1] if earlier and earlier[-1].period == str(period.previous()) else None
    if period.quarter == 1:
        previous = None
    change = quarter_change(previous, result) if previous is not None else None
    if change is not None and not change.comparable:
        change = None
    tc = task_counts(rows)
    before = task_counts(previous.rows) if change is not None and previous else None
    uc = result.unit_counts()
    uc_before = previous.unit_counts() if previous is not None else None
    ranked = sorted(rows, key=brief_order)  # stable: the briefs' order within task order
    rank = {r.id: i for i, r in enumerate(ranked)}
    year_results = {
        Period.parse(r.period).quarter: (r, {x.id: x for x in r.rows}) for r in [*earlier, result]
    }
    reminders = reminders_by_unit(sends) if sends is not None else None
    units = []
    for u in result.units:
        state = u.submitted
        units.append(
            {
                "unit": u.unit,
                "state": UNIT_SLUG[state],
                "word": state.short,
                "when": cn_time(u.received_at, today) if u.received_at else "",
                "versions": u.versions,
                "reminders": (reminders or {}).get(u.unit, []),
            }
        )
    sections = []
    for number, title, counts in section_counts(rows):
        view = counts_view(counts)
        view.update(number=number, name=section_name(number, title))
        sections.append(view)
    unit_list = sorted({u for r in rows for u in r.lead_units})
    return {
        "kind": "period",
        "title": f"{d.name}{d.year}年{d.document_title}{period.label}推进情况看板",
        "district": d.name,
        "office": d.office,
        "period": str(period),
        "period_label": period.full_label,
        "cutoff": period_figures(result).cutoff_text(today),
        "expected": num(result.expected_progress),
        "light_rule": light_rule(settings),
        "any_returns": any(r.reported for r in rows),
        "total": tc.total,
        "counts": counts_view(tc),
        # the year's end: the statuses are the units' own; the verdict is on the year's page
        "self_reported": Period.parse(result.period).quarter == 4,
        "status_keys": [(k, STATUS_SLUG[k], status_fill(k)) for k in STATUS_KEYS],
        "status_before": before.status if before else None,
        "lights": [(k, LIGHT_SLUG[k], n, LIGHT_FILL[k]) for k, n in tc.lights.items()],
        "lights_before": before.lights if before else None,
        "unlit": tc.unlit,
        "unlit_before": before.unlit if before else None,
        "on_pace": tc.on_pace,
        "on_pace_share": share(tc.on_pace, tc.total),
        "behind": tc.behind,
        "behind_share": share(tc.behind, tc.total),
        "units_count": uc,
        "units_before": uc_before,
        "previous_label": Period.parse(previous.period).label if previous else "",
        "change": change_context(change),
        "sections": sections,
        "leaders": leader_views(result, settings, period, rows),
        "lead_units": unit_list,
        "tasks": [task_view(r, result.expected_progress, year_results, rank[r.id]) for r in rows],
        "units": units,
        "reminders_known": reminders is not None,
        "join": join_names,
    }
