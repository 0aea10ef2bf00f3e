"""Section 三 of the report, 存在的问题: the 共性问题 first, then the lagging tasks, compact.

The 共性问题 come from what units wrote this quarter — the lead units' and partners' 存在问题,
and the causes a lagging row's progress text gives ("因用地指标未落实…") — grouped by the
office's keyword rules (``report.themes``), each theme a sentence with its count, what the
units said and the tasks named, the theme raised by most tasks first. The lagging, lit and
silent tasks follow, each list cut to what a leader reads in the body (the annex has all).
"""

from __future__ import annotations

import re

from reporting.core.model import RowResult, Status
from reporting.core.text import condense, one_line, quoted, unit_text
from reporting.merge import tally
from reporting.merge.judge import num
from reporting.merge.tally import ON_PACE, indicator_shortfall, light_reason
from reporting.report.themes import OTHER, Theme, ThemeGroup, classify, clauses, group
from reporting.report.wording import (
    id_key,
    join_labels,
    join_names,
    label_items,
    label_text,
    progress_against_pace,
    short_title,
    task_list,
)

THEME_LABELS = 6  # task labels named in a theme's sentence, then "等"
SAID_CHARS = 24  # a clause of the units' own words quoted in a theme's sentence
SAID_QUOTES = 2
# lagging tasks written out one by one when there are no more than LAGGING_SHOWN, else only
# the LAGGING_WORST furthest behind and the rest by label (a city's hundreds stay in annex 1)
LAGGING_SHOWN, LAGGING_WORST = 20, 12
LIT_SHOWN, LIT_WORST = 8, 5
REST_LABELS = 20
ORDINALS = "一二三四五六七八九十"
# a lagging row's progress text may give its cause: "因用地指标未落实，项目暂未开工"
_CAUSE = re.compile(r"受.{0,12}影响|因|由于|尚未|未能|暂未|推迟|延期|延误|缓慢|不足|困难|制约|滞后")


def behind(row: RowResult) -> bool:
    """Lagging, red or not started: the rows section 三 lists first."""
    return row.lagging or row.status == Status.NOT_STARTED


def problem_texts(row: RowResult, themes: tuple[Theme, ...]) -> list[str]:
    """What the units said is in the way this quarter: the lead units' and partners'
    存在问题, and for a row behind pace the causes its progress text names under a theme."""
    texts = [unit_text(a.problems) for a in row.lead_reports + row.coop_feedback]
    texts = [t for t in texts if clauses(t)]
    if behind(row):
        for a in row.lead_reports:
            for clause in clauses(a.progress):
                named = classify(clause, themes)
                if _CAUSE.search(clause) and named and named != (OTHER,):
                    texts.append(clause)
    return texts


def theme_sentence(
    k: int, g: ThemeGroup, labels: dict[str, str], flagged: set[str], flag: str = "进度滞后"
) -> str:
    """'一是资金保障方面，第3项、第6项共2项任务反映“资金到位不及时”，其中1项进度滞后。'
    (``labels``: task → label; ``flagged``: the tasks the sentence counts with ``flag``)."""
    short = [c for c in g.said if len(c) <= SAID_CHARS] or sorted(g.said, key=len)[:1]
    said = "".join(quoted(c) for c in short[:SAID_QUOTES])
    more = "等问题" if len(g.said) > len(short[:SAID_QUOTES]) else ""
    late = sum(1 for t in g.tasks if t in flagged)
    where = "其他方面" if g.themes == (OTHER,) else f"{g.name}方面"
    ordinal = ORDINALS[k] if k < len(ORDINALS) else str(k + 1)
    tasks = task_list([labels[t] for t in g.tasks], THEME_LABELS)
    if not late:
        counted = ""
    elif late == len(g.tasks):
        counted = f"，{flag}" if late == 1 else f"，均{flag}"
    else:
        counted = f"，其中{late}项{flag}"
    return f"{ordinal}是{where}，{tasks}反映{said}{more}{counted}。"


def common_problems(rows: list[RowResult], themes: tuple[Theme, ...]) -> dict | None:
    """The 共性问题 paragraph: intro, one sentence per theme group, the lagging rows whose
    units gave no cause (None when nobody wrote a problem)."""
    by_id = {r.id: r for r in rows}
    items = [(r.id, problem_texts(r, themes)) for r in rows]
    items = [(t, texts) for t, texts in items if texts]
    if not items:
        return None
    groups = group(items, themes)
    late = {r.id for r in rows if behind(r)}
    silent = [r for r in rows if behind(r) and r.reported and r.id not in dict(items)]
    intro = f"各单位本季度填报的存在问题涉及{len(items)}项任务，主要有以下几个方面："
    tail = ""
    if silent:
        tail = f"另有{task_list([r.label for r in silent], THEME_LABELS)}进度滞后，牵头单位未说明原因。"
    return {
        "intro": intro,
        "themes": [
            theme_sentence(k, g, {r.id: r.label for r in rows}, late) for k, g in enumerate(groups)
        ],
        "groups": [
            {
                "name": g.name,
                "themes": list(g.themes),
                "n": len(g.tasks),
                "labels": [by_id[t].label for t in g.tasks],
                "behind": [by_id[t].label for t in g.tasks if behind(by_id[t])],
            }
            for g in groups
        ],
        "silent": tail,
        "n_tasks": len(items),
    }


def gap_text(row: RowResult, expected: float) -> str:
    """Why a row behind pace is listed, when ``light_reason`` has nothing to say."""
    parts = progress_against_pace(row, expected)
    if row.percent is None and row.status:
        parts.append(f"单位自报{quoted(row.status)}")
    if row.percent is not None and row.status and row.status != Status.LAGGING:
        parts.append(f"单位自报{quoted(row.status)}")
    text = "，".join(parts) or "进展滞后"
    if row.status_conflict:
        text += f"（{unit_text(row.status_conflict)}）"
    return text


