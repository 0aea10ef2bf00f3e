"""The table layout of a task breakdown (任务分解表, in .docx or .xlsx) and the .docx reader.

A table has a header row with columns such as 序号 / 工作任务（重点任务） /
责任领导（牵头领导） / 牵头单位（责任单位） / 配合单位（协办单位） / 完成时限. Each row
becomes the same lines a notice would have (``8.…``, ``（1）…``, ``牵头责任单位：…``) so
``import_text`` applies one set of rules to every layout. Chapter rows (``一、…`` across
the table), vertically merged 序号 cells and sub-item numbers like ``8.1`` / ``8-1`` /
``（1）`` are understood.

The .docx is read from its XML through defusedxml (paragraphs in body order, tracked
insertions kept and deletions dropped, Word's automatic list numbers rebuilt, merged
table cells filled), after the zip was checked against the size limits.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from reporting.taskbook.import_numbering import MARKS, SUB_RE, TASK_RE, numeral, numeral_value
from reporting.taskbook.import_text import LABEL_CN, NOTE_LINE, TERMINAL, Line

_CHAPTER_ROW = re.compile(r"^[一二三四五六七八九十]{1,3}\s*[、.]")
_ID_TASK_SUB = re.compile(r"^(\d{1,3})\s*(?:[.\-—_]\s*\(?|\()(\d{1,2})\)?$")
_ID_SUB = re.compile(r"^\((\d{1,2})\)$|^([\u2460-\u2473])$")
_ID_NUMERAL = re.compile(r"^\(?([一二三四五六七八九十]{1,3})[、.)]?$")
_TEXT_ROLES = ("task", "content")
_WHO_ROLES = ("lead_units", "units", "lead_leaders", "leaders", "person")
_CONTENT_WORDS = (
    "具体内容",
    "工作内容",
    "任务内容",
    "工作措施",
    "具体措施",
    "主要内容",
    "分解任务",
    "具体任务",
    "工作举措",
)


def column_role(header: str) -> str | None:
    """What a header cell names: '责任领导（牵头领导）' → 'lead_leaders'; None for 备注 etc.

    A 责任单位 / 责任领导 column without 牵头 or 配合 is ``units`` / ``leaders``: who of its
    names leads is decided by the notice's convention (``import_roles``).
    """
    h = re.sub(r"\s+", "", unicodedata.normalize("NFKC", header or ""))
    if not h or "备注" in h:
        return None
    if h.startswith(("序号", "编号", "任务编号", "序列")):
        return "id"
    if "领导" in h:
        if any(w in h for w in ("协助", "配合", "协管")):
            return "assist_leaders"
        return "lead_leaders" if "牵头" in h else "leaders"
    if "责任人" in h and "单位" not in h and "部门" not in h:
        return "person"
    if "单位" in h or "部门" in h:
        if any(w in h for w in ("配合", "协办", "协助", "协同", "参与")):
            return "coop_units"
        return "lead_units" if any(w in h for w in ("牵头", "主责", "主办", "主要")) else "units"
    if any(w in h for w in ("时限", "时间节点", "完成时间", "截止")):
        return "deadline"
    if "板块" in h or "类别" in h:
        return "section"
    if any(w in h for w in _CONTENT_WORDS):
        return "content"
    if any(w in h for w in ("任务", "目标", "内容", "工作")):
        return "task"
    return None


def _roles(cells: list[str]) -> dict[str, int]:
    roles: dict[str, int] = {}
    for col, text in enumerate(cells):
        role = column_role(text)
        if role and role not in roles:
            roles[role] = col
    return roles


def _is_header(roles: dict[str, int]) -> bool:
    return any(r in roles for r in _TEXT_ROLES) and any(r in roles for r in _WHO_ROLES)


def find_header(grid: list[list[str]], scan: int = 15) -> tuple[int, dict[str, int]] | None:
    """(last header row, role → column) of the first header within the top rows."""
    for r in range(min(scan, len(grid))):
        roles = _roles(grid[r])
        top = grid[r]
        if r + 1 < len(grid) and sum(1 for c in top if c) >= 2 and not _has_numbers(grid[r + 1]):
            # a two-row header: 责任单位 over 牵头 / 配合
            below = grid[r + 1]
            filled, left = [], ""
            for c in range(max(len(top), len(below))):
                t = top[c] if c < len(top) else ""
                left = t or left
                filled.append((t or left) + (below[c] if c < len(below) else ""))
            combined = _roles(filled)
            if len(combined) > len(roles) and _is_header(combined):
                return r + 1, combined
        if _is_header(roles):
            return r, roles
    return None


def _has_numbers(cells: list[str]) -> bool:
    return any(re.fullmatch(r"\d+(\.\d+)?", c.strip()) for c in cells if c)


@dataclass
class _Rec:
    where: str
    chapter: str = ""
    n: int | None = None
    m: int | None = None
    title: str = ""
    content: str = ""
    note: str = ""  # 注：… under the table
    labels: dict[str, str] = field(default_factory=dict)


def table_lines(grids: list[tuple[str, list[list[str]]]]) -> list[Line] | None:
    """The lines of every table that has a task-table header; None when none has one.

    ``grids`` are (where-format, rows of cell texts), e.g. ('表格 1 第 {} 行', rows).
    """
    recs: list[_Rec] = []
    two_columns = False
    found = False
    for where_fmt, grid in grids:
        header = find_header(grid)
        if header is None:
            continue
        found = True
        head_row, roles = header
        two_columns = two_columns or all(r in roles for r in _TEXT_ROLES)
        header_texts = [c for c in grid[head_row] if c]
        section_value = ""
        for r in range(head_row + 1, len(grid)):
            rec = _record(grid[r], roles, where_fmt.format(r + 1), header_texts)
            if rec is None:
                continue
            if "section" in roles:
                value = _cell(grid[r], roles["section"]).strip()
                if value and value != section_value and not rec.chapter:
                    section_value = value
                    recs.append(_Rec(rec.where, chapter=value))
            recs.append(rec)
    if not found:
        return None
    return _emit(_number_chapters(recs), two_columns)


def _cell(cells: list[str], col: int | None) -> str:
    if col is None or col >= len(cells):
        return ""
    return cells[col] or ""


def _record(cells: list[str], roles: dict[str, int], where: str, header: list[str]) -> _Rec | None:
    texts = [c.strip() for c in cells if c and c.strip()]
    if not texts or texts == header:
        return None  # empty, or the header repeated on a new page
    distinct = set(texts)
    if len(distinct) == 1:
        only = texts[0]
        if NOTE_LINE.match(only):
            return _Rec(where, note=only)
        if _CHAPTER_ROW.match(only.translate(MARKS)):
            return _Rec(where, chapter=only)
        if (
            "id" in roles
            and _cell(cells, roles["id"]).strip() == only
            and not re.fullmatch(r"[\d.()（）\-]+", only.translate(MARKS))
        ):
            return _Rec(where, chapter=only)  # a heading across the table without 一、
    rec = _Rec(where)
    idv = _cell(cells, roles.get("id")).strip().translate(MARKS).replace(" ", "")
    text_role = [r for r in _TEXT_ROLES if r in roles]
    rec.title = _cell(cells, roles.get(text_role[0])).strip() if text_role else ""
    if len(text_role) == 2:
        rec.content = _cell(cells, roles["content"]).strip()
    for key in LABEL_CN:
        value = (
            _names(_cell(cells, roles.get(key)))
            if key != "deadline"
            else _cell(cells, roles.get(key)).strip()
        )
        if value:
            rec.labels[key] = value
    if m := _ID_NUMERAL.match(idv):
        if not rec.labels:  # 一、 or （一） across a row without names: a heading
            return _Rec(where, chapter=f"{m.group(1)}、{rec.title}")
        rec.n = numeral_value(m.group(1))  # tasks numbered （一）（二）
    elif re.fullmatch(r"\d{1,3}\.?", idv):
        rec.n = int(idv.rstrip("."))
    elif m := _ID_TASK_SUB.match(idv):
        rec.n, rec.m = int(m.group(1)), int(m.group(2))
    elif m := _ID_SUB.match(idv):
        rec.m = int(m.group(1)) if m.group(1) else ord(m.group(2)) - 0x2460 + 1
    return rec


def _names(text: str) -> str:
    """A cell listing names one per line → '区发改委、区财政局'."""
    parts = [p.strip() for p in (text or "").splitlines() if p.strip()]
    out = ""
    for p in parts:
        out = p if not out else (out + p if out[-1] in "、，,；;" else f"{out}、{p}")
    return out


def _number_chapters(recs: list[_Rec]) -> list[_Rec]:
    """Chapters written without 一、 get their number from their order."""
    count = 0
    for rec in recs:
        if not rec.chapter:
            continue
        m = _CHAPTER_ROW.match(rec.chapter.translate(MARKS))
        if m:
            count = numeral_value(re.sub(r"[\s、.]", "", m.group(0)))
        else:
            count += 1
            rec.chapter = f"{numeral(count)}、{rec.chapter}"
    return recs


def _strip_no(text: str, n: int | None) -> str:
    """'8.突出…' in a row numbered 8 → '突出…' (the number is already in 序号)."""
    m = TASK_RE.match(text.translate(MARKS))
    return text[m.start(2) :] if m and int(m.group(1)) == n else text


def _strip_sub(text: str) -> str:
    m = SUB_RE.match(text.translate(MARKS))
    return text[m.start(2) :] if m else text


def _starts_sub(text: str) -> bool:
    return bool(SUB_RE.match(text.translate(MARKS)))


def _emit(recs: list[_Rec], two_columns: bool) -> list[Line]:
    # how many rows carry an item of each task (a content column without (1) (2) numbers them)
    group: dict[int | None, int] = {}
    cur = None
    for rec in recs:
        if rec.chapter or rec.note:
            cur = None if rec.chapter else cur
            continue
        cur = rec.n if rec.n is not None else cur
        if cur is not None and (rec.content if two_columns else rec.title):
            group[cur] = group.get(cur, 0) + 1
    out: list[Line] = []
    cur, last_title, auto = None, None, 0
    for rec in recs:
        w = rec.where
        if rec.chapter or rec.note:
            out.append(Line(rec.chapter or rec.note, w))
            cur, last_title = (None, None) if rec.chapter else (cur, last_title)
            continue
        lines: list[Line] = []
        new_task = rec.n is not None and rec.n != cur
        n = rec.n if rec.n is not None else cur
        if new_task:
            auto = 0
        if two_columns:
            content = rec.content
            numbered = rec.m is not None or group.get(n, 0) > 1 or _starts_sub(content)
            if new_task:
                head = _strip_no(rec.title, n)
                if content and not numbered and head and head[-1] not in TERMINAL:
                    head += "。"  # the content column is this task's own text, not its title's end
                lines.append(Line(f"{n}.{head}", w))
            elif rec.title and rec.title != last_title:
                lines.append(Line(rec.title, w))
            if content:
                if rec.m is not None:
                    content = f"（{rec.m}）{_strip_sub(content)}"
                elif numbered and not _starts_sub(content):
                    auto += 1
                    content = f"（{auto}）{content}"
                lines.extend(Line(t, w) for t in content.splitlines())
        else:
            parts = [t for t in rec.title.splitlines() if t.strip()] or [""]
            if new_task:
                first = _strip_no(parts[0], n)
                if rec.m is not None:
                    lines.append(Line(f"{n}.", w))
                    first = f"（{rec.m}）{_strip_sub(first)}"
                    lines.append(Line(first, w))
                else:
                    lines.append(Line(f"{n}.{first}", w))
                lines.extend(Line(t, w) for t in parts[1:])
            elif rec.title and rec.title != last_title:
                if rec.m is not None:
                    parts[0] = f"（{rec.m}）{_strip_sub(parts[0])}"
                lines.extend(Line(t, w) for t in parts)
        labels = [Line(f"{LABEL_CN[key]}：{value}", w) for key, value in rec.labels.items()]
        out.extend(_with_labels(lines, labels))
        cur, last_title = n, rec.title
    return out


def _with_labels(lines: list[Line], labels: list[Line]) -> list[Line]:
    """A row's labels after each of its items: a cell holding （1）… （2）… names both."""
    starts = [
        i
        for i, ln in enumerate(lines)
        if _starts_sub(ln.text) or _starts_sub(_after_task_no(ln.text))
    ]
    if len(starts) < 2 or not labels:
        return lines + labels
    out: list[Line] = []
    for k, i in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        out.extend(lines[:i] if k == 0 else [])
        out.extend(lines[i:end] + labels)
    return out


