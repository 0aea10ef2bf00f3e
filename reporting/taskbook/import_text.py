"""The text layout of a task breakdown: numbered lines → draft task rows.

A notice reads ``一、<板块>`` / ``8.<任务>`` / ``（1）<分项>`` followed by label lines
(``牵头责任领导：…``), or numbers its tasks ``（一）``, ``（1）`` or ``一是`` (which kind is
the task is read from the document: ``import_numbering``). Text comes from a .txt (PDF
extracted, cleaned by ``import_pages``), .docx paragraphs, or rows of a task table turned
into the same lines (``import_table``), so every layout shares these rules:

- the preamble before the list is skipped: the list starts at the chapter (or task)
  heading nearest before the first label line;
- a line that starts nothing new continues what came before (a paragraph broken by a
  page break, a wrapped line of PDF text) and the row is flagged for review;
- a paragraph listing ``一是…；二是…`` gives one item each; labels inside an item are its
  own, labels after the paragraph belong to all of them;
- 注：/说明： lines are read for conventions, not as tasks; the list ends at 抄送/印发/附件
  or the signature, and labels after that end are reported, not dropped;
- names and texts stay as written; only numbering markers are read loosely
  (full-width digits and brackets, ``8．`` / ``8、`` / ``(1)`` / ``（1）`` / ``1)`` / ``①``).

Who of the listed units leads is decided later (``import_roles``); the 完成时限 and the
year are read by ``import_dates``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from reporting.taskbook.import_numbering import (
    MARKS,
    TASK_RE,
    Scheme,
    detect_scheme,
    item_marks,
    numbered,
)

# label → the field it fills; the first spelling of each is the canonical one. ``leaders``
# and ``units`` name people or units without saying who leads (责任单位): ``import_roles``
LABELS: dict[str, tuple[str, ...]] = {
    "lead_leaders": ("牵头责任领导", "牵头领导", "牵头区领导"),
    "leaders": ("责任领导", "分管领导", "责任区领导", "联系领导"),
    "assist_leaders": ("协助配合领导", "协助领导", "配合领导", "协管领导"),
    "lead_units": (
        "牵头责任单位",
        "牵头单位",
        "牵头部门",
        "主责单位",
        "主责部门",
        "主办单位",
        "主要责任单位",
    ),
    "units": ("责任单位", "责任部门", "承办单位", "实施单位", "落实单位"),
    "coop_units": (
        "配合责任单位",
        "配合单位",
        "协办单位",
        "配合部门",
        "协助单位",
        "协同单位",
        "参与单位",
    ),
    "person": ("责任人",),
    "deadline": ("完成时限", "时间节点", "完成时间", "时限要求", "完成期限"),
}
LABEL_CN = {key: names[0] for key, names in LABELS.items()}
_LABEL_OF = {name: key for key, names in LABELS.items() for name in names}
_LABEL_ALT = "|".join(sorted(_LABEL_OF, key=len, reverse=True))
# a label starts a line, or follows punctuation/space/bracket inside one: 责任单位： / 【责任单位】
LABEL_RE = re.compile(
    rf"(?:^|(?<=[\s。；;，,（(]))(?:[【\[]({_LABEL_ALT})[】\]]\s*[：:]?|({_LABEL_ALT})\s*[：:])"
)
PAGE_NO = re.compile(
    r"^[\s\-—–－_·]*\d{1,4}[\s\-—–－_·]*$|^第\s*\d+\s*页(\s*[，,/／]?\s*共\s*\d+\s*页)?$"
    r"|^\d{1,4}\s*[/／]\s*\d{1,4}$|^共\s*\d+\s*页\s*[，,]?\s*第\s*\d+\s*页$"
)
_END_MARK = re.compile(
    r"^(抄送|抄报|印发|主题词|公开方式|附件|（此页无正文）|\(此页无正文\))|印发$"
)
_DATE_LINE = re.compile(r"^\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*$")
NOTE_LINE = re.compile(r"^[（(]?\s*(?:注|说明|备注)\s*\d*\s*[：:]")
TERMINAL = "。！？!?；;"
_SENTENCE_END = "。！？!?"
_ITEM_END = "；;，,、 \u3000"
_LONG_LINE = 20  # a page or line break only cuts a line that filled the width
_SIGNATURE = 30  # a signature line (the office's name) above the date is shorter


@dataclass
class Line:
    """One paragraph (or line) of the source, with where it came from for messages."""

    text: str
    where: str
    item: bool = False  # one of the 一是/二是 items of a paragraph


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
    kind: str = ""
    item: bool = False
    labels: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Task:
    no: int
    title: str
    where: str
    section: int
    section_title: str
    kind: str = ""
    item: bool = False
    body: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    subs: list[_Sub] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def subs_of(self, kind: str) -> bool:
        """A task's items are numbered one way: another numbering inside one is its text."""
        return not self.subs or self.subs[0].kind == kind


