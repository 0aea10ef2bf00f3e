"""Text units typed, made fit to show: cleaned (``unit_text``), as one run (``one_line``),
cut at a sentence or clause end (``condense``), quotes inside quotes as Chinese typesetting
writes them (``nest_quotes``, ``quoted``). Shared by the report, which repeats unit text in
short, and the 配合反馈 reference cells of the forms."""

from __future__ import annotations

import re
from functools import lru_cache

from reporting.core.fileutil import clean_text

_SENTENCE_ENDS = "。；！？!?;\n"
_CLAUSE_ENDS = "，、：,:"


_BLANKS = re.compile(r"[ \t\u3000]+")


def unit_text(text: str | None) -> str:
    """Text from a unit: no XML-illegal characters, unified newlines, no empty lines."""
    return _unit_text(str(text or ""))


@lru_cache(maxsize=1 << 16)  # the report, its briefs and the 看板 clean the same texts again
def _unit_text(text: str) -> str:
    text = clean_text(text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [_BLANKS.sub(" ", line).strip() for line in text.split("\n")]
    return nest_quotes("\n".join(line for line in lines if line))


# double quotes at even depth, single quotes at odd depth: “…‘…’…”
_OPEN, _CLOSE = "“‘", "”’"


def nest_quotes(text: str) -> str:
    """Quotes inside quotes as Chinese typesetting writes them: “突出项目建设“主抓手””
    → “突出项目建设‘主抓手’”. Only when every quote in ``text`` is opened before it is
    closed and all are closed: a text with stray quotes, or none inside another, is left as
    typed."""
    if text.count("“") + text.count("‘") < 2:
        return text
    depth = deepest = 0
    out = []
    for ch in text:
        if ch in "“‘":
            out.append(_OPEN[depth % 2])
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "”’":
            if depth == 0:
                return text
            depth -= 1
            out.append(_CLOSE[depth % 2])
        else:
            out.append(ch)
    return "".join(out) if depth == 0 and deepest > 1 else text


def quoted(text: str) -> str:
    """``text`` in “”, its own quotes one level in (‘’)."""
    return nest_quotes(f"“{text}”")


def condense(text: str, limit: int) -> str:
    """At most about ``limit`` characters of ``text``, ending at a sentence or clause end.

    Whole sentences while they fit; else the first sentence up to its last clause end
    within the limit (closed with "。"); a first clause longer than the limit is kept
    whole rather than cut inside a word. Never a "……": the reader sees a complete
    statement, the 汇总表 keeps the full text.
    """
    text = unit_text(text)
    if len(text) <= limit:
        return text
    cut = max(text.rfind(ch, 0, limit + 1) for ch in _SENTENCE_ENDS)
    if cut >= limit // 3:
        return _closed(text[: cut + 1].rstrip("\n；;").rstrip())
    clause = max(text.rfind(ch, 0, limit + 1) for ch in _CLAUSE_ENDS)
    if clause >= limit // 3:
        return text[:clause].rstrip() + "。"
    ends = [i for i in (text.find(ch, limit) for ch in _SENTENCE_ENDS + _CLAUSE_ENDS) if i > 0]
    end = min(ends) if ends else len(text)
    return text[:end].rstrip() + "。"


def _closed(text: str) -> str:
    return text if text.endswith(("。", "！", "？", "!", "?")) else text + "。"


def one_line(text: str) -> str:
    """A unit's lines as one run of text: a line that ends a sentence is followed directly,
    any other line break becomes a "；" (never "。；")."""
    out = ""
    for line in unit_text(text).split("\n"):
        if out and not out.endswith(("。", "！", "？", "；", "!", "?", ";")):
            out += "；"
        out += line
    return out
