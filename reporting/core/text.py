"""Text units typed, made fit to show: cleaned (``unit_text``), as one run (``one_line``),
cut at a sentence or clause end (``condense``). Shared by the report, which repeats unit
text in short, and the 配合反馈 reference cells of the forms."""

from __future__ import annotations

import re

from reporting.core.fileutil import clean_text

_SENTENCE_ENDS = "。；！？!?;\n"
_CLAUSE_ENDS = "，、：,:"


def unit_text(text: str | None) -> str:
    """Text from a unit: no XML-illegal characters, unified newlines, no empty lines."""
    text = clean_text(str(text or "")).replace("\r\n", "\n").replace("\r", "\n")
    lines = [re.sub(r"[ \t\u3000]+", " ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


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