@dataclass
class ParseResult:
    drafts: list[Draft]
    notes: list[str]  # document-wide findings (ignored paragraphs, numbering gaps)
    sections: int
    tasks: int


def _label_key(m: re.Match[str]) -> str:
    return _LABEL_OF[m.group(1) or m.group(2)]


def split_labels(text: str) -> tuple[str, list[tuple[str, str]]]:
    """'…达效。（牵头单位：区发改委；配合单位：区财政局）' → ('…达效。', [(lead_units, …), …])."""
    matches = list(LABEL_RE.finditer(text))
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
            value = re.sub(r"[）)]\s*[。.；;，,]?$", "", value)
        value = value.rstrip("；;，, \u3000（(")
        pairs.append((_label_key(m), value.strip()))
    return head, pairs


def split_items(line: Line) -> list[Line]:
    """A paragraph listing 一是…；二是… → its head and one line per item.

    Labels at the end of the last item, when no item has its own, are the paragraph's:
    they become a line of their own so that they belong to every item.
    """
    marks = item_marks(line.text)
    if not marks:
        return [line]
    text = line.text
    head = text[: marks[0].start()].rstrip(" \u3000，,：:；;")
    bounds = [m.start() for m in marks] + [len(text)]
    items = [text[a:b].strip() for a, b in zip(bounds, bounds[1:], strict=False)]
    tail = ""
    if not any(LABEL_RE.search(t) for t in items[:-1]) and (m := LABEL_RE.search(items[-1])):
        cut = m.start()
        before = items[-1][:cut].rstrip()
        if before.endswith(("（", "(")):
            cut = len(before) - 1
        items[-1], tail = items[-1][:cut], items[-1][cut:].strip("（()）。；; ")
    out = [Line(head, line.where)] if head else []
    out += [Line(t, line.where, item=True) for t in items]
    return out + ([Line(tail, line.where)] if tail else [])


def join_text(a: str, b: str) -> str:
    """Glue two pieces of one broken paragraph: no space in Chinese, one between Latin words."""
    if a and b and a[-1].isascii() and a[-1].isalnum() and b[0].isascii() and b[0].isalnum():
        return f"{a} {b}"
    return a + b


def strip_final(text: str) -> str:
    """A heading without its final stop or colon: '突出项目建设“主抓手”。' → '突出项目建设“主抓手”'."""
    return text.rstrip().rstrip("。.．：:").rstrip()


def _item_text(text: str) -> str:
    """An item cut out of a list ends in a full stop: '新改建农村公路25公里；' → '…公里。'."""
    text = text.rstrip(_ITEM_END)
    return text if not text or text[-1] in _SENTENCE_END else text + "。"


