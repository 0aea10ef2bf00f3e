"""Text taken from a PDF: page headers and footers out, lines broken at the page width joined.

``pdftotext`` (or copying from a PDF viewer) gives a page's running header, its footer and
page number between two lines of one paragraph, and breaks every paragraph at the page
width. ``page_lines(text)`` returns the lines with that removed:

- a page ends at a form feed or at a page-number line (``— 3 —``, ``第 3 页 共 9 页``,
  ``3 / 9``); a short line that stands next to two or more page ends, the same but for its
  digits, is a header or footer and goes (said in the notes, with what it was);
- when most lines fill the width and paragraphs are not separated by blank lines, a line
  that fills the width and is followed by one that starts nothing (no number, no label)
  is joined with it, silently: that is how the text was laid out, not a page break.

Text without page ends and not broken at the width (the seed notice) comes back unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from reporting.taskbook.import_numbering import numbered
from reporting.taskbook.import_text import LABEL_RE, PAGE_NO, Line, join_text

_EDGE = 2  # lines next to a page end that may be its header or footer
_FURNITURE = 40  # a header or footer is a short line
_FULL = 3  # a line that fills the width is at most this much narrower than the widest


def page_lines(text: str, where: str = "第 {} 行") -> tuple[list[Line], list[str], list[str]]:
    """(lines, notes, the removed headers/footers) of a text file, numbered for messages."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    raw = re.split(r"[\n\f]", text)
    # a form feed ends the page before the line that follows it
    feeds = {len(re.split(r"[\n\f]", text[: m.start()])) for m in re.finditer("\f", text)}
    lines = [Line(t, where.format(i)) for i, t in enumerate(raw, 1)]
    notes: list[str] = []
    removed: list[str] = []
    drop = _furniture(lines, feeds)
    for key in dict.fromkeys(_key(lines[i].text) for i in sorted(drop)):
        shown = [lines[i].text.strip() for i in sorted(drop) if _key(lines[i].text) == key]
        notes.append(f"已去掉页眉页脚“{shown[0]}”（{len(shown)} 处）")
        removed.append(shown[0])
    lines = [Line("", ln.where) if i in drop else ln for i, ln in enumerate(lines)]
    joined = _join_wrapped(lines)
    if joined is not None:
        lines = joined
        notes.append("文字按页面宽度折行（如从 PDF 复制或导出），已把折行接回段落")
    return lines, notes, removed


def _key(text: str) -> str:
    """A header compared without its page number and spaces."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def _is_break(text: str) -> bool:
    return bool(PAGE_NO.match(text.strip()))


def _furniture(lines: list[Line], feeds: set[int]) -> set[int]:
    """Indexes of the short lines that stand next to two or more page ends, alike but for digits."""
    ends = sorted(
        feeds | {i for i, ln in enumerate(lines) if ln.text.strip() and _is_break(ln.text)}
    )
    groups: list[list[int]] = []  # the ends of one page break (footer, form feed, blank lines)
    for end in ends:
        if groups and all(_is_space(lines[i].text) for i in range(groups[-1][-1], end)):
            groups[-1].append(end)
        else:
            groups.append([end])
    if len(groups) < 2:
        return set()
    near: list[dict[int, str]] = []
    for group in groups:
        found: dict[int, str] = {}
        for i in _edge(lines, group[0], -1) + _edge(lines, group[-1], 1):
            if _may_be_furniture(lines[i].text.strip()):
                found[i] = _key(lines[i].text)
        near.append(found)
    seen = Counter(key for found in near for key in set(found.values()))
    return {i for found in near for i, key in found.items() if seen[key] >= 2}


def _is_space(text: str) -> bool:
    return not text.strip() or _is_break(text)


def _edge(lines: list[Line], end: int, step: int) -> list[int]:
    """The first lines with text before (step -1) or from (step 1) a page end."""
    out: list[int] = []
    i = end - 1 if step < 0 else end
    while 0 <= i < len(lines) and len(out) < _EDGE:
        if not _is_space(lines[i].text):
            out.append(i)
        i += step
    return out


def _may_be_furniture(text: str) -> bool:
    return (
        4 <= len(text) <= _FURNITURE
        and not LABEL_RE.search(text)
        and numbered(text) is None
        and text[-1] not in "。；;，,、"
    )


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _join_wrapped(lines: list[Line]) -> list[Line] | None:
    """The lines with width-broken paragraphs joined; None when the text is not broken so."""
    filled = [ln for ln in lines if ln.text.strip()]
    if len(filled) < 8:
        return None
    widths = [_width(ln.text.strip()) for ln in filled]
    wide = [w for w in widths if w >= 0.8 * max(widths)]
    widest = Counter(wide).most_common(1)[0][0]
    full = [i for i, ln in enumerate(lines) if _width(ln.text.strip()) >= widest - _FULL]
    # a full line goes on in the next one, which starts nothing: broken at the width
    wrapped = [i for i in full if i + 1 < len(lines) and _continues(lines[i + 1].text.strip())]
    if len(wrapped) < 3 or len(wrapped) < 0.5 * len(full):
        return None
    out: list[Line] = []
    open_line = False  # the last line kept filled the width
    for ln in lines:
        text = ln.text.strip()
        if not text or _is_break(text):
            if not text and not open_line:
                out.append(ln)
            continue  # a page end (or its blank lines) inside a paragraph
        if open_line and _continues(text):
            out[-1] = Line(join_text(out[-1].text.rstrip(), text), out[-1].where)
        else:
            out.append(Line(text, ln.where))
        open_line = _width(text) >= widest - _FULL
    return out


def _continues(text: str) -> bool:
    return bool(text) and not LABEL_RE.match(text) and numbered(text) is None