def _after_task_no(text: str) -> str:
    m = TASK_RE.match(text.translate(MARKS))
    return text[m.start(2) :] if m else ""


# -- .docx -------------------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_SKIP = {
    _W + "delText",
    _W + "instrText",
    _W + "txbxContent",
    _MC_FALLBACK,
    _W + "del",
    _W + "moveFrom",
}


@dataclass
class DocxContent:
    paragraphs: list[Line]
    tables: list[tuple[str, list[list[str]]]]


def read_docx(zf: zipfile.ZipFile) -> DocxContent:
    """Paragraph lines and table grids of a checked .docx zip (XML through defusedxml)."""
    from defusedxml.ElementTree import fromstring

    names = set(zf.namelist())
    body = fromstring(zf.read("word/document.xml")).find(f"{_W}body")
    numbering = _Numbering(
        fromstring(zf.read("word/numbering.xml")) if "word/numbering.xml" in names else None,
        fromstring(zf.read("word/styles.xml")) if "word/styles.xml" in names else None,
    )
    out = DocxContent([], [])
    if body is None:
        return out
    for el in _blocks(body):
        if el.tag == _W + "p":
            text = numbering.label(el) + _text(el)
            for part in text.split("\n"):
                out.paragraphs.append(Line(part, f"第 {len(out.paragraphs) + 1} 段"))
        else:
            out.tables.append((f"表格 {len(out.tables) + 1} 第 {{}} 行", _grid(el, numbering)))
    return out


