"""The demo year's documents on paper: no table row cut across two pages, no page that holds
only a signature, a heading or a repeated table header.

LibreOffice renders each .docx; every row's cell texts (read from the .docx) must all be
found on one page of the PDF, so a row's continuation never stands without its task number.
"""

import re
from datetime import date
from pathlib import Path

import pytest
from conftest import office
from docx import Document
from docx.oxml.ns import qn
from helpers import render_quarter_bulletin
from pdf_pages import bare_pages, page_texts, render_all, split_rows, squash

pytestmark = [pytest.mark.slow, office]

DATE_LINE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")


def closing_lines(docx: Path) -> list[str]:
    """Signature, date, headings and the 经办人 line: short paragraphs that are not text
    (body paragraphs end with 。), in the body or beside a table's last row (a brief's
    signer and date share a row with it, ``docx_closing``)."""
    lines = []
    body = Document(docx).element.body
    paras = [p for p in body.iterchildren(qn("w:p"))]
    paras += [
        p
        for tc in body.iter(qn("w:tc"))
        if tc.find(qn("w:tbl")) is not None
        for p in tc.iterchildren(qn("w:p"))
    ]
    for para in paras:
        text = squash("".join(t.text or "" for t in para.iter(qn("w:t"))))
        if text and (len(text) <= 40 and not text.endswith("。") or text.startswith("经办人")):
            lines.append(text)
    return lines


@pytest.fixture(scope="module")
def rendered(demo_year, tmp_path_factory):
    """(docx, its PDF's page texts) for Q2's and Q4's report, every brief, every 催报清单,
    the Q2 and Q4 通报 and the first two 督办单 of each."""

    outcome, _printed, app = demo_year
    root = outcome.root
    docs = [outcome.paths["第二季度报告"], outcome.paths["第四季度报告"]]
    docs += sorted(root.glob("2024Q[24]/report/分管领导调度单/*.docx"))
    docs += sorted(root.glob("2024Q*/reminders/*.docx"))
    from jobs.app import create_app

    data_app = create_app(Path(__file__).resolve().parent.parent / "config.toml", root, env={})
    with data_app.ledger() as ledger:
        for q, day in ((2, date(2024, 7, 9)), (4, date(2025, 1, 10))):  # the report days
            out = render_quarter_bulletin(data_app, ledger, q, day)
            docs.append(out.docx)
            docs += [d.path for d in out.orders.issued[:2]]  # 督办单: one page, rows whole
    pdfs = render_all(docs, tmp_path_factory.mktemp("pages"))
    return [(d, page_texts(p)) for d, p in zip(docs, pdfs, strict=True)]


def test_every_kind_of_document_is_rendered(rendered):
    names = [d.name for d, _ in rendered]
    assert sum("调度单" in n for n in names) >= 16
    assert sum("催报清单" in n for n in names) >= 4
    assert sum("通报" in n or "督查" in n for n in names) >= 2, names
    assert sum("督办〔2024〕" in n for n in names) >= 3, names


