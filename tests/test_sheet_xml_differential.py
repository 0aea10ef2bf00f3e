"""The byte scan of sheet XML (``sheet_xml.byte_scan_sheet``) against the defused XML parser
(``sheet_xml.parse_sheet_xml``): for every .xlsx the intake tests meet — tests/data, forms
made by the project, returns filled and altered with openpyxl, hand-made workbooks with
formulas, hidden rows, percent formats, merges, custom properties and defined names, the
same written by hand as Excel writes it (shared formulas, inline strings, line breaks
between elements), and LibreOffice re-saves — both give the same facts for every sheet,
at every size limit. The hand-made workbook's facts are also checked against what the
test wrote."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from conftest import ROOT, office
from openpyxl.packaging.custom import StringProperty
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.formula import ArrayFormula
from test_intake_support import UNIT, col_of, edit, fill, make_forms, rezip, row_of, valid_answers

from jobs.app import create_app
from reporting.documents.cells import parse_ref
from reporting.documents.sheet_xml import (
    byte_scan_applies,
    byte_scan_sheet,
    parse_sheet_xml,
    percent_styles_of,
    sheet_parts,
)
from reporting.documents.sniff import Limits
from reporting.documents.spreadsheet import read_workbook
from reporting.forms import formspec as fs

DATA = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests" / "data").rglob("*.xlsx"))
UNITS = [UNIT, "长青乡", "区人社局"]
BIG = 10**6


@pytest.fixture(scope="module")
def workshop(tmp_path_factory):
    base = tmp_path_factory.mktemp("sheet_xml")
    app = create_app(ROOT / "config.toml", data_dir=base / "data", env={})
    return app, make_forms(app, UNITS), base


# -- the files ------------------------------------------------------------------------
def _form(unit):
    return lambda app, forms, base: forms[unit]


def _filled(app, forms, base) -> Path:
    return fill(forms[UNIT], base / "filled.xlsx", valid_answers(app, UNIT))


def _altered(app, forms, base) -> Path:
    """A filled return as units spoil it: a hidden row, answer cells merged over rows, a
    formula, a percent-formatted cell, a sheet of their own."""
    path = fill(forms[UNIT], base / "altered.xlsx", valid_answers(app, UNIT))
    first = row_of(app, UNIT, "lead", "8.1")

    def spoil(wb):
        ws = wb[fs.SHEET_LEAD]
        ws.row_dimensions[first + 1].hidden = True
        ws.merge_cells(f"{col_of('problems')}{first}:{col_of('problems')}{first + 1}")
        ws[f"{col_of('percent')}{first}"] = "=20+10"
        ws[f"{col_of('percent')}{first + 1}"] = 0.3
        ws[f"{col_of('percent')}{first + 1}"].number_format = "0%"
        wb.create_sheet("说明")["A1"] = "补充说明"

    return edit(path, spoil)


def _handmade(app, forms, base) -> Path:
    """Every fact the scan reads, written with openpyxl; ``HANDMADE`` says what it wrote."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "牵头任务"
    ws["A1"] = "标题"
    ws.merge_cells("A1:D1")
    ws.merge_cells("B10:B12")
    for r in range(2, 5):
        ws.cell(row=r, column=1, value=r)
    ws["B2"] = "=SUM(A2:A4)"
    ws["B3"] = '=IF(A2>1,"是","否")'
    ws["B4"] = '=A2&"元"&"<b>"'
    ws["B5"] = "='配合任务'!A1*2"
    ws["E1"] = ArrayFormula("E1", "=SUM(A2:A4*2)")
    for ref, fmt in (
        ("C2", "0%"),
        ("C3", "0.00%"),
        ("C4", "0.0%;[Red]-0.0%"),
        ("C5", '0"%"'),  # a literal % sign: not a percentage
        ("C6", "#,##0"),
    ):
        ws[ref] = 0.5
        ws[ref].number_format = fmt
    ws["C7"].number_format = "0%"  # formatted, empty
    ws.row_dimensions[6].hidden = True
    ws.row_dimensions[8].hidden = True  # hidden, no cells
    ws["AB40"] = "far"
    coop = wb.create_sheet("配合任务")
    coop["A1"] = 7
    coop.merge_cells("A3:C3")
    hidden = wb.create_sheet("表单标识")
    hidden.sheet_state = "hidden"
    hidden["A1"] = "unit"
    wb.custom_doc_props.append(StringProperty(name="duban_unit", value="区发改委"))
    wb.defined_names["DUBAN_FORM_ID"] = DefinedName("DUBAN_FORM_ID", attr_text='"DUBAN|1|x"')
    coop.defined_names["本表"] = DefinedName("本表", attr_text="'配合任务'!$A$1")
    path = base / "handmade.xlsx"
    wb.save(path)
    return path


HANDMADE = {
    "formulas": {
        "B2": "SUM(A2:A4)",
        "B3": 'IF(A2>1,"是","否")',
        "B4": 'A2&"元"&"<b>"',
        "B5": "'配合任务'!A1*2",
        "E1": "SUM(A2:A4*2)",
    },
    "percent": {"C2", "C3", "C4", "C7"},
    "hidden": {6, 8},  # 1-based
    "merged": [(0, 0, 0, 3), (9, 1, 11, 1)],
}


