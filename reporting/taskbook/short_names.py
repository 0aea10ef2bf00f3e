"""Short task names for tables and lists: tasks.csv's optional ``short_title`` column, else
a name derived from the task's text, cut only where the text has a boundary.

``import-tasks`` proposes them, ``duban check`` lists the ones still too long, and the
report, the briefs and the annex print them (``reporting.report.wording.short_title``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from reporting.core.fileutil import clean_text

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


def derive_short_title(task_title: str, content: str, *, own_title: bool = True) -> str:
    """A short name (≤ 20 字 where the text allows) cut only where the text has a boundary.

    The task's own title when it is short; else the content's first clause; else that
    clause up to a 、 or a closing quote/bracket; else the task title of a sub-row; else the
    whole first clause (``duban check`` lists those so the office can write one). Never a
    cut inside a word, never a "……".
    """
    title = tidy_name(_one_line(task_title).rstrip("。"))
    if own_title and title and len(title) <= SHORT_CHARS:
        return title
    content = tidy_name(_one_line(content))
    clauses = [c.strip() for c in re.split(r"[，。；：,;:]", content) if c.strip()]
    if len(clauses) > 1 and _TIME_CLAUSE.match(clauses[0]):
        clauses = clauses[1:]
    clause = clauses[0] if clauses else content
    if len(clause) <= SHORT_CHARS:
        return clause
    # the longest head that ends after a list item or a closing quote/bracket; a list cut
    # after one of its items says so ("加快园区周边超市、餐饮等")
    cuts = [i for i, ch in enumerate(clause[:SHORT_CHARS]) if ch == "、"]
    cuts += [i + 1 for i, ch in enumerate(clause[:SHORT_CHARS]) if ch in "”）》」"]
    cuts = [c for c in cuts if c >= 6 and _balanced(clause[:c])]
    if cuts:
        cut = max(cuts)
        return clause[:cut] + ("等" if clause[cut] == "、" else "")
    if title and len(title) <= SHORT_CHARS:
        return title
    return clause


def _balanced(text: str) -> bool:
    """No quote or bracket left open (a cut inside “…” would strand half a phrase)."""
    return all(text.count(a) == text.count(b) for a, b in ("“”", "（）", "《》", "「」", "()"))


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
