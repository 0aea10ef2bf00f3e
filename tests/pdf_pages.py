"""What a printed document looks like page by page: LibreOffice renders, pdftotext reads.

The oracle is the .docx handed to LibreOffice: each table row's cell texts are read from it
and looked for in the text of the PDF's pages.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from docx import Document
from docx.oxml.ns import qn

from reporting.documents.office import convert_all


def render_all(files: list[Path], outdir: Path, fmt: str = "pdf") -> list[Path]:
    """Every file converted by one LibreOffice process (one start-up for many documents),
    with the project's font map; the PDFs in ``files``' order, under ``outdir/<suffix>/``
    (a .docx and an .xlsx of the same name would write the same PDF)."""
    by_suffix: dict[str, list[Path]] = {}
    for f in files:
        by_suffix.setdefault(f.suffix[1:], []).append(f)
    for suffix, group in by_suffix.items():
        _render(group, outdir / suffix, fmt)
    return [outdir / f.suffix[1:] / f"{f.stem}.{fmt}" for f in files]


def _render(files: list[Path], outdir: Path, fmt: str) -> None:
    """As duban converts: on a copy of the kept LibreOffice profile (a new profile costs
    LibreOffice a restart and its graphics self-test, over a second of CPU each time)."""
    convert_all(files, fmt, outdir, timeout=600)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def page_texts(pdf: Path) -> list[str]:
    """Each page's text in content order (``-raw``: a table cell's lines stay together),
    without white space."""
    return [
        squash(
            subprocess.run(
                ["pdftotext", "-raw", "-f", str(n), "-l", str(n), str(pdf), "-"],
                capture_output=True,
                text=True,
            ).stdout
        )
        for n in range(1, page_count(pdf) + 1)
    ]


def table_rows(path: Path) -> list[tuple[bool, list[str]]]:
    """Every row of every table of a .docx: (repeated header?, its cells' texts squashed)."""
    rows = []
    for tbl in Document(path).element.body.iter(qn("w:tbl")):
        for tr in tbl.findall(qn("w:tr")):
            if tr.find(f"{qn('w:tc')}/{qn('w:tbl')}") is not None:
                continue  # a row holding a table and the closing block: its inner row counts
            trpr = tr.find(qn("w:trPr"))
            header = trpr is not None and trpr.find(qn("w:tblHeader")) is not None
            cells = [
                squash("".join(t.text or "" for t in tc.iter(qn("w:t"))))
                for tc in tr.findall(qn("w:tc"))
            ]
            rows.append((header, cells))
    return rows


def split_rows(docx: Path, pages: list[str]) -> list[str]:
    """The rows not printed whole on one page: some cell's text is on no page that also
    holds the rest (a row cut in two). Named by their first cell."""
    bad = []
    for header, cells in table_rows(docx):
        texts = [c for c in cells if c]
        if header or not texts:
            continue
        if not any(all(c in page for c in texts) for page in pages):
            bad.append(texts[0][:20])
    return bad


PAGE_NUMBER = re.compile(r"—\d+—|第\d+页共\d+页")


def bare_pages(docx: Path, pages: list[str], closing: list[str]) -> list[int]:
    """Pages (1-based) holding nothing but a repeated table header, page numbers and the
    ``closing`` lines (signature, date, 经办人 line)."""
    heads = ["".join(cells) for header, cells in table_rows(docx) if header]
    heads += [c for header, cells in table_rows(docx) if header for c in cells]
    bare = []
    for n, text in enumerate(pages, 1):
        rest = PAGE_NUMBER.sub("", text)
        for part in sorted({*heads, *map(squash, closing)}, key=len, reverse=True):
            if part:
                rest = rest.replace(part, "")
        if not rest:
            bare.append(n)
    return bare