def test_no_table_row_is_cut_across_pages(rendered):
    cut = {d.name: split_rows(d, pages) for d, pages in rendered}
    assert not {k: v for k, v in cut.items() if v}
    # the check can fail: the rows it looks at are there, and a cut row is seen
    rows = sum(len(pages) for _, pages in rendered)
    assert rows > 40
    d, pages = rendered[0]
    assert split_rows(d, [p[: len(p) // 2] for p in pages])


def test_no_page_holds_only_a_signature_a_heading_or_a_header(rendered):
    bare = {d.name: bare_pages(d, pages, closing_lines(d)) for d, pages in rendered}
    bare = {k: v for k, v in bare.items() if v}
    assert not bare


def test_the_closing_block_stays_with_the_last_row(rendered):
    """Each brief and 催报清单: the page with the signature or the 经办人 line also holds the
    table's last row."""
    from pdf_pages import table_rows

    apart = {}
    for d, pages in rendered:
        if "调度单" not in d.name and "催报清单" not in d.name:
            continue
        last = next(c for c in reversed(table_rows(d)[-1][1]) if c) if table_rows(d) else ""
        end = "经办人" if "催报清单" in d.name else DATE_LINE.findall(pages[-1])[-1]
        page = next(p for p in pages if end in p)
        if last not in page:
            apart[d.name] = last[:20]
    assert not apart


def test_a_brief_cut_shorter_row_by_row_never_leaves_its_signer_alone(demo_year, tmp_path):
    """The demo's longest 2024Q4 brief with its first 0, 1, 2 … rows taken out: the page
    end falls at every point of its last rows, among them where the last row just fits and
    the signer and date do not (seen: LibreOffice then left them alone on the last page,
    whatever keep-with-next the row had). Each cut's last row and closing block share a page."""
    from pdf_pages import table_rows

    outcome, _printed, _app = demo_year
    briefs = sorted(outcome.root.glob("2024Q4/report/分管领导调度单/*.docx"))
    brief = max(briefs, key=lambda p: len(Document(p).tables[0].rows))
    cuts = []
    for k in range(12):
        doc = Document(brief)
        tbl = doc.tables[0]._tbl
        for tr in tbl.findall(qn("w:tr"))[1:-1][:k]:
            tbl.remove(tr)
        cuts.append(tmp_path / f"cut{k:02d}.docx")
        doc.save(cuts[-1])
    pdfs = render_all(cuts, tmp_path / "pdf")
    counts = set()
    for d, pdf in zip(cuts, pdfs, strict=True):
        pages = page_texts(pdf)
        counts.add(len(pages))
        assert not bare_pages(d, pages, closing_lines(d)), d.name
        last = next(c for c in reversed(table_rows(d)[-1][1]) if c)
        dated = [p for p in pages if DATE_LINE.search(p)]
        assert dated and last in dated[-1], d.name
    assert len(counts) >= 2  # the cuts did move the page ends


def test_documents_that_leave_the_office_hold_no_note_to_it(rendered, demo_year):
    """说法不一 and 请核实 are the office's own flags (汇总表, duban status): none of the
    report, the briefs, the 催报清单, the 通报 or the 督办单 says them. The demo has such
    flags: its 汇总表 carries them."""
    from openpyxl import load_workbook

    outcome, _printed, _app = demo_year
    flagged = 0
    for book in outcome.root.glob("2024Q*/汇总表.xlsx"):
        wb = load_workbook(book, read_only=True)
        flagged += sum(
            "说法不一" in str(v)
            for ws in wb.worksheets
            for row in ws.iter_rows(values_only=True)
            for v in row
            if v
        )
        wb.close()
    assert flagged
    noted = {
        d.name for d, pages in rendered if any("说法不一" in p or "请核实" in p for p in pages)
    }
    assert not noted


LINE_PITCH_PT = 225 / 22 / 25.4 * 72  # GB/T 9704: 22 lines in the 225 mm type area
BOTTOM_MARGIN_PT = 35 / 25.4 * 72


def lowest_line(pdf: Path, page: int) -> tuple[float, float]:
    """(bottom edge of the lowest text line but the page number, page height) in pt."""
    import subprocess

    html = subprocess.run(
        ["pdftotext", "-bbox-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
    ).stdout
    height = float(re.search(r'<page width="[\d.]+" height="([\d.]+)"', html).group(1))
    bottoms = []
    for m in re.finditer(r'<line [^>]*yMax="([\d.]+)">(.*?)</line>', html, re.S):
        words = "".join(re.findall(r">([^<]*)</word>", m.group(2)))
        if not re.fullmatch(r"—\d+—", words):
            bottoms.append(float(m.group(1)))
    return max(bottoms), height


def test_the_bulletins_first_page_is_filled(rendered, tmp_path):
    """A 公文 page holds 22 lines: page 1 of each 通报 is written to its last line (seen: a
    three-line paragraph kept whole left two lines blank above the page number)."""
    bulletins = [d for d, _ in rendered if d.name.endswith("督查通报.docx")]
    assert len(bulletins) == 2
    for d, pdf in zip(bulletins, render_all(bulletins, tmp_path), strict=True):
        bottom, height = lowest_line(pdf, 1)
        free = height - BOTTOM_MARGIN_PT - bottom
        assert free < 1.5 * LINE_PITCH_PT, (d.name, round(free, 1))


def test_the_demo_years_score_sheet_prints_in_far_fewer_pages(demo_year, tmp_path):
    """考核评分表 of the demo year through LibreOffice: 170 pages when every row repeated its
    return's 依据 with the archive path; printed once per run (同上) 121; with a unit's rows
    grouped by quarter and by the return they rest on, each return's 依据 is printed once
    (100 pages, under the issue's 107), and the 评分表 sheet itself stays on its first two
    pages."""
    from pdf_pages import page_count

    from jobs.app import create_app
    from reporting.assess.score_sheet import write_score_sheet
    from reporting.assess.scoring import load_results, score_year

    outcome, _printed, _app = demo_year
    data = create_app(Path(__file__).resolve().parent.parent / "config.toml", outcome.root, env={})
    with data.ledger() as ledger:
        card = score_year(
            data.settings,
            ledger,
            load_results(data.workspace, 2024, None),
            2024,
            kinds={n: u.kind for n, u in data.registry.units.items()},
        )
    path = tmp_path / "考核评分表.xlsx"
    write_score_sheet(card, data.settings, path)
    (pdf,) = render_all([path], tmp_path / "pdf")
    pages = page_texts(pdf)
    assert len(pages) == page_count(pdf) < 105
    points = next(k for k, text in enumerate(pages) if "考核评分明细" in text)
    assert points <= 2  # 0-based: the 评分表 of 33 units takes pages 1 and 2


MARKS = "。，；：、"


def mark_counts(text: str) -> dict[str, int]:
    return {m: text.count(m) for m in MARKS}


def docx_text(docx: Path) -> str:
    return "".join(t.text or "" for t in Document(docx).element.body.iter(qn("w:t")))


def test_every_punctuation_mark_of_the_docx_is_printed(rendered):
    """LibreOffice dropped a 。 or 、 that followed a full 28-character line of a justified
    body paragraph (Q4 report: "加快资金拨付" / "以上问题…")."""
    lost = {
        d.name: (mark_counts(docx_text(d)), mark_counts("".join(pages))) for d, pages in rendered
    }
    assert not {k: v for k, v in lost.items() if v[0] != v[1]}


HAN = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥天地玄黄宇宙洪荒"


def test_a_mark_after_a_full_line_is_printed_on_the_28_by_22_grid(root, tmp_path):
    """The shipped report template's body style: paragraphs built so that a line holds
    exactly 28 characters and a mark follows the 28th; every mark prints, after its
    line's 28 characters, and a page holds 22 lines."""
    doc = Document(root / "templates" / "report.docx")
    body = doc.element.body
    portrait = next(body.iter(qn("w:sectPr")))  # the body's section (the annex is landscape)
    for el in list(body):
        body.remove(el)
    body.append(portrait)
    lines = []
    for mark in MARKS:
        # first line: 2 characters of indent + 26; the second line: 28, then the mark
        doc.add_paragraph(HAN[:26] + HAN[:28] + mark + HAN[:10] + "。", style="Normal")
        lines.append(HAN[:28] + mark)
    for n in range(20):
        doc.add_paragraph(f"{HAN[:20]}{n}。", style="Normal")
    path = tmp_path / "grid.docx"
    doc.save(path)
    (pdf,) = render_all([path], tmp_path / "pdf")
    import subprocess

    raw = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True)
    printed = [squash(line) for line in raw.stdout.splitlines() if squash(line)]
    assert mark_counts("".join(printed)) == mark_counts(docx_text(path))
    for line in lines:
        assert line in printed  # 28 characters a line, the mark hung after them
    first_page = page_texts(pdf)[0].split("—")[0]  # the page number last
    # 5 paragraphs of 3 lines, then one-line paragraphs: 22 lines on page 1
    assert first_page.endswith(f"{HAN[:20]}6。")
