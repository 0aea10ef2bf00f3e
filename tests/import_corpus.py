"""The import corpus (tests/data/import_corpus/): breakdown layouts written as text, built into
the files a district office would receive (.docx paragraphs, .docx tables, .xlsx).

Files of the corpus:

- ``NN_name.txt``: a notice as text; also built into a .docx, one paragraph a line
  (``NN_name.pdf.txt``: text taken from a PDF, pages and all: text only);
- ``NN_name.table.txt``: a task table: paragraphs, then rows ``| cell | cell |``, then
  paragraphs. ``<br>`` breaks a cell into paragraphs, ``^`` merges a cell with the one above,
  ``<`` with the one on its left, and a row of one cell spans the table. Built into a
  .docx table and an .xlsx sheet (paragraphs above become title rows, below note rows);
- ``NN_name.expected.csv``: the rows written by hand (id, section, task_title, content,
  lead_units, coop_units, lead_leaders, assist_leaders, deadline) and ``review``: what the
  row's review must say (parts separated by `` | ``);
- ``NN_name.notes.txt`` (optional): what the import's report must say, one part a line.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "data" / "import_corpus"


@dataclass
class Case:
    name: str  # 01_dot_label_lines
    source: Path
    form: str  # txt / docx / table_docx / xlsx

    @property
    def id(self) -> str:
        return f"{self.name}-{self.form}"

    def expected(self) -> list[dict[str, str]]:
        with open(CORPUS / f"{self.name}.expected.csv", encoding="utf-8") as f:
            return list(csv.DictReader(f))

    def notes(self) -> list[str]:
        path = CORPUS / f"{self.name}.notes.txt"
        if not path.exists():
            return []
        return [t for t in path.read_text(encoding="utf-8").splitlines() if t.strip()]


def cases() -> list[Case]:
    out = []
    for path in sorted(CORPUS.glob("*.txt")):
        if path.name.endswith((".notes.txt",)):
            continue
        if path.name.endswith(".table.txt"):
            name = path.name.removesuffix(".table.txt")
            out += [Case(name, path, "table_docx"), Case(name, path, "xlsx")]
        elif path.name.endswith(".pdf.txt"):
            out.append(Case(path.name.removesuffix(".pdf.txt"), path, "txt"))
        else:
            name = path.name.removesuffix(".txt")
            out += [Case(name, path, "txt"), Case(name, path, "docx")]
    return out


def build(case: Case, folder: Path) -> Path:
    """The file a case imports: the text itself, or the .docx / .xlsx built from it."""
    if case.form == "txt":
        return case.source
    text = case.source.read_text(encoding="utf-8")
    out = folder / f"{case.name}.{'xlsx' if case.form == 'xlsx' else 'docx'}"
    if case.form == "docx":
        paragraphs_docx(text, out)
    elif case.form == "table_docx":
        table_docx(parse_table(text), out)
    else:
        table_xlsx(parse_table(text), out)
    return out


def paragraphs_docx(text: str, out: Path) -> None:
    import docx

    doc = docx.Document()
    for line in text.splitlines():
        if line.strip():
            doc.add_paragraph(line)
    doc.save(out)


@dataclass
class Table:
    before: list[str]
    rows: list[list[str]]  # cells as written, "^" / "<" for merges, one cell: across
    after: list[str]

    @property
    def width(self) -> int:
        return max(len(r) for r in self.rows)


def parse_table(text: str) -> Table:
    before: list[str] = []
    rows: list[list[str]] = []
    after: list[str] = []
    for line in text.splitlines():
        if line.strip().startswith("|"):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif line.strip():
            (after if rows else before).append(line.strip())
    return Table(before, rows, after)


def table_docx(table: Table, out: Path) -> None:
    import docx

    doc = docx.Document()
    for text in table.before:
        doc.add_paragraph(text)
    grid = doc.add_table(rows=len(table.rows), cols=table.width)
    grid.style = "Table Grid"
    for r, cells in enumerate(table.rows):
        if len(cells) == 1:
            grid.cell(r, 0).merge(grid.cell(r, table.width - 1)).text = cells[0]
            continue
        for c, text in enumerate(cells):
            if text == "^":
                top = r - 1
                while table.rows[top][c] == "^":
                    top -= 1
                grid.cell(top, c).merge(grid.cell(r, c))
            elif text == "<":
                grid.cell(r, c - 1).merge(grid.cell(r, c))
            else:
                first, *more = text.split("<br>")
                grid.cell(r, c).text = first
                for para in more:
                    grid.cell(r, c).add_paragraph(para)
    for text in table.after:
        doc.add_paragraph(text)
    doc.save(out)


def table_xlsx(table: Table, out: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "任务分解"
    width = table.width

    def across(text: str) -> None:
        ws.append([text])
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=width)

    for text in table.before:
        across(text)
    first = ws.max_row + 1
    for cells in table.rows:
        if len(cells) == 1:
            across(cells[0])
            continue
        ws.append([None if t in ("^", "<") else t.replace("<br>", "\n") for t in cells])
    for r, cells in enumerate(table.rows):
        row = first + r
        for c, text in enumerate(cells):
            if text == "^" and table.rows[r - 1][c] != "^":
                bottom = r
                while bottom + 1 < len(table.rows) and table.rows[bottom + 1][c] == "^":
                    bottom += 1
                ws.merge_cells(
                    start_row=row - 1, start_column=c + 1, end_row=first + bottom, end_column=c + 1
                )
            elif text == "<":
                ws.merge_cells(start_row=row, start_column=c, end_row=row, end_column=c + 1)
    for text in table.after:
        across(text)
    wb.save(out)


# -- text as pdftotext gives it (10_pdf_wrapped.pdf.txt was made with this) ---------------

_NO_LINE_START = "、，。；：）”％%"


def display_width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def wrap(paragraph: str, width: int) -> list[str]:
    """A paragraph broken at ``width`` (CJK = 2) as a PDF lays it out: no line starts with
    a closing mark, a Latin word or number is not cut (it moves to the next line)."""
    import re

    out: list[str] = []
    cur = ""
    for token in re.findall(r"[A-Za-z0-9.%]+|.", paragraph):
        if cur and display_width(cur + token) > width and token[0] not in _NO_LINE_START:
            out.append(cur.rstrip())
            cur = token.lstrip()
        else:
            cur += token
    return out + [cur]


def pdf_text(paragraphs: list[str], *, width: int, per_page: int, header: str) -> str:
    """The paragraphs wrapped and cut into pages: a form feed, the running header on top,
    ``— n —`` at the foot of every page; no blank line between paragraphs."""
    lines = [line for p in paragraphs if p.strip() for line in wrap(p.strip(), width)]
    pages = [lines[i : i + per_page] for i in range(0, len(lines), per_page)]
    out = []
    for n, page in enumerate(pages, 1):
        head = f"{header}\n" if n > 1 else ""
        out.append(head + "\n".join(page) + f"\n\n— {n} —\n")
    return "\f".join(out) + "\f"
