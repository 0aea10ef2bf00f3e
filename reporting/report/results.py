"""主要进展 with substance: what each section's tasks achieved this quarter, from the units'
进展 text.

Each on-pace task (已完成, 超序时, 序时推进 alike) is represented by the clauses of its
progress text that say most: clauses carrying figures with their units (新开工项目5个、
完成投资3.2亿元) and result words (开工、竣工、签约、新增、建成 …) rank above generic ones
(按计划推进、召开调度会). A section gets a share of one length budget by its number of tasks,
so the body keeps its pages whatever the size of the table; a section with a 序时推进 task
always names one. Deterministic: same text, same choice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reporting.core.model import RowResult, Status
from reporting.core.text import condense, one_line, unit_text
from reporting.report.wording import id_key, label_text, short_title

RESULTS_CHARS = 600  # all sections' results together, shared out by task count
SECTION_MIN, SECTION_MAX = 70, 150
ENTRY_CHARS = 48  # one task's result
ENTRY_CLAUSES = 2
ON_PACE = (Status.DONE, Status.AHEAD, Status.ON_TRACK)
_UNITS = (
    "个百分点|亿美元|万美元|亿元|万元|元|万平方米|平方米|公里|千米|米|万亩|亩|公顷|个|项|家|户|"
    "人次|万人|人|套|所|座|处|条|次|场|批|件|吨|辆|台|间|栋|宗|笔|期|MW|兆瓦|千瓦|%|％"
)
_FIGURE = re.compile(rf"\d+(?:\.\d+)?\s*(?:{_UNITS})")
_RESULT_WORDS = (
    "开工", "竣工", "签约", "投资", "新增", "建成", "投产", "落地", "引进", "开通", "交付",
    "验收", "获批", "投用", "上线", "实现", "完成", "达到", "培育", "办结", "化解", "新建",
    "改造", "招引", "出台", "印发", "认定", "创成", "入选",
)  # fmt: skip
_GENERIC = (
    "按计划", "有序推进", "稳步推进", "正在", "积极", "召开", "调度会", "专班", "明确责任",
    "任务清单", "推进方案", "督导", "相关工作", "围绕", "按要求", "阶段性成效",
)  # fmt: skip
_NOTE = re.compile(r"^[（(][^）)]{1,8}[）)]")  # a leading note such as （示例数据）
_WHEN = re.compile(
    r"^(第[一二三四]季度|[一二三四]季度|本季度|上半年|前三季度|今年以来|年初以来|\d{1,2}月(份)?(以来)?)$"
)
_SPLIT = re.compile(r"[，,；;。！？!?\n]+")
_TAG: dict[str | None, str] = {Status.DONE: "（已完成）", Status.AHEAD: "（超序时）"}
_BONUS: dict[str | None, int] = {Status.DONE: 6, Status.AHEAD: 3}


_QUOTED = re.compile(r"“[^“”]*”")  # a task's own title quoted back ("围绕“增长8%”") is no result


def clause_score(clause: str) -> int:
    """Figures with units count most, then result words; generic phrases count against."""
    clause = _QUOTED.sub("", clause)
    score = 3 * len(_FIGURE.findall(clause))
    score += 2 * sum(1 for w in _RESULT_WORDS if w in clause)
    score -= 3 * sum(1 for w in _GENERIC if w in clause)  # "督导6次" is no result
    return score


def best_result(text: str, limit: int = ENTRY_CHARS) -> tuple[int, str]:
    """(score, what the text achieved): its clauses that score above zero, in the order
    written, within ``limit``; else its first clause that is not generic; else ''."""
    text = _NOTE.sub("", one_line(text)).strip()
    parts = [c.strip() for c in _SPLIT.split(text) if c.strip() and not _WHEN.match(c.strip())]
    scored = [(clause_score(c), c) for c in parts]
    good = [c for s, c in scored if s > 0]
    if good:
        chosen: list[str] = []
        for c in good[:ENTRY_CLAUSES]:
            if chosen and len("，".join([*chosen, c])) > limit:
                break
            chosen.append(c)
        joined = "，".join(chosen)
        return sum(s for s, c in scored if c in chosen), condense(joined, limit).rstrip("。")
    plain = [c for s, c in scored if s == 0]
    return (0, condense(plain[0], limit).rstrip("。")) if plain else (-1, "")


def digest(text: str, limit: int) -> str:
    """A unit's progress in about ``limit`` characters for a table cell: the text itself
    when it fits, else what it achieved (``best_result``, a leading note such as
    （示例数据） kept), else its first sentences (``condense``)."""
    text = unit_text(text)
    if len(text) <= limit:
        return text
    note = _NOTE.match(one_line(text))
    score, best = best_result(text, limit - (len(note.group()) if note else 0))
    if score > 0:
        return (note.group() if note else "") + best + "。"
    return condense(text, limit)


@dataclass
class Entry:
    row: RowResult
    score: int
    text: str  # '' → the task is named without a result

    @property
    def line(self) -> str:
        name = f"{label_text(self.row)}{short_title(self.row)}{_TAG.get(self.row.status, '')}"
        return f"{name}：{self.text}" if self.text else f"{name}按序时推进"


def entry_of(row: RowResult) -> Entry:
    found = [best_result(a.progress) for a in row.lead_reports if a.progress]
    score, text = max(found, key=lambda f: f[0], default=(-1, ""))
    return Entry(row, score, text)


def section_budget(n_section: int, n_rows: int) -> int:
    share = RESULTS_CHARS * n_section / max(n_rows, 1)
    return int(min(max(share, SECTION_MIN), SECTION_MAX))


def section_results(srows: list[RowResult], budget: int) -> list[Entry]:
    """The section's results within ``budget`` characters, in task order: the best
    序时推进 task first (every section with one names one), then the best of the rest."""
    entries = [entry_of(r) for r in srows if r.status in ON_PACE and r.reported]
    if not entries:
        return []
    # a finished task is news a leader wants: it ranks as if its text said a little more
    rank = sorted(
        entries,
        key=lambda e: (-(e.score + _BONUS.get(e.row.status, 0)), id_key(e.row)),
    )
    on_track = [e for e in rank if e.row.status == Status.ON_TRACK]
    picked = on_track[:1] or rank[:1]
    used = len(picked[0].line)
    for e in rank:
        if e in picked or e.score < 0:
            continue
        if used + len(e.line) + 1 > budget:
            continue
        picked.append(e)
        used += len(e.line) + 1
    return sorted(picked, key=lambda e: id_key(e.row))


def results_text(entries: list[Entry]) -> str:
    """'8（2）…（已完成）：新开工项目5个，完成投资3.2亿元；9（1）…：…。'"""
    return "；".join(e.line for e in entries) + "。" if entries else ""
