"""Proposing the ``indicators`` column from a task's text.

``新增就业人员 4100 人`` → ``新增就业人员=4100人``; ``地区生产总值增长8%左右`` →
``地区生产总值=增长8%``. Only numbers with a unit count; a number right before 以上 and
more words is a threshold (``50 万元以上集体经济强村``), and a sentence about another
year (``争取到 2026 年``) is no target of this one. The names are guesses: the importer
lists every proposal for review.
"""

from __future__ import annotations

import re

from reporting.taskbook.tasks import parse_indicators

_UNITS = (
    "%", "％", "亿美元", "万美元", "亿元", "万元", "元", "万平方米", "平方米", "万亩", "亩", "公顷",
    "公里", "千米", "km", "万户", "户", "万人次", "人次", "万人", "人", "个", "家", "套", "项", "所",
    "座", "MW", "GW", "兆瓦", "万千瓦", "千瓦", "万吨", "吨", "辆", "条", "场", "批", "名", "间", "处",
    "张", "台", "栋", "幢", "件", "宗", "株", "棵", "床", "亿",
)  # fmt: skip
_UNIT_ALT = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
_TARGET = re.compile(
    rf"(?P<growth>增长|增速为|增速达到?|增幅)?\s*(?P<num>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*(?P<unit>{_UNIT_ALT})"
)
# 千万元 / 百亿元 written in words (not 数千万元 or 三千万元, which are no round figure)
_ROUND = re.compile(r"(?<![一二三四五六七八九十两几数百千\d])([十百千])(万元|亿元|万美元|亿美元)")
_ROUND_VALUE = {"十": 10, "百": 100, "千": 1000}
_CLAUSES = re.compile(r"[，。；;！？!?：:]|,(?!\d{3})")
_SENTENCES = re.compile(r"[^。！？!?]+[。！？!?]?")
_QUOTES = re.compile(r"[“”\"‘’'「」『』《》\s\u3000]")
_LEAD = (
    "全年", "年内", "今年", "计划", "力争", "确保", "争取", "力促", "实现", "完成", "累计", "预计",
    "其中", "形成", "推动", "推进", "加快", "积极", "着力", "努力", "全力", "持续", "梯度", "培育", "共",
    "以上", "以下",
)  # fmt: skip
_TAIL = (
    "控制在",
    "保持在",
    "稳定在",
    "不少于",
    "不低于",
    "超过",
    "突破",
    "达到",
    "提高到",
    "提升至",
    "达",
    "为",
    "约",
    "近",
    "总数",
)
_QUALIFIER = ("及以上", "以上", "以下", "以内", "左右")
_CUT = re.compile(r"[、和及与等的]|以上|左右")


def propose_indicators(content: str, year: int) -> str:
    """The indicators text proposed for one row ('' when the text has no measurable target)."""
    names: list[str] = []
    parts: list[str] = []
    content = _ROUND.sub(lambda m: f"{_ROUND_VALUE[m.group(1)]}{m.group(2)}", content or "")
    for sentence in _SENTENCES.findall(content):
        years = {int(y) for y in re.findall(r"(20\d\d)\s*年", sentence)}
        if years - {year}:
            continue  # a target for another year (争取到 2026 年…)
        for clause in _CLAUSES.split(sentence):
            for name, value in _clause_targets(clause, names[-1] if names else ""):
                name = _unique(name, names)
                names.append(name)
                parts.append(f"{name}={value}")
    text = "；".join(parts)
    try:
        parse_indicators(text)
    except Exception:  # noqa: BLE001 - a proposal that tasks.csv would reject is no proposal
        return ""
    return text


def _clause_targets(clause: str, previous: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    matches = list(_TARGET.finditer(clause))
    prev_end = 0
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(clause)
        prefix = clause[prev_end : m.start()]
        suffix = clause[m.end() : end]
        prev_end = m.end()
        tail = suffix.strip()
        qualifier = next((q for q in _QUALIFIER if tail.startswith(q)), None)
        if qualifier:
            rest = tail[len(qualifier) :].strip()
            if rest and i + 1 < len(matches):
                continue  # 50 万元以上集体经济强村占比达到 50%: a threshold, not a target
            suffix = rest  # 形成千万元以上文旅经济收入: the words after name it
        number = m.group("num").replace(",", "")
        unit = "%" if m.group("unit") == "％" else m.group("unit")
        if m.group("growth"):
            if unit != "%":
                continue
            name = _clean(prefix) or (f"{previous}增速" if previous else "")
            value = f"增长{number}%"
        else:
            name = _name(prefix, suffix)
            value = f"{number}{unit}"
        if name and len(name) <= 30:
            out.append((name, value))
            previous = name
    return out


def _clean(text: str) -> str:
    text = _QUOTES.sub("", text)
    changed = True
    while changed and text:
        changed = False
        for word in _LEAD:
            if text.startswith(word) and len(text) > len(word):
                text, changed = text[len(word) :], True
        for word in _TAIL:
            if text.endswith(word):
                text, changed = text[: -len(word)], True
    return "" if text in _LEAD else text


def _name(prefix: str, suffix: str) -> str:
    """Name a number from the words before it, or after it when those are a verb or examples."""
    before = _clean(prefix)
    if "等" in before and not before.endswith("等"):
        # 储备蚌埠闸水源地保护等项目 → 储备项目 (the examples before 等 are no name)
        head, _, tail = before.rpartition("等")
        before = head[:2] + tail if len(tail) <= 2 else tail
    after = _QUOTES.sub("", suffix)
    after = _CUT.split(after, 1)[0] if after else ""
    if not after:
        return before
    if not before or before.endswith("等") or "、" in before:
        return after
    return before + after if len(before) <= 4 else before


def _unique(name: str, used: list[str]) -> str:
    if name not in used:
        return name
    if used and used[-1] != name and f"{used[-1]}{name}" not in used:
        return f"{used[-1]}{name}"
    n = 2
    while f"{name}（{n}）" in used:
        n += 1
    return f"{name}（{n}）"
