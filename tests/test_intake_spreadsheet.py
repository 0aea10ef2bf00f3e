"""reporting.documents.sniff / spreadsheet / sheet_xml: format by content, refusals with their messages, and what is read
beside the values (formulas, hidden rows, percent formats, merges, identification)."""

from __future__ import annotations

import datetime as dt
import re
import zipfile

import openpyxl
import pytest
from openpyxl.packaging.custom import StringProperty
from openpyxl.workbook.defined_name import DefinedName
from test_intake_support import rezip

from reporting.core.exceptions import UnreadableFileError
from reporting.documents.cells import cell_ref, col_letter, parse_ref
from reporting.documents.sheet_xml import scan_sheet_xml
from reporting.documents.sniff import Limits
from reporting.documents.spreadsheet import read_workbook


@pytest.fixture
def book_path(tmp_path):
    """A workbook with every feature intake looks at."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "牵头任务"
    ws["A1"] = "标题"
    ws.merge_cells("A1:D1")
    ws["B3"] = "文字"
    ws["C3"] = 0.8
    ws["C3"].number_format = "0%"
    ws["D3"] = 0.25
    ws["D3"].number_format = '0.0"%"'  # a literal % sign: not a percentage format
    ws["E3"] = "=1+2"
    ws["F3"] = dt.date(2024, 3, 1)
    ws["G3"] = 12
    ws.row_dimensions[4].hidden = True
    ws["A4"] = "隐藏行"
    hidden = wb.create_sheet("表单标识")
    hidden.sheet_state = "hidden"
    hidden["A1"] = "unit"
    very = wb.create_sheet("很隐藏")
    very.sheet_state = "veryHidden"
    wb.custom_doc_props.append(StringProperty(name="duban_unit", value="区发改委"))
    wb.defined_names["DUBAN_FORM_ID"] = DefinedName(
        "DUBAN_FORM_ID", attr_text='"DUBAN|1|2024Q1|x|y|区发改委"'
    )
    path = tmp_path / "book.xlsx"
    wb.save(path)
    return path


def test_values_and_side_information(book_path):
    book = read_workbook(book_path)
    assert book.format == "xlsx" and not book.has_macros
    assert [(s.name, s.visibility) for s in book.sheets] == [
        ("牵头任务", "visible"),
        ("表单标识", "hidden"),
        ("很隐藏", "veryhidden"),
    ]
    ws = book.sheet("牵头任务")
    assert ws.cell("B3") == "文字" and ws.value(2, 2) == 0.8 and ws.cell("G3") == 12
    assert ws.cell("F3") == dt.date(2024, 3, 1)
    assert ws.cell("E3") == "" and ws.formulas == {
        parse_ref("E3"): "1+2"
    }  # no cached value, never evaluated
    assert ws.is_percent(*parse_ref("C3")) is True and ws.is_percent(*parse_ref("D3")) is False
    assert ws.hidden_rows == {3}
    assert (
        ws.merged == [(0, 0, 0, 3)]
        and ws.merged_at(0, 2) == (0, 0, 0, 3)
        and ws.merged_at(2, 2) is None
    )
    assert ws.text(2, 6) == "12" and ws.value(99, 99) == ""
    assert book.properties == {"duban_unit": "区发改委"}
    assert book.defined_names["DUBAN_FORM_ID"] == '"DUBAN|1|2024Q1|x|y|区发改委"'
    assert [s.name for s in book.visible_sheets] == ["牵头任务"]


def test_extension_does_not_decide_the_format(book_path, tmp_path):
    renamed = tmp_path / "book.xls"
    renamed.write_bytes(book_path.read_bytes())
    book = read_workbook(renamed)
    assert book.format == "xlsx" and book.sheet("牵头任务").cell("B3") == "文字"


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@pytest.mark.parametrize("prefix", ["", "x:"])
def test_cells_without_references_and_prefixed_xml_use_the_parser(prefix):
    ns = f'xmlns:x="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
    xml = (
        f"<{prefix}worksheet {ns}><{prefix}sheetData>"
        f'<{prefix}row r="1"><{prefix}c><{prefix}v>1</{prefix}v></{prefix}c>'
        f'<{prefix}c s="1"><{prefix}f>A1*2</{prefix}f><{prefix}v>2</{prefix}v></{prefix}c></{prefix}row>'
        f'<{prefix}row r="3" hidden="1"><{prefix}c t="inlineStr"><{prefix}is><{prefix}t>x</{prefix}t></{prefix}is></{prefix}c></{prefix}row>'
        f'</{prefix}sheetData><{prefix}mergeCells><{prefix}mergeCell ref="A1:B1"/></{prefix}mergeCells></{prefix}worksheet>'
    ).encode()
    info = scan_sheet_xml(xml, Limits(), {1})
    assert info.formulas == {(0, 1): "A1*2"}
    assert info.percent_cells == {(0, 1)}
    assert info.hidden_rows == {2}
    assert info.merged == [(0, 0, 0, 1)]
    assert not info.clipped
    assert scan_sheet_xml(xml, Limits(max_rows=2), set()).clipped


def test_far_away_cells_are_not_loaded(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "x"
    wb.active["XFD1048576"] = "far"
    path = tmp_path / "far.xlsx"
    wb.save(path)
    sheet = read_workbook(path).sheets[0]
    assert sheet.clipped and sheet.rows == []


def _plain_zip(path, members: dict[str, bytes]):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


@pytest.mark.parametrize(
    ("make", "limits", "code", "text"),
    [
        (
            lambda p: p.write_bytes(b"x" * 1572864),
            Limits(max_file_bytes=1048576),
            "too_large",
            "有 1.5 MB，超过 1 MB 的上限",
        ),
        (
            lambda p: _plain_zip(p, {"xl/workbook.xml": b"<a/>" * 400}),
            Limits(max_uncompressed_bytes=1000),
            "zip_bomb",
            "解压后有",
        ),
        (
            lambda p: _plain_zip(
                p, {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<a/>"}
            ),
            Limits(),
            "not_spreadsheet",
            "ODF 文字文档",
        ),
        (
            lambda p: _plain_zip(p, {"ppt/presentation.xml": b"<a/>"}),
            Limits(),
            "not_spreadsheet",
            "PowerPoint",
        ),
        (
            lambda p: _plain_zip(p, {"readme.txt": b"hello"}),
            Limits(),
            "not_spreadsheet",
            "zip 压缩包",
        ),
        (
            lambda p: p.write_bytes(
                b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
                + bytes(500)
                + "WordDocument".encode("utf-16-le")
            ),
            Limits(),
            "not_spreadsheet",
            "Word 97-2003 文档",
        ),
        (
            lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500)),
            Limits(),
            "not_spreadsheet",
            "其中没有工作簿",
        ),
        (
            lambda p: p.write_bytes(
                b'<?xml version="1.0"?><?mso-application progid="Excel.Sheet"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>'
            ),
            Limits(),
            "not_spreadsheet",
            "XML 电子表格 2003",
        ),
        (lambda p: p.write_bytes(b"{\\rtf1\\ansi hello}"), Limits(), "not_spreadsheet", "RTF 文档"),
        (
            lambda p: p.write_bytes(b"Rar!\x1a\x07\x00" + bytes(20)),
            Limits(),
            "not_spreadsheet",
            "RAR 压缩包",
        ),
        (
            lambda p: p.write_bytes(bytes(range(256)) * 4),
            Limits(),
            "not_spreadsheet",
            "无法识别文件类型",
        ),
    ],
)
def test_refusals(tmp_path, make, limits, code, text):
    path = tmp_path / "x.xlsx"
    make(path)
    with pytest.raises(UnreadableFileError) as exc:
        read_workbook(path, limits, name="收到的文件.xlsx")
    assert exc.value.code == code
    assert str(exc.value).startswith("收到的文件.xlsx ")
    assert text in str(exc.value)


def test_encrypted_zip_member_flag(book_path):
    data = bytearray(book_path.read_bytes())
    for m in re.finditer(rb"PK\x01\x02", bytes(data)):
        data[m.start() + 8] |= 0x1  # central directory: general purpose flag, bit 0 = encrypted
    book_path.write_bytes(bytes(data))
    with pytest.raises(UnreadableFileError) as exc:
        read_workbook(book_path)
    assert exc.value.code == "encrypted" and "设置了打开密码" in str(exc.value)


def test_dtd_in_custom_properties_is_refused(book_path):
    evil = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Properties>&e;</Properties>'
    rezip(book_path, {"docProps/custom.xml": evil})
    with pytest.raises(UnreadableFileError) as exc:
        read_workbook(book_path)
    assert exc.value.code == "bad_xml" and "被禁止的结构" in str(exc.value)


def test_missing_workbook_part_is_corrupt(book_path):
    rezip(
        book_path,
        {"xl/_rels/workbook.xml.rels": None, "xl/workbook.xml": None, "xl/workbook.bin": b"x"},
    )
    with pytest.raises(UnreadableFileError) as exc:
        read_workbook(book_path)
    assert exc.value.code == "corrupt" and "内容已损坏" in str(exc.value)


def test_references():
    assert [col_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]
    assert parse_ref("$H$7") == (6, 7) and cell_ref(6, 7) == "H7"
    with pytest.raises(ValueError):
        parse_ref("7H")