LIGHT_FILL = {"红": "F4B6B6", "黄": "FBE29F", "绿": "BFE3C0"}  # as annex 1 tints them


def _item(r: RowResult) -> dict:
    return {
        "label": label_text(r),
        "short": short_title(r),
        "task": f"{label_text(r)}{short_title(r)}",  # a cell of the lagging table
        "leaders": join_names(r.lead_leaders) or "—",
        "units": join_names(r.lead_units) or "—",
        "unit_lines": "\n".join(u for u in r.lead_units if u) or "—",
        "reason": light_reason(r),
        "brief": brief_reason(r),
        "light": r.light or "",
        "fill": LIGHT_FILL.get(r.light or "", "FFFFFF"),
        "problems": lead_problems(r),
    }


def unit_problems(row: RowResult) -> list[tuple[str, str]]:
    """[(unit, 存在问题)] the lead units wrote, each text once (units often repeat each other)."""
    seen: dict[str, str] = {}
    for a in row.lead_reports:
        text = one_line(a.problems)
        if text and text not in seen:
            seen[text] = a.unit
    return [(u, t) for t, u in seen.items()]


def brief_reason(row: RowResult) -> str:
    """Why a row is listed, as short as a table cell wants it: '完成26%，低于序时24个百分点；
    新增城市停车泊位完成目标的27.9%' / '完成60%，低于节点20个百分点' / '尚未启动' (the gap on the
    row's own basis, its name shortened)."""
    parts = []
    behind = tally.gap_text(row, short=True)
    if behind:
        parts.append(f"完成{num(row.percent)}%，{behind}")
        if row.status in ON_PACE:  # the unit says otherwise: the office checks it
            parts[-1] += f"，单位自报{quoted(row.status)}"
    parts += [indicator_shortfall(i) for i in row.indicators if i.on_track is False]
    if row.status == Status.NOT_STARTED:
        parts.append("尚未启动")
    elif row.status == Status.LAGGING and not parts:
        parts.append("单位自报滞后")
    return "；".join(parts) or light_reason(row) or gap_text(row, 0)


def lead_problems(row: RowResult, limit: int = 60) -> str:
    """The lead units' own 存在问题, each once, condensed ('' when none wrote any)."""
    items = unit_problems(row)
    if not items:
        return ""
    if len(items) == 1:
        return condense(items[0][1], limit)
    each = max(limit // len(items), 30)
    return "；".join(f"{u}：{condense(t, each).rstrip('。')}" for u, t in items) + "。"


def _rest(rows: list[RowResult]) -> dict | None:
    if not rows:
        return None
    labels = [r.label for r in rows]
    return {
        "n": len(rows),
        "labels": join_labels(labels[:REST_LABELS]),
        "named": label_items(labels[:REST_LABELS]),
        "more": len(labels) > REST_LABELS,
    }


def _worst(rows: list[RowResult], n: int) -> list[RowResult]:
    """The ``n`` rows furthest behind (red first, then the widest gap), in task order."""
    worst = sorted(rows, key=lambda r: (r.light != "红", -(r.gap or 0), id_key(r)))[:n]
    return sorted(worst, key=id_key)


def issues_context(rows: list[RowResult], themes: tuple[Theme, ...], *, table_no: int = 1) -> dict:
    """Section 三: 共性问题, lagging/red/not-started rows (the worst ``LAGGING_SHOWN`` in a
    table, 表``table_no``, the rest by label), rows on pace but lit, rows not reported by
    lead unit."""
    lagging, lit = [], []
    rows = [r for r in rows if not r.carried_from]  # judged in their own quarter
    for r in rows:
        if behind(r):
            lagging.append(r)
        elif light_reason(r):
            lit.append(r)
    items = {r.id: _item(r) for r in lagging + lit}
    for r in lagging:
        if not items[r.id]["reason"]:
            items[r.id]["reason"] = gap_text(r, 0)
    shown = lagging if len(lagging) <= LAGGING_SHOWN else _worst(lagging, LAGGING_WORST)
    lit_shown = lit if len(lit) <= LIT_SHOWN else _worst(lit, LIT_WORST)
    shown_ids = {r.id for r in shown + lit_shown}
    by_unit: dict[str, list[str]] = {}
    for r in rows:
        if not r.reported:
            by_unit.setdefault(join_names(r.lead_units) or "牵头单位", []).append(r.label)
    missing = [
        {"units": k, "labels": join_labels(v), "named": label_items(v), "n": len(v)}
        for k, v in by_unit.items()
    ]
    common = common_problems(rows, themes)
    parts = [("common", common), ("lagging", lagging), ("lit", lit), ("missing", missing)]
    heads: dict[str, str] = {}
    for key, present in parts:
        if present:
            heads[key] = f"（{ORDINALS[len(heads)]}）"
    return {
        "common": common,
        "lagging": [items[r.id] for r in lagging],
        "lagging_shown": [items[r.id] for r in shown],
        "lagging_rest": _rest([r for r in lagging if r.id not in shown_ids]),
        "lit": [items[r.id] for r in lit],
        "lit_shown": [items[r.id] for r in lit_shown],
        "lit_rest": _rest([r for r in lit if r.id not in shown_ids]),
        "missing": missing,
        "n_missing": sum(m["n"] for m in missing),
        "heads": heads,
        "table_no": table_no,  # the lagging table's number (表1 is the indicators', when any)
        "any": bool(lagging or lit or missing or common),
    }