def _excel_written(app, forms, base) -> Path:
    """The hand-made workbook's first sheet as Excel writes it: shared formulas, inline
    strings, cells and rows on lines of their own."""
    path = base / "excel.xlsx"
    path.write_bytes(_handmade(app, forms, base).read_bytes())
    with zipfile.ZipFile(path) as zf:
        xml = zf.read("xl/worksheets/sheet1.xml").decode()
    percent_style = re.search(r'<c r="C2" s="(\d+)"', xml).group(1)  # as C2: 0%
    shared = (
        '<row r="20"><c r="A20"><f t="shared" ref="A20:A22" si="0">B2*2</f><v>2</v></c>'
        '<c r="B20" t="inlineStr"><is><t>行内</t></is></c></row>'
        '<row r="21" hidden="true"><c r="A21"><f t="shared" si="0"/><v>4</v></c></row>'
        f'<row r="22"><c r="A22" s="{percent_style}"><f t="shared" si="0"/><v>6</v></c></row>'
    )
    xml = re.sub(r'(<row r="40")', shared.replace("\\", r"\\") + r"\1", xml, count=1)
    xml = re.sub(r"(<row |<c |</row>|</sheetData>)", r"\n  \1", xml)
    return rezip(path, {"xl/worksheets/sheet1.xml": xml.encode()})


CASES = {
    **{f"form {u}": _form(u) for u in UNITS},
    "filled return": _filled,
    "altered return": _altered,
    "hand-made": _handmade,
    "as Excel writes": _excel_written,
}


def _resaved(case):
    def build(app, forms, base):
        from reporting.documents.office import convert

        src = CASES[case](app, forms, base)
        return convert(src, "xlsx", base / "lo" / case.replace(" ", "_"))

    return build


RESAVED = {f"LibreOffice re-save of the {c}": _resaved(c) for c in ("altered return", "hand-made")}


# -- the comparison -------------------------------------------------------------------
def _limits() -> list[Limits]:
    """The default limits and a range of small ones, so that the extent (``clipped``) of
    every sheet is compared on both sides of its edge, rows and columns apart."""
    out = [Limits()]
    for k in (1, 2, 3, 5, 8, 13, 20, 28, 40, 60):
        out += [Limits(max_rows=k, max_cols=BIG), Limits(max_rows=BIG, max_cols=k)]
    return out


def disagreements(path: Path) -> list[str]:
    """Every sheet, every limit where the byte scan and the parser differ; a sheet part the
    byte scan does not apply to is listed too (it would not be compared)."""
    out = []
    with zipfile.ZipFile(path) as zf:
        styles = percent_styles_of(zf)
        for name, part in sheet_parts(zf):
            assert part is not None, name
            data = zf.read(part)
            if not byte_scan_applies(data):
                out.append(f"{name}: 字节扫描不适用")
                continue
            for limits in _limits():
                scanned = byte_scan_sheet(data, limits, styles)
                parsed = parse_sheet_xml(data, limits, styles)
                if scanned != parsed:
                    out.append(f"{name} {limits}: {scanned} != {parsed}")
    return out


@pytest.mark.parametrize("rel", DATA)
def test_the_scan_agrees_with_the_parser_on_the_test_data(rel):
    assert disagreements(ROOT / rel) == []


@pytest.mark.parametrize("case", list(CASES))
def test_the_scan_agrees_with_the_parser_on_generated_files(workshop, case):
    assert disagreements(CASES[case](*workshop)) == []


@office
@pytest.mark.slow
@pytest.mark.parametrize("case", list(RESAVED))
def test_the_scan_agrees_with_the_parser_on_libreoffice_resaves(workshop, case):
    path = RESAVED[case](*workshop)
    assert disagreements(path) == []
    sheet = read_workbook(path).sheet("牵头任务")
    if case.endswith("hand-made"):
        # LibreOffice keeps the facts (it rewrites formula text and styles its own way)
        assert {r + 1 for r in sheet.hidden_rows} >= HANDMADE["hidden"]
        assert sorted(sheet.merged) == HANDMADE["merged"]


def test_the_facts_are_what_the_hand_made_workbook_holds(workshop):
    """Both readings against what the test wrote, not only against each other."""
    path = _excel_written(*workshop)
    with zipfile.ZipFile(path) as zf:
        styles = percent_styles_of(zf)
        data = zf.read(dict(sheet_parts(zf))["牵头任务"])
    wrote = {parse_ref(ref): text for ref, text in HANDMADE["formulas"].items()}
    wrote |= {(19, 0): "B2*2", (20, 0): "(共享公式)", (21, 0): "(共享公式)"}
    percent = {parse_ref(ref) for ref in HANDMADE["percent"]} | {(21, 0)}
    hidden = {r - 1 for r in HANDMADE["hidden"]} | {20}
    for facts in (byte_scan_sheet(data, Limits(), styles), parse_sheet_xml(data, Limits(), styles)):
        assert facts.formulas == wrote
        assert facts.percent_cells == percent
        assert facts.hidden_rows == hidden
        assert facts.merged == HANDMADE["merged"]
        assert not facts.clipped
    # the extent: AB40 is the farthest cell with a value
    assert byte_scan_sheet(data, Limits(max_rows=39), styles).clipped
    assert not byte_scan_sheet(data, Limits(max_rows=40, max_cols=28), styles).clipped
    assert byte_scan_sheet(data, Limits(max_cols=27), styles).clipped
    book = read_workbook(path)
    assert book.properties == {"duban_unit": "区发改委"}
    assert book.defined_names == {
        "DUBAN_FORM_ID": '"DUBAN|1|x"',
        "配合任务!本表": "'配合任务'!$A$1",
    }