class _Parser:
    def __init__(self, lines: list[Line]):
        self.lines = [part for ln in lines for part in split_items(ln)]
        self.scheme = Scheme()
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
        self.split = 0  # tasks whose paragraph listed 一是、二是…

    # -- classification --------------------------------------------------------
    def kind(self, text: str) -> tuple[str, str, int, int]:
        """(role, numbering kind, number, where the rest starts) of a line."""
        if LABEL_RE.match(text):
            return "label", "", 0, 0
        found = numbered(text)
        if found is None:
            return "text", "", 0, 0
        return self.scheme.role(found.kind), found.kind, found.number, found.rest

    def start_index(self) -> int | None:
        """Index of the line where the task list starts (None: no label line at all).

        The nearest 一、 (or else （一）) heading before the first label that has a lower
        numbered line under it; else the nearest numbered line.
        """
        labelled = [i for i, ln in enumerate(self.lines) if LABEL_RE.search(ln.text)]
        if not labelled:
            return None
        kinds = [
            "label" if LABEL_RE.match(ln.text) else getattr(numbered(ln.text), "kind", "")
            for ln in self.lines[: labelled[-1] + 1]
        ]
        items = {"dot", "cnparen", "paren", "circled", "shi"}
        # a label before any numbered line (a stray) does not start the list
        first_label = next((i for i in labelled if items & set(kinds[: i + 1])), labelled[0])
        for wanted in ("chapter", "cnparen"):
            for i in range(first_label, -1, -1):
                if kinds[i] == wanted:
                    if (items - {wanted}) & set(kinds[i + 1 : first_label + 1]):
                        return i
                    break
        for wanted in ("dot", "cnparen", "paren", "circled", "shi"):
            for i in range(first_label, -1, -1):
                if kinds[i] == wanted:
                    return i
        return first_label

    # -- the state machine -------------------------------------------------------
    def run(self) -> ParseResult | None:
        start = self.start_index()
        if start is None:
            return None
        rest = self.lines[start:]
        texts = [ln.text.strip(" \u3000\t\xa0") for ln in rest]
        self.scheme = detect_scheme(texts, LABEL_RE)
        for i, (line, text) in enumerate(zip(rest, texts, strict=True)):
            if not text or PAGE_NO.match(text):
                continue
            if self.last == "label" and self.at_end(text, texts[i + 1 :]):
                self.after_end(rest[i:])
                break
            self.feed(text, line.where, line.item)
        self.close_task()
        orphans = [t for t in self.tasks if not t.section]
        if orphans:
            self.notes.append(
                f"{len(orphans)} 项任务前面没有板块标题（一、二、……），已记为第 1 板块，请核对 section 列"
            )
        if self.split:
            self.notes.append(
                f"{self.split} 项任务按“一是、二是……”拆分为分项，每项一行；"
                "写在段落后面的分工用于其中每一项，请核对"
            )
        drafts = [d for t in self.tasks for d in self.emit(t)]
        return ParseResult(drafts, self.notes, self.section_count, len(self.tasks))

    @staticmethod
    def at_end(text: str, following: list[str]) -> bool:
        """抄送/印发/附件, the signature date, or the office's name just above that date."""
        if _END_MARK.search(text) or _DATE_LINE.match(text):
            return True
        after = next((t for t in following if t), "")
        return (
            len(text) <= _SIGNATURE
            and bool(_DATE_LINE.match(after))
            and not LABEL_RE.search(text)
            and numbered(text) is None
        )

    def after_end(self, lines: list[Line]) -> None:
        """Labels after the end of the list are said, not dropped."""
        left = [ln for ln in lines if LABEL_RE.search(ln.text)]
        if left:
            self.notes.append(
                f"{lines[0].where}“{lines[0].text.strip()[:20]}”之后还有 {len(left)} 行分工"
                f"（如{left[0].where}“{left[0].text.strip()[:20]}”），没有导入，请核对"
            )

    def feed(self, text: str, where: str, item: bool = False) -> None:
        role, kind, number, at = self.kind(text)
        if NOTE_LINE.match(text) and role in ("text", "label"):
            # 注：列第一位的为牵头单位 is read by import_roles; no note is a task
            self.notes.append(f"{where}的注释“{text[:30]}”不是任务，未导入")
            return
        if role == "section":
            self.close_task()
            self.section = number
            self.section_title = text[at:].strip()
            self.section_count += 1
            self.last = "chapter"
        elif role == "subchapter":
            self.close_task()
            self.notes.append(f"{where}的小标题“{text[:30]}”不是任务，已忽略")
            self.last = "subchapter"
        elif role == "task" and (no := self.task_number(number, where)):
            self.close_task()
            self.task = _Task(no, "", where, self.section, self.section_title, kind, item)
            rest, pairs = split_labels(text[at:].strip())
            if self.kind(rest)[0] == "sub":
                self.feed(rest, where, item)  # 7.（1）城镇居民收入…
            else:
                self.task.title = rest
                self.last = "title"
            self.add_labels(pairs, where, self.sub or self.task)
        elif role == "sub" and self.task is not None and self.task.subs_of(kind):
            if any(s.no == number for s in self.task.subs):
                new = max(s.no for s in self.task.subs) + 1
                self.task.notes.append(f"分项编号（{number}）重复，第二个按（{new}）导入")
                number = new
            rest, pairs = split_labels(text[at:].strip())
            self.sub = _Sub(number, rest, where, kind, item)
            self.task.subs.append(self.sub)
            if item and len(self.task.subs) == 2:
                self.split += 1
            self.last = "sub"
            self.add_labels(pairs, where, self.sub)
        elif role == "label" and self.task is None:
            self.notes.append(f"{where}的“{text[:30]}”前面没有任务，已忽略")
        elif role == "label":
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
        if no == 1 and previous and self.last in ("chapter", "subchapter"):
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

    def add_labels(
        self, pairs: list[tuple[str, str]], where: str, target: _Task | _Sub | None = None
    ) -> None:
        """Labels on a line of their own belong to the item above, or to its whole list."""
        if not pairs:
            return
        if self.task is None:
            self.notes.append(f"{where}的“{LABEL_CN[pairs[0][0]]}”前没有任务，已忽略")
            return
        group: list[_Task] = []
        if target is None:
            target = self.sub if self.sub is not None and not self.sub.item else self.task
            if target is self.task and self.task.item:
                group = [t for t in self.tasks if t.item and t.where == self.task.where]
        for key, value in pairs:
            for t in group:
                if t is not target and not t.labels.get(key):
                    t.labels[key] = value  # 一是…；二是…。责任单位：… names both tasks
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
        if pairs and not text.strip():  # （责任单位：…；完成时限：…） on a line of its own
            self.add_labels(pairs, where)
            return
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
        elif (
            self.last == "label" and self.last_label and _looks_like_names(text, self.last_label[1])
        ):
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
            _labels_after_last(t)
            title = strip_final(t.title)
            return [
                Draft(
                    id=f"{t.no}.{s.no}",
                    section=section,
                    section_title=strip_final(t.section_title),
                    task_no=str(t.no),
                    task_title=title,
                    content=_item_text(s.text) if s.kind == "shi" else s.text,
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
                task_title=strip_final(t.title.rstrip(_ITEM_END) if t.kind == "shi" else t.title),
                content=_item_text(content) if t.kind == "shi" else content,
                labels=dict(t.labels),
                where=t.where,
                notes=notes,
            )
        ]


