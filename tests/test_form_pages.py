"""The demo's second-quarter forms on paper, as LibreOffice prints the whole workbook: how
many pages a 乡镇, a small unit and a lead unit's 配合反馈 copy take, and that every page
holds task rows (no blank or near-empty page, no 识别码).

The oracle is each workbook as openpyxl reads it: its task sheets and their task numbers.
"""

from pathlib import Path

import openpyxl
import pytest
from conftest import office
from pdf_pages import page_texts, render_all, squash

from reporting.forms import formspec as fs

pytestmark = [pytest.mark.slow, office]

BIG = "长青乡"  # 2 lead and 37 cooperating rows, 25 indicators in 2024Q2
COPY = "区发改委"  # 10 lead rows with up to eight partners each


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


@pytest.fixture(scope="module")
def printed(demo_year, tmp_path_factory):
    """(workbook, its rows per task sheet, its PDF's page texts) for 长青乡's form, every
    unit's with at most three rows, and 区发改委's copy with its partners' feedback."""
    outcome, _printed, _app = demo_year
    forms = outcome.root / "2024Q2" / "forms"
    small = [
        p for p in sorted(forms.glob("*.xlsx")) if sum(len(v) for v in task_labels(p).values()) <= 3
    ]
    copy = outcome.root / "2024Q2" / "feedback" / f"2024Q2_{COPY}_进展情况表（含配合单位反馈）.xlsx"
    files = [forms / f"2024Q2_{BIG}_进展情况表.xlsx", copy, *small]
    pdfs = render_all(files, tmp_path_factory.mktemp("forms"))
    return [(f, task_labels(f), page_texts(p)) for f, p in zip(files, pdfs, strict=True)]


def unit(path: Path) -> str:
    return path.name.split("_")[1]


def test_the_big_form_prints_on_ten_pages_at_most(printed):
    path, _labels, pages = printed[0]
    assert unit(path) == BIG and "含配合单位反馈" not in path.name
    assert 3 < len(pages) <= 9, len(pages)  # 10 while the 填报说明 printed


def test_the_partners_copy_prints_on_eight_pages_at_most(printed):
    path, _labels, pages = printed[1]
    assert unit(path) == COPY and "含配合单位反馈" in path.name
    assert any("配合单位反馈（供参考）" in p for p in pages)  # the copy's point, on paper
    assert 2 < len(pages) <= 8, len(pages)


def test_a_small_unit_prints_a_page_per_task_sheet(printed):
    """At most three rows: one page per task sheet, so two pages at most (填报说明,
    上季度全文 and 销号延期调整申请 are read on screen and not printed)."""
    small = printed[2:]
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
            if "含配合单位反馈" not in path.name:
                assert len(found) > 1 or found[0] in alone, (name, n, found)
        for x in rows:
            assert any(x in p for p in pages), (name, x)
        assert sum("主要领导审核：" in p for p in pages) == len(labels), name
