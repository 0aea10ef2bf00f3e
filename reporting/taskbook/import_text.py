"""The text layout of a task breakdown: numbered lines → draft task rows.

A notice reads ``一、<板块>`` / ``8.<任务>`` / ``（1）<分项>`` followed by label lines
(``牵头责任领导：…``). Text comes from a .txt (PDF extracted), .docx paragraphs, or rows
of a task table turned into the same lines (``import_table``), so every layout shares
these rules:

- the preamble before the list is skipped: the list starts at the chapter (or task)
  heading nearest before the first label line;
- a line that starts nothing new continues what came before (a paragraph broken by a
  page break, a wrapped line of PDF text) and the row is flagged for review;
- names and texts stay as written; only numbering markers are read loosely
  (full-width digits and brackets, ``8．`` / ``8、`` / ``(1)`` / ``（1）`` / ``①``).

The 完成时限 and the year are read by ``import_dates``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import cast

from reporting.core.labels import SECTION_NUMERALS

# label → the column it fills; the first spelling of each is the canonical one
LABELS: dict[str, tuple[str, ...]] = {
    "lead_leaders": (
        "牵头责任领导",
        "牵头领导",
        "责任领导",
        "分管领导",
        "牵头区领导",
        "责任区领导",
    ),
    "assist_leaders": ("协助配合领导", "协助领导", "配合领导", "协管领导"),
    "lead_units": ("牵头责任单位", "牵头单位", "责任单位", "牵头部门", "责任部门", "主办单位"),
    "coop_units": ("配合责任单位", "配合单位", "协办单位", "配合部门", "协助单位", "协同单位"),
    "deadline": ("完成时限", "时间节点", "完成时间", "时限要求"),
}
LABEL_CN = {key: names[0] for key, names in LABELS.items()}
_LABEL_OF = {name: key for key, names in LABELS.items() for name in names}
_LABEL_ALT = "|".join(sorted(_LABEL_OF, key=len, reverse=True))
# a label starts a line, or follows punctuation/space/bracket inside one
_LABEL_RE = re.compile(rf"(?:^|(?<=[\s。；;，,（(]))({_LABEL_ALT})\s*[：:]")

# full-width digits and brackets → ASCII, one character for one (positions stay valid)
MARKS = str.maketrans("０１２３４５６７８９（）．：", "0123456789().:")
_CHAPTER = re.compile(r"^([一二三四五六七八九十]{1,3})\s*[、.]\s*(\S.*)$")
_SUBCHAPTER = re.compile(r"^\(([一二三四五六七八九十]{1,3})\)\s*(.*)$")
TASK_RE = re.compile(r"^(\d{1,3})\s*[.、](?!\d)\s*(.*)$")
SUB_RE = re.compile(r"^\((\d{1,2})\)\s*(.*)$")
_CIRCLED = re.compile(r"^([\u2460-\u2473])\s*(.*)$")
_PAGE_NO = re.compile(
    r"^[\s\-—–－_·]*\d{1,4}[\s\-—–－_·]*$|^第\s*\d+\s*页(\s*[，,/／]?\s*共\s*\d+\s*页)?$"
)
_END_MARK = re.compile(
    r"^(抄送|抄报|印发|主题词|公开方式|附件|（此页无正文）|\(此页无正文\))|印发$"
)
_DATE_LINE = re.compile(r"^\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*$")
TERMINAL = "。！？!?；;"
_SENTENCE_END = "。！？!?"
_LONG_LINE = 20  # a page or line break only cuts a line that filled the width


@dataclass
class Line:
    """One paragraph (or line) of the source, with where it came from for messages."""

    text: str
    where: str


@dataclass
class Draft:
    """One task-table row as read, before names are checked."""

    id: str
    section: int
    section_title: str
    task_no: str
    task_title: str
    content: str
    labels: dict[str, str]
    where: str
    notes: list[str] = field(default_factory=list)


@dataclass
class _Sub:
    no: int
    text: str
    where: str
    labels: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Task:
    no: int
    title: str
    where: str
    section: int
    section_title: str
    body: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    subs: list[_Sub] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class ParseResult:
    drafts: list[Draft]
    notes: list[str]  # document-wide findings (ignored paragraphs, numbering gaps)
    sections: int
    tasks: int


def numeral_value(text: str) -> int:
    """一 → 1, 十 → 10, 十二 → 12, 二十一 → 21."""
    if "十" not in text:
        return SECTION_NUMERALS.index(text) + 1
    tens, _, ones = text.partition("十")
    value = (SECTION_NUMERALS.index(tens) + 1 if tens else 1) * 10
    return value + (SECTION_NUMERALS.index(ones) + 1 if ones else 0)


def split_labels(text: str) -> tuple[str, list[tuple[str, str]]]:
    """'…达效。（牵头单位：区发改委；配合单位：区财政局）' → ('…达效。', [(lead_units, …), …])."""
    matches = list(_LABEL_RE.finditer(text))
    if not matches:
        return text, []
    head = text[: matches[0].start()].rstrip()
    bracketed = head.endswith(("（", "("))
    head = head.rstrip("（( \u3000")
    pairs = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        value = text[m.end() : end].strip(" \u3000\t")
        if bracketed and i == len(matches) - 1:
            value = re.sub(r"[）)]\s*[。.]?$", "", value)
        value = value.rstrip("；;，, \u3000（(")
        pairs.append((_LABEL_OF[m.group(1)], value.strip()))
    return head, pairs


def join_text(a: str, b: str) -> str:
    """Glue two pieces of one broken paragraph: no space in Chinese, one between Latin words."""
    if a and b and a[-1].isascii() and a[-1].isalnum() and b[0].isascii() and b[0].isalnum():
        return f"{a} {b}"
    return a + b


def strip_final(text: str) -> str:
    """A heading without its final full stop: '突出项目建设“主抓手”。' → '突出项目建设“主抓手”'."""
    return text.rstrip().rstrip("。.．").rstrip()


class _Parser:
    def __init__(self, lines: list[Line]):
        self.lines = lines
        self.notes: list[str] = []
        self.tasks: list[_Task] = []
        self.section = 0
        self.section_title = ""
        self.section_count = 0
        self.task: _Task | None = None
        self.sub: _Sub | None = None
        self.last = ""  # what a continuation line continues: chapter/title/body/sub/label
        self.last_label: tuple[dict[str, str], str] | None = None
        self.offset = 0  # added to task numbers when each chapter starts again at 1

    # -- classification --------------------------------------------------------
    @staticmethod
    def kind(text: str) -> tuple[str, re.Match | None]:
        marks = text.translate(MARKS)
        if _LABEL_RE.match(text):
            return "label", None
        for name, rx in (
            ("chapter", _CHAPTER),
            ("subchapter", _SUBCHAPTER),
            ("task", TASK_RE),
            ("sub", SUB_RE),
        ):
            m = rx.match(marks)
            if m:
                return name, m
        m = _CIRCLED.match(text)
        if m:
            return "sub", m
        return "text", None

    def start_index(self) -> int | None:
        """Index of the line where the task list starts (None: no label line at all)."""
        first_label = next(
            (i for i, ln in enumerate(self.lines) if _LABEL_RE.search(ln.text)), None
        )
        if first_label is None:
            return None
        kinds = [self.kind(ln.text)[0] for ln in self.lines[: first_label + 1]]
        for wanted in ("chapter", "task", "sub"):
            for i in range(first_label, -1, -1):
                if kinds[i] == wanted:
                    # a chapter counts only when a task follows it before the label
                    if wanted == "chapter" and "task" not in kinds[i:] and "sub" not in kinds[i:]:
                        break
                    return i
        return first_label

    # -- the state machine -------------------------------------------------------
    def run(self) -> ParseResult | None:
        start = self.start_index()
        if start is None:
            return None
        for line in self.lines[start:]:
            text = line.text.strip(" \u3000\t\xa0")
            if not text or _PAGE_NO.match(text):
                continue
            if self.last == "label" and (_END_MARK.search(text) or _DATE_LINE.match(text)):
                break  # 抄送/印发/附件 or a signature date after the last item
            self.feed(text, line.where)
        self.close_task()
        orphans = [t for t in self.tasks if not t.section]
        if orphans:
            self.notes.append(
                f"{len(orphans)} 项任务前面没有板块标题（一、二、……），已记为第 1 板块，请核对 section 列"
            )
        drafts = [d for t in self.tasks for d in self.emit(t)]
        return ParseResult(drafts, self.notes, self.section_count, len(self.tasks))

    def feed(self, text: str, where: str) -> None:
        kind, found = self.kind(text)
        m = cast("re.Match[str]", found)  # a match for every kind but "label" and "text"
        if kind == "chapter":
            self.close_task()
            self.section = numeral_value(m.group(1))
            self.section_title = m.group(2).strip()
            self.section_count += 1
            self.last = "chapter"
        elif kind == "subchapter":
            self.notes.append(f"{where}的小标题“{text[:30]}”不是任务，已忽略")
        elif kind == "task" and (no := self.task_number(int(m.group(1)), where)):
            self.close_task()
            self.task = _Task(no, "", where, self.section, self.section_title)
            rest = text[m.start(2) :].strip()
            rest, pairs = split_labels(rest)
            if self.kind(rest)[0] == "sub":
                self.feed(rest, where)  # 7.（1）城镇居民收入…
            else:
                self.task.title = rest
                self.last = "title"
            self.add_labels(pairs, where)
        elif kind == "sub" and self.task is not None:
            no = int(m.group(1)) if m.group(1).isdigit() else ord(m.group(1)) - 0x2460 + 1
            if any(s.no == no for s in self.task.subs):
                new = max(s.no for s in self.task.subs) + 1
                self.task.notes.append(f"分项编号（{no}）重复，第二个按（{new}）导入")
                no = new
            rest, pairs = split_labels(text[m.start(2) :].strip())
            self.sub = _Sub(no, rest, where)
            self.task.subs.append(self.sub)
            self.last = "sub"
            self.add_labels(pairs, where)
        elif kind == "label":
            _, pairs = split_labels(text)
            self.add_labels(pairs, where)
        else:
            self.continue_with(text, where)

    def task_number(self, no: int, where: str) -> int | None:
        """The task number a numbered line starts, or None when it is text ('1. …' inside an item).

        Numbers go up through the list; a list that starts again at 1 in each chapter is
        numbered on (ids must be unique in tasks.csv) and said once in the notes.
        """
        previous = (
            self.task.no if self.task is not None else (self.tasks[-1].no if self.tasks else 0)
        )
        if no == 1 and previous and self.last == "chapter":
            if not self.offset:
                self.notes.append(
                    "任务编号在每个板块都从 1 开始，已按顺序连续编号（如第二板块的 1. 记为接续的编号），请核对"
                )
            self.offset = previous
        no += self.offset
        if no <= previous:
            return None
        if no != previous + 1:
            self.notes.append(f"{where}：任务编号从 {previous} 跳到 {no}，请核对是否漏了任务")
        return no

    def add_labels(self, pairs: list[tuple[str, str]], where: str) -> None:
        if not pairs:
            return
        if self.task is None:
            self.notes.append(f"{where}的“{LABEL_CN[pairs[0][0]]}”前没有任务，已忽略")
            return
        target = self.sub if self.sub is not None else self.task
        for key, value in pairs:
            old = target.labels.get(key, "")
            if old and value:
                target.notes.append(f"“{LABEL_CN[key]}”写了两次，已合并")
                value = f"{old}、{value}"
            target.labels[key] = value or old
            self.last_label = (target.labels, key)
        self.last = "label"

    def continue_with(self, text: str, where: str) -> None:
        """A line that starts nothing: the rest of the previous paragraph, or a task's own text."""
        task = self.task
        if task is None:
            if self.last == "chapter" and self.section_title[-1:] not in TERMINAL:
                self.section_title = join_text(self.section_title, text)
            else:
                self.notes.append(f"{where}的段落“{text[:30]}”不属于任何任务，已忽略")
            return
        text, pairs = split_labels(text)
        if self.last == "title":
            title = task.title
            if title and title[-1] not in TERMINAL and len(title) >= _LONG_LINE:
                task.title = join_text(title, text)
                task.notes.append("标题由断开的两段拼接（疑似分页），请核对")
            else:
                task.body.append(text)
                self.last = "body"
        elif self.last == "body":
            task.body[-1] = join_text(task.body[-1], text)
            task.notes.append("内容由断开的段落拼接（疑似分页），请核对")
        elif self.last == "sub" and self.sub is not None:
            self.sub.text = join_text(self.sub.text, text)
            self.sub.notes.append("内容由断开的段落拼接（疑似分页），请核对")
        elif self.last == "label" and self.last_label and _looks_like_names(text):
            labels, key = self.last_label
            labels[key] = join_text(labels[key], text)
            (self.sub or task).notes.append(f"“{LABEL_CN[key]}”由断开的两行拼接，请核对")
        elif text:
            self.notes.append(f"{where}的段落“{text[:30]}”无法归入任务 {task.no}，已忽略，请核对")
        self.add_labels(pairs, where)

    def close_task(self) -> None:
        if self.task is not None:
            self.tasks.append(self.task)
        self.task = None
        self.sub = None
        self.last_label = None

    # -- rows ----------------------------------------------------------------------
    def emit(self, t: _Task) -> list[Draft]:
        section = t.section or 1
        notes = list(t.notes)
        if t.subs:
            if t.body:
                notes.append(f"标题下的段落“{t.body[0][:20]}…”不属于任何分项，未导入，请核对")
            title = strip_final(t.title)
            return [
                Draft(
                    id=f"{t.no}.{s.no}",
                    section=section,
                    section_title=strip_final(t.section_title),
                    task_no=str(t.no),
                    task_title=title,
                    content=s.text,
                    labels={**t.labels, **{k: v for k, v in s.labels.items() if v}},
                    where=s.where,
                    notes=notes + s.notes,
                )
                for s in sorted(t.subs, key=lambda s: s.no)
            ]
        content = "".join(t.body) if t.body else t.title
        return [
            Draft(
                id=str(t.no),
                section=section,
                section_title=strip_final(t.section_title),
                task_no=str(t.no),
                task_title=strip_final(t.title),
                content=content,
                labels=dict(t.labels),
                where=t.where,
                notes=notes,
            )
        ]


def _looks_like_names(text: str) -> bool:
    """A label value broken by a page break is a list of names, not a sentence or a numbered line."""
    inner = text.rstrip(_SENTENCE_END)
    numbered = TASK_RE.match(text.translate(MARKS))
    return len(text) <= 200 and not numbered and not any(ch in inner for ch in _SENTENCE_END)


def parse_lines(lines: list[Line]) -> ParseResult | None:
    """Draft rows from the lines of a breakdown; None when no label line exists at all."""
    return _Parser(lines).run()


def text_lines(text: str, where: str = "第 {} 行") -> list[Line]:
    """Split text into lines (form feeds and CR as breaks), numbered for messages."""
    text = (
        text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").replace("\u2028", "\n")
    )
    return [Line(t, where.format(i)) for i, t in enumerate(text.split("\n"), 1)]
