"""xlsx_save writes a sheet's rows as text: every part of the file equals what openpyxl's
own writer gives for the same workbook (and sheets it cannot write fall back to openpyxl)."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

import openpyxl
import pytest
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.hyperlink import Hyperlink

from reporting.documents.xlsx_save import workbook_bytes


def _workbook(extra=None):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "表"
    ws.merge_cells("A1:D1")
    ws["A1"] = '标题 <&> "引号"'
    ws["A1"].font = Font(name="黑体", sz=16)
    ws.row_dimensions[1].height = 32
    ws.row_dimensions[7].height = 20  # a row with a height and no cells
    rows = [
        [1, " 前后有空格 ", 0.25, None],
        [2, "#N/A", 1e-7, "换行\n第二行\r"],
        [3, "", -3, "😀 \u2028"],
    ]
    for r, values in enumerate(rows, 3):
        for c, value in enumerate(values, 1):
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
            cell.alignment = Alignment(wrap_text=True)
            if c == 3:
                cell.number_format = "0.##"
    ws["D3"].fill = PatternFill("solid", fgColor="FFFCE4D6")
    ws["E3"] = "#REF!"  # an error code: not text
    ws["E4"].font = Font(name="宋体", sz=9)  # a cell with a style and no value
    ws["B4"].hyperlink = Hyperlink(ref="B4", location="'第二'!A1")
    second = wb.create_sheet("第二")
    second["A1"] = "=SUM(1,2)" if extra == "formula" else "无公式"
    if extra == "date":
        second["B2"] = datetime(2024, 4, 8, 17, 30)
    return wb


def _parts(data: bytes) -> dict[str, bytes]:
    z = zipfile.ZipFile(io.BytesIO(data))
    return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


@pytest.mark.parametrize("extra", [None, "formula", "date"])
def test_rows_as_text_equal_openpyxls_writer(extra):
    wb = _workbook(extra)
    buf = io.BytesIO()
    wb.save(buf)  # openpyxl's own writer
    want = _parts(buf.getvalue())
    got = _parts(workbook_bytes(_workbook(extra)))
    assert got.keys() == want.keys()
    for name in want:
        assert got[name] == want[name], name
    assert b"<hyperlinks>" in got["xl/worksheets/sheet1.xml"]
