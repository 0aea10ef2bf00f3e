"""Numbering schemes of a task breakdown, and which of them marks a task in a document.

A 公文 numbers its headings ``一、`` > ``（一）`` > ``1.`` > ``（1）`` > ``①``, and lists
items inside a paragraph as ``一是…二是…``. A breakdown uses some of them: 禹会区 writes
``一、`` sections, ``8.`` tasks and ``（1）`` items; others number tasks ``（一）`` under
``一、``, or ``（1）``, or only ``一是``. ``detect_scheme`` reads the document's own list
and says which kind is the section, which the task and which the item; every other
numbered line is text. Brackets and digits are read full- or half-width.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from reporting.core.labels import SECTION_NUMERALS

# full-width digits and brackets → ASCII, one character for one (positions stay valid)
MARKS = str.maketrans("０１２３４５６７８９（）．：", "0123456789().:")
_CN = "一二三四五六七八九十"
TASK_RE = re.compile(r"^(\d{1,3})\s*[.、](?!\d)\s*(.*)$")
SUB_RE = re.compile(r"^\((\d{1,2})\)\s*(.*)$")
# kind → pattern on the text with MARKS applied; group 1 the number, group 2 the rest
KINDS: dict[str, re.Pattern[str]] = {
    "chapter": re.compile(rf"^([{_CN}]{{1,3}})\s*[、.]\s*(\S.*)$"),
    "cnparen": re.compile(rf"^\(([{_CN}]{{1,3}})\)\s*(.*)$"),
    "dot": TASK_RE,
    "paren": re.compile(r"^\(?(\d{1,2})\)\s*(.*)$"),
    "circled": re.compile(r"^([\u2460-\u2473])\s*(.*)$"),
    "shi": re.compile(rf"^([{_CN}]{{1,3}})是\s*(\S.*)$"),
}
# outermost first: a kind below the task kind numbers its items
RANK = {kind: i for i, kind in enumerate(KINDS)}
WRITTEN = {
    "chapter": "一、",
    "cnparen": "（一）",
    "dot": "1.",
    "paren": "（1）",
    "circled": "①",
    "shi": "一是",
}
# an item 一是/二是 inside a paragraph: at its start or after punctuation
_SHI_MARK = re.compile(rf"(?:^|(?<=[\s。；;，,：:、）)]))([{_CN}]{{1,2}})是")


@dataclass(frozen=True)
class Numbered:
    kind: str
    number: int
    rest: int  # where the text after the number starts


@dataclass(frozen=True)
class Scheme:
    """What each kind of numbered line is in one document."""

    section: str | None = "chapter"
    task: str = "dot"
    present: frozenset[str] = frozenset({"chapter", "dot", "paren", "circled"})

    def role(self, kind: str) -> str:
        """section / subchapter / task / sub / text."""
        if kind == "chapter" or kind == self.section:
            return "section"
        if kind == self.task:
            return "task"
        if kind == "cnparen":
            return "subchapter"
        # （1） and ① below a task are its items even alone; a lone 1. or 一是 is text
        if RANK[kind] > RANK[self.task] and (kind in ("paren", "circled") or kind in self.present):
            return "sub"
        return "text"


def numeral_value(text: str) -> int:
    """一 → 1, 十 → 10, 十二 → 12, 二十一 → 21."""
    if "十" not in text:
        return SECTION_NUMERALS.index(text) + 1
    tens, _, ones = text.partition("十")
    value = (SECTION_NUMERALS.index(tens) + 1 if tens else 1) * 10
    return value + (SECTION_NUMERALS.index(ones) + 1 if ones else 0)


def numbered(text: str) -> Numbered | None:
    """The numbering a line starts with: '（一）加快…' → Numbered('cnparen', 1, 3)."""
    marks = text.translate(MARKS)
    for kind, rx in KINDS.items():
        m = rx.match(marks)
        if m:
            raw = m.group(1)
            if kind == "circled":
                number = ord(raw) - 0x2460 + 1
            elif raw.isdigit():
                number = int(raw)
            else:
                number = numeral_value(raw)
            return Numbered(kind, number, m.start(2))
    return None


def detect_scheme(texts: list[str], label: re.Pattern[str]) -> Scheme:
    """The document's scheme from its list (the lines from where it starts).

    A kind is present when two lines use it or when a label follows one of it. Tasks are
    ``1.`` when present (``（一）`` above them is a sub-heading, or the section when there
    is no ``一、``), else ``（一）``, else ``（1）``, else ``一是``, else ``①``.
    """
    counts: Counter[str] = Counter()
    owners: Counter[str] = Counter()
    last = ""
    for text in texts:
        found = None if label.match(text) else numbered(text)
        if found is not None and found.kind != "chapter":
            counts[found.kind] += 1
            last = found.kind
        if last and label.search(text):
            owners[last] += 1
    present = {k for k in KINDS if counts[k] >= 2 or owners[k]}
    task = next((k for k in ("dot", "cnparen", "paren", "shi", "circled") if k in present), "dot")
    section: str | None = "chapter"
    if task == "dot" and "cnparen" in present and not any(map(is_chapter, texts)):
        section = "cnparen"
    return Scheme(section, task, frozenset(present | {"chapter"}))


def is_chapter(text: str) -> bool:
    return bool(KINDS["chapter"].match(text.translate(MARKS)))


def item_marks(text: str) -> list[re.Match[str]]:
    """The 一是、二是… marks of a paragraph, when it lists two or more in order; else []."""
    chain: list[re.Match[str]] = []
    for m in _SHI_MARK.finditer(text):
        value = numeral_value(m.group(1))
        if value == len(chain) + 1:
            chain.append(m)
        elif value == 1 and len(chain) < 2:
            chain = [m]
    return chain if len(chain) >= 2 else []


def numeral(n: int) -> str:
    """1 → 一, 12 → 十二, 21 → 二十一."""
    if n <= 10:
        return SECTION_NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return (
        (SECTION_NUMERALS[tens - 1] if tens > 1 else "")
        + "十"
        + (SECTION_NUMERALS[ones - 1] if ones else "")
    )
