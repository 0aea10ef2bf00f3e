"""The demo's second-quarter forms on paper, as LibreOffice prints the whole workbook: how
many pages a 乡镇, a small unit and every lead unit's 配合反馈 copy take, and that every page
holds task rows (no blank or near-empty page, no 识别码).

The oracle is each workbook as openpyxl reads it: its task sheets and their task numbers.
"""

from pathlib import Path

import openpyxl
import pytest
from conftest import office
from pdf_pages import page_texts, render_all, squash

from reporting.core.periods import Period
from reporting.forms import formspec as fs

pytestmark = [pytest.mark.slow, office]

BIG = "长青乡"  # 2 lead and 37 cooperating rows, 25 indicators in 2024Q2
COPY = "区发改委"  # 10 lead rows with up to eight partners each
COPY_NAME = "进展情况表（含配合单位反馈）.xlsx"


def task_labels(path: Path) -> dict[str, list[str]]:
    """Task sheet → the first words of each row's 任务内容, in order."""
    wb = openpyxl.load_workbook(path)
    out = {}
    for name in (fs.SHEET_LEAD, fs.SHEET_COOP):
        if name in wb.sheetnames:
            ws = wb[name]
            keys = {
                fs.column_for_header(str(ws.cell(fs.HEADER_ROW, c).value or "")): c
                for c in range(1, ws.max_column + 1)
            }
            out[name] = [
                squash(str(ws.cell(r, keys["content"]).value))[:8]
                for r in range(fs.FIRST_DATA_ROW, ws.max_row + 1)
                if fs.parse_task_label(ws.cell(r, keys["task_id"]).value)
            ]
    return out


def copy_units(app) -> set[str]:
    """The units the 配合反馈 sends a copy: every lead unit of a task with cooperating
    units in the demo's Q2 task book."""
    book = app.book(Period(2024, 2))
    return {u for r in book.rows if r.coop_units for u in r.lead_units}


@pytest.fixture(scope="module")
def printed(demo_year, tmp_path_factory):
    """(workbook, its rows per task sheet, its PDF's page texts) for 长青乡's form, every
    lead unit's copy with its partners' feedback and every unit's form with at most three
    rows, rendered by one LibreOffice."""
    outcome, _printed, _app = demo_year
    forms = outcome.root / "2024Q2" / "forms"
    small = [
        p for p in sorted(forms.glob("*.xlsx")) if sum(len(v) for v in task_labels(p).values()) <= 3
    ]
    copies = sorted((outcome.root / "2024Q2" / "feedback").glob(f"*_{COPY_NAME}"))
    files = [forms / f"2024Q2_{BIG}_进展情况表.xlsx", *copies, *small]
    pdfs = render_all(files, tmp_path_factory.mktemp("forms"))
    return [(f, task_labels(f), page_texts(p)) for f, p in zip(files, pdfs, strict=True)]


def unit(path: Path) -> str:
    return path.name.split("_")[1]


def is_copy(path: Path) -> bool:
    return path.name.endswith(COPY_NAME)


def test_the_big_form_prints_on_ten_pages_at_most(printed):
    path, _labels, pages = printed[0]
    assert unit(path) == BIG and not is_copy(path)
    assert 3 < len(pages) <= 9, len(pages)  # 10 while the 填报说明 printed


def test_every_partners_copy_prints_on_seven_pages_at_most(printed, demo_year):
    """Every lead unit with partners has its copy, and each prints on at most seven pages:
    its task sheets, the partners' feedback on paper (长青乡's printed ten, 区住建交通局's
    nine while the copy repeated last quarter's digest beside the partners' feedback;
    长青乡's eight while the unprinted 责任分工 set its rows' heights)."""
    copies = {unit(path): (labels, pages) for path, labels, pages in printed if is_copy(path)}
    assert set(copies) == copy_units(demo_year[2]) and {BIG, COPY} <= set(copies)
    counts = {}
    for name, (labels, pages) in copies.items():
        counts[name] = len(pages)
        assert any("配合单位反馈（供参考）" in p for p in pages), name  # the copy's point
        # a page per task sheet at least, and one for the partners' feedback
        assert len(labels) < len(pages) <= 7, (name, len(pages))
        # last quarter's digest is not printed: the partners' feedback takes its place
        assert not any("上季度报送情况" in p for p in pages), name
    assert len(counts) > 20, counts


def test_a_small_unit_prints_a_page_per_task_sheet(printed):
    """At most three rows: one page per task sheet, so two pages at most (填报说明,
    上季度全文 and 销号延期调整申请 are read on screen and not printed)."""
    small = [x for x in printed[1:] if not is_copy(x[0])]
    assert len(small) >= 10
    both = 0
    for path, labels, pages in small:
        assert len(pages) == len(labels) <= 2, (unit(path), len(pages))
        both += len(labels) == 2
    assert both >= 5  # units with lead and cooperating rows: the case that printed three


def test_every_page_holds_rows_and_no_identification_code(printed):
    """Each page holds task rows (a page of only a repeated header or a lone line is a
    wasted sheet of paper; the 填报说明 is not printed) and every task row is printed; the
    header box asks the 主要领导 to sign; the 识别码 is on no page."""
    for path, labels, pages in printed:
        name = unit(path)
        assert not any("填报要求" in p or "DUBAN|" in p for p in pages), name
        rows = [x for sheet in labels.values() for x in sheet]
        alone = {sheet[0] for sheet in labels.values() if len(sheet) == 1}
        for n, page in enumerate(pages, 1):
            found = [x for x in rows if x in page]
            assert found, (name, n)
            # no row left alone on a page of the form (the copy's partners' page aside)
            if not is_copy(path):
                assert len(found) > 1 or found[0] in alone, (name, n, found)
        for x in rows:
            assert any(x in p for p in pages), (name, x)
        assert sum("主要领导审核：" in p for p in pages) == len(labels), name