def _labels_after_last(t: _Task) -> None:
    """Items of which only the last has labels: the labels were written for all of them."""
    if len(t.subs) < 2 or any(s.labels for s in t.subs[:-1]) or not t.subs[-1].labels:
        return
    for s in t.subs[:-1]:
        s.labels = dict(t.subs[-1].labels)
        s.notes.append(f"分工写在最后一个分项之后，已用于本任务的全部 {len(t.subs)} 个分项，请核对")


# what the names of units end with (a name cut by a page break starts the next line)
_UNIT_END = re.compile(
    r"(局|委|办|室|中心|镇|乡|街道|办事处|公司|集团|单位|部门|政府|院|所|站|队|会|社|馆|处|部|行|厂|区|组|园|校|司|科|台|分局)$"
)


def _looks_like_names(text: str, key: str = "") -> bool:
    """A label value broken by a page break goes on with names, not a sentence or a numbered line."""
    inner = text.rstrip(_SENTENCE_END)
    task_like = TASK_RE.match(text.translate(MARKS))
    if len(text) > 200 or task_like or any(ch in inner for ch in _SENTENCE_END):
        return False
    parts = [p.strip() for p in re.split(r"[、，,；;]", inner) if p.strip()]
    if key == "deadline":
        return len(inner) <= 20
    short = 5 if "leaders" in key or key == "person" else 15
    # the first part may be the tail of a cut name (心、长青乡); the others are whole names
    return (
        bool(parts)
        and all(
            len(p) <= short and (i == 0 or short == 5 or _UNIT_END.search(p) or len(p) <= 6)
            for i, p in enumerate(parts)
        )
        and (len(parts) > 1 or short == 5 or bool(_UNIT_END.search(parts[0])) or len(parts[0]) <= 4)
    )


def parse_lines(lines: list[Line]) -> ParseResult | None:
    """Draft rows from the lines of a breakdown; None when no label line exists at all."""
    return _Parser(lines).run()
