"""Short task names for tables and lists: tasks.csv's optional ``short_title`` column, else
a name derived from the row's own text, cut only where the text has a boundary.

``import-tasks`` proposes them, ``duban check`` lists the ones still too long, and every
document that names a task briefly — the report and its annex, the briefs, the 通报, the
annual edition and the year workbook — prints ``short_title_of``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

from reporting.core.fileutil import clean_text
from reporting.core.text import nest_quotes

if TYPE_CHECKING:
    from reporting.taskbook.tasks import Task

SHORT_CHARS = 20  # a short name fits a line of the annex's task column


def _one_line(text: str | None) -> str:
    return re.sub(
        r"[ \t\u3000]+", " ", clean_text(str(text or "")).replace("\r", "").replace("\n", "")
    ).strip()


def tidy_name(text: str) -> str:
    """No spaces between Chinese and Latin/digits ("增长 8%" → "增长8%"), as 公文 print them."""
    return re.sub(
        r"(?<=[^\x00-\x7f])\s+(?=[\x00-\x7f])|(?<=[\x00-\x7f])\s+(?=[^\x00-\x7f])", "", text
    )


# a leading time phrase is no name of its own: "争取到 2026 年，实现…" is named by what follows
_TIME_CLAUSE = re.compile(r"^(争取|力争|计划)?(到|至|在|于)?\s*\d{4}\s*年(底|末|前)?$")
# nor is a lead-in that only points at a slogan: "聚焦“民生呼应”，集中力量解决…",
# "按照“总体规划、突出重点”的工作思路，实施…"
_LEAD_IN = re.compile(r"^(聚焦|围绕|按照|对标|紧扣|立足|紧盯|瞄准)“[^“”]+”(的[^“”]{0,6})?$")


def short_title_of(row) -> str:
    """A row's short name (a task, a result row): its ``short_title`` when the office wrote
    one, else ``derive_short_title``; quotes inside quotes as ‘’."""
    given = nest_quotes(_one_line(getattr(row, "short_title", "")))
    return given or derive_short_title(
        row.task_title, row.content, own_title=row.label == row.task_no
    )


@lru_cache(maxsize=8192)  # the report day names each task 5–6 times (report, briefs, 看板)
def derive_short_title(task_title: str, content: str, *, own_title: bool = True) -> str:
    """A short name (≤ 20 字 where the text allows) cut only where the text has a boundary.

    The task's own title when it is short (a sub-item never takes its parent's heading:
    8（1） and 8（2） share it); else the content's first clause (after a leading time
    phrase or lead-in); else that clause up to a 、 or a closing quote/bracket; else the
    whole clause (``duban check`` lists those so the office can write one). Never a cut
    inside a word or a quote, never a "……".
    """
    title = tidy_name(_one_line(task_title).rstrip("。"))
    if own_title and title and len(title) <= SHORT_CHARS:
        return nest_quotes(title)
    content = tidy_name(_one_line(content))
    clauses = [c.strip() for c in re.split(r"[，。；：,;:]", content) if c.strip()]
    while len(clauses) > 1 and (_TIME_CLAUSE.match(clauses[0]) or _LEAD_IN.match(clauses[0])):
        clauses = clauses[1:]
    clause = _shortened(nest_quotes(clauses[0] if clauses else content))
    if len(clause) <= SHORT_CHARS:
        return clause
    # the longest head that ends after a list item or a closing quote/bracket; a list cut
    # after one of its items says so ("加快园区周边超市、餐饮等")
    cuts = [i for i, ch in enumerate(clause[:SHORT_CHARS]) if ch == "、"]
    cuts += [i + 1 for i, ch in enumerate(clause[:SHORT_CHARS]) if ch in "”’）》」"]
    cuts = [c for c in cuts if c >= 6 and balanced(clause[:c])]
    if cuts:
        cut = max(cuts)
        return clause[:cut] + ("等" if clause[cut] == "、" else "")
    # no boundary within reach: the next clause of the same sentence, when it says it short
    sentence = re.split(r"[。；;]", content[content.find(clauses[0]) :] if clauses else "")[0]
    for later in [c.strip() for c in re.split(r"[，：,:]", sentence) if c.strip()][1:]:
        named = _shortened(nest_quotes(later))
        if len(named) <= SHORT_CHARS and not _LEAD_IN.match(named):
            return named
    return clause


def _shortened(clause: str) -> str:
    for shorten in _SHORTER:
        if len(clause) <= SHORT_CHARS:
            break
        clause = shorten(clause)
    return clause


# ways a long clause says the same in fewer words, tried in turn while it is too long: a
# list names its first item ("超市、餐饮、宾馆等商业配套" → "超市等商业配套"); "开展上下游
# 整合等多种形式的产业合作" → "开展产业合作"; a leading adverb goes ("集中力量解决…");
# an example before 等 gives way to what it exemplifies ("谋划推进蚌埠港…产业园等重点项目"
# → "谋划推进重点项目")
_ITEM = r"[^、，。；：“”‘’（）《》等]{1,16}"
_LIST = re.compile(rf"({_ITEM})(?:、{_ITEM})+等")
_FORMS = re.compile(
    r"(开展|进行|采取|通过)[^、，。；：“”‘’（）《》]{1,10}等多种(?:形式|方式|渠道)的?"
)
_ADVERB = re.compile(
    r"^(集中力量|进一步|重点|积极|持续|全力|大力|着力|不断|努力|认真|切实|扎实|深入|全面)(?=.{6})"
)
_VERBS = "谋划|推进|推动|加快|统筹|规划|实施|支持|打造|开展|建设|培育|引进|启动|完成|深化|强化|加强"
_EXAMPLE = re.compile(
    rf"^((?:{_VERBS}){{1,3}})[^、，。；：“”‘’（）《》等]{{2,24}}等(?=[^、，。；：“”‘’（）《》]{{2,}}$)"
)
# a place named twice in a pair says it once: "八里沟以西片区与八里沟以东片区" → "八里沟以西与以东片区"
_SIDE = r"(?:以[东西南北]|[东西南北]侧)"
_PAIR = re.compile(
    rf"([\u4e00-\u9fff]{{2,6}}?)({_SIDE})([\u4e00-\u9fff]{{1,4}})(与|和|及)\1({_SIDE})\3"
)


def _same_head(clause: str) -> str:
    """Two list items with one head noun name the first: "实施四中西侧棚户区、棉麻仓库周边
    棚户区征迁项目" → "实施四中西侧棚户区等征迁项目"."""
    i = clause.find("、")
    while i > 0:
        left, right = clause[:i], clause[i + 1 :]
        for n in (4, 3, 2):
            head = left[-n:]
            j = right.find(head)
            if len(head) == n and 0 <= j <= 12 and not re.search(r"[、，。；：“”]", right[:j]):
                return f"{left}等{right[j + n :]}"
        i = clause.find("、", i + 1)
    return clause


_SHORTER = (
    lambda c: _LIST.sub(r"\1等", c),
    _same_head,
    lambda c: _PAIR.sub(r"\1\2\4\5\3", c),
    lambda c: _FORMS.sub(r"\1", c),
    lambda c: _ADVERB.sub("", c),
    lambda c: _EXAMPLE.sub(r"\1", c),
)


def balanced(text: str) -> bool:
    """No quote or bracket left open (a cut inside “…” would strand half a phrase)."""
    pairs = ("“”", "‘’", "（）", "《》", "「」", "()")
    return all(text.count(p[0]) == text.count(p[1]) for p in pairs)


def overlong_short_titles(tasks: Iterable[Task]) -> list[tuple[Task, str]]:
    """(task, derived name) for every task without a short_title whose name is still long."""
    out = []
    for t in tasks:
        if getattr(t, "short_title", ""):
            continue
        name = derive_short_title(t.task_title, t.content, own_title=t.label == t.task_no)
        if len(name) > SHORT_CHARS:
            out.append((t, name))
    return out