def _blocks(parent):
    """Body paragraphs and tables in order (content controls opened)."""
    for child in parent:
        if child.tag in (_W + "p", _W + "tbl"):
            yield child
        elif child.tag in (_W + "sdt", _W + "sdtContent", _W + "customXml", _W + "ins"):
            yield from _blocks(child)


def _text(el) -> str:
    parts: list[str] = []

    def walk(node):
        for child in node:
            tag = child.tag
            if tag in _SKIP:
                continue
            if tag == _W + "t":
                parts.append(child.text or "")
            elif tag == _W + "tab":
                parts.append("\t")
            elif tag in (_W + "br", _W + "cr"):
                if child.get(_W + "type") in (None, "textWrapping"):
                    parts.append("\n")
            elif tag == _W + "noBreakHyphen":
                parts.append("-")
            elif tag != _W + "p" or node is el:
                walk(child)

    walk(el)
    return "".join(parts)


def _grid(tbl, numbering: _Numbering) -> list[list[str]]:
    rows: list[list[str]] = []
    for tr in tbl.findall(f"{_W}tr"):
        row: list[str] = []
        for tc in tr.findall(f"{_W}tc"):
            props = tc.find(f"{_W}tcPr")
            span, vmerge = 1, None
            if props is not None:
                gs = props.find(f"{_W}gridSpan")
                if gs is not None and (gs.get(_W + "val") or "").isdigit():
                    span = max(1, min(int(gs.get(_W + "val")), 64))
                vm = props.find(f"{_W}vMerge")
                if vm is not None:
                    vmerge = vm.get(_W + "val") or "continue"
            col = len(row)
            if vmerge == "continue":
                above = rows[-1][col] if rows and col < len(rows[-1]) else ""
                text = above
            else:
                paras = [numbering.label(p) + _text(p) for p in tc.iter(_W + "p")]
                text = "\n".join(p for p in paras if p.strip())
            row.extend([text] + [""] * (span - 1))
        rows.append(row)
    return rows


class _Numbering:
    """Word's automatic list numbers (numbering.xml), rebuilt as text: '8.' / '（1）' / '一、'."""

    def __init__(self, numbering, styles):
        self.levels: dict[
            str, dict[int, tuple[int, str, str]]
        ] = {}  # numId → ilvl → (start, fmt, text)
        self.counters: dict[str, dict[int, int]] = {}
        self.style_num: dict[str, tuple[str, int]] = {}
        if numbering is not None:
            abstract = {}
            for an in numbering.findall(f"{_W}abstractNum"):
                lvls = {}
                for lvl in an.findall(f"{_W}lvl"):
                    ilvl = int(lvl.get(_W + "ilvl", "0"))
                    start = lvl.find(f"{_W}start")
                    fmt = lvl.find(f"{_W}numFmt")
                    text = lvl.find(f"{_W}lvlText")
                    lvls[ilvl] = (
                        int(start.get(_W + "val", "1")) if start is not None else 1,
                        fmt.get(_W + "val", "decimal") if fmt is not None else "decimal",
                        text.get(_W + "val", "") if text is not None else "",
                    )
                abstract[an.get(_W + "abstractNumId")] = lvls
            for num in numbering.findall(f"{_W}num"):
                ref = num.find(f"{_W}abstractNumId")
                lvls = dict(abstract.get(ref.get(_W + "val") if ref is not None else None, {}))
                for ov in num.findall(f"{_W}lvlOverride"):
                    so = ov.find(f"{_W}startOverride")
                    ilvl = int(ov.get(_W + "ilvl", "0"))
                    if so is not None and ilvl in lvls:
                        _, fmt, text = lvls[ilvl]
                        lvls[ilvl] = (int(so.get(_W + "val", "1")), fmt, text)
                self.levels[num.get(_W + "numId")] = lvls
        if styles is not None:
            for st in styles.findall(f"{_W}style"):
                num_pr = st.find(f"{_W}pPr/{_W}numPr")
                if num_pr is not None:
                    nid = num_pr.find(f"{_W}numId")
                    lvl = num_pr.find(f"{_W}ilvl")
                    if nid is not None:
                        self.style_num[st.get(_W + "styleId")] = (
                            nid.get(_W + "val"),
                            int(lvl.get(_W + "val", "0")) if lvl is not None else 0,
                        )

    def label(self, p) -> str:
        if not self.levels:
            return ""
        ppr = p.find(f"{_W}pPr")
        if ppr is None:
            return ""
        num_id, ilvl = None, 0
        style = ppr.find(f"{_W}pStyle")
        if style is not None and style.get(_W + "val") in self.style_num:
            num_id, ilvl = self.style_num[style.get(_W + "val")]
        num_pr = ppr.find(f"{_W}numPr")
        if num_pr is not None:
            nid = num_pr.find(f"{_W}numId")
            lvl = num_pr.find(f"{_W}ilvl")
            num_id = nid.get(_W + "val") if nid is not None else num_id
            ilvl = int(lvl.get(_W + "val", "0")) if lvl is not None else ilvl
        lvls = self.levels.get(num_id or "")
        if not lvls or ilvl not in lvls:
            return ""
        counters = self.counters.setdefault(num_id or "", {})
        start = lvls[ilvl][0]
        counters[ilvl] = counters.get(ilvl, start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        text = lvls[ilvl][2]
        for k, (k_start, k_fmt, _) in lvls.items():
            if f"%{k + 1}" in text:
                text = text.replace(f"%{k + 1}", _format_number(counters.get(k, k_start), k_fmt))
        return "" if lvls[ilvl][1] in ("bullet", "none") else text


def _format_number(n: int, fmt: str) -> str:
    if fmt in (
        "chineseCounting",
        "chineseCountingThousand",
        "ideographTraditional",
        "taiwaneseCounting",
    ):
        return numeral(n) if n >= 1 else str(n)
    if fmt == "decimalFullWidth":
        return str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 1 <= n <= 20:
        return chr(0x2460 + n - 1)
    if fmt in ("lowerLetter", "upperLetter") and 1 <= n <= 26:
        return chr((97 if fmt == "lowerLetter" else 65) + n - 1)
    return str(n)


# -- .xlsx / .xls / .ods ----------------------------------------------------------------


def workbook_grids(path: Path, limits) -> tuple[list[tuple[str, list[list[str]]]], list[str]]:
    """Every visible sheet as a grid of texts (merged cells filled down), and its title cells."""
    from reporting.documents.cells import cell_text
    from reporting.documents.spreadsheet import read_workbook

    book = read_workbook(path, limits)
    grids, titles = [], []
    for sheet in book.visible_sheets:
        rows = [[cell_text(v) for v in row] for row in sheet.rows]
        for r1, c1, r2, _c2 in sheet.merged:
            value = rows[r1][c1] if r1 < len(rows) and c1 < len(rows[r1]) else ""
            for r in range(r1 + 1, min(r2 + 1, len(rows))):
                if c1 < len(rows[r]) and not rows[r][c1]:
                    rows[r][c1] = value
        rows = [[] if i in sheet.hidden_rows else row for i, row in enumerate(rows)]
        grids.append((f"工作表“{sheet.name}”第 {{}} 行", rows))
        titles.append(sheet.name)
        titles.extend(t for row in rows[:5] for t in row if t)
    return grids, titles
