"""Saving a workbook reproducibly: the same content and time give the same bytes.

openpyxl's ``Workbook.save`` stamps ``modified`` with the wall clock; here the caller says
what time the document carries (the run's "now", or when its data was merged), and the file
is written to a temporary name in the same folder, then moved into place.

The archive is built in memory with fixed entry times (``fileutil.FixedTimeZip``, the
same bytes ``normalize_zip`` gives): openpyxl's own writer puts every sheet through a
temporary file and stamps entries with the wall clock, which cost a third of a form's build.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from zipfile import ZIP_DEFLATED

from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter

from reporting.core.fileutil import FixedTimeZip, atomic_save
from reporting.documents.xlsx_parts import escape


class _FastRowsWriter(WorksheetWriter):
    """openpyxl's worksheet writer with the rows written as text, the same bytes
    (``xlsx_direct.cell_xml``): lxml writing each cell as an element was most of a large
    sheet's cost. A sheet with anything else in its cells (formulas, dates,
    rich text, comments) is written by openpyxl itself."""

    def write_rows(self):
        data = _sheet_data(self.ws)
        if data is None:
            return super().write_rows()
        xf = self.xf.send(True)
        xf.flush()  # what lxml holds goes out before the rows
        self.out.write(data)
        self.xf.send(None)


def _sheet_data(ws) -> bytes | None:
    from collections import defaultdict

    from reporting.documents.xlsx_parts import cell_xml

    rows: dict[int, list] = defaultdict(list)
    for (row, _), cell in sorted(ws._cells.items()):
        rows[row].append(cell)
    for row in ws.row_dimensions.keys() - rows.keys():
        rows[row] = []
    dims = ws.row_dimensions
    parts = ["<sheetData>"]
    for row, cells in sorted(rows.items()):
        attrs = {"r": f"{row}"}
        attrs.update(dims.get(row, {}))
        parts.append("<row" + "".join(f' {k}="{_attr(v)}"' for k, v in attrs.items()))
        parts.append(">")
        for cell in cells:
            if cell._comment is not None:
                return None
            value, kind = cell._value, cell.data_type
            if value is None and not cell.has_style:
                continue
            if not (
                (kind in ("s", "e") and type(value) is str)
                or (kind == "n" and (value is None or type(value) in (int, float)))
            ):
                return None
            s = f' s="{cell.style_id}"' if cell.has_style else ""
            if cell.hyperlink:
                ws._hyperlinks.append(cell.hyperlink)
            parts.append(cell_xml(cell.coordinate, s, value, kind))
        parts.append("</row>")
    parts.append("</sheetData>")
    return "".join(parts).encode("ascii")


def _attr(value: str) -> str:
    return escape(value).replace('"', "&quot;")


class _MemoryExcelWriter(ExcelWriter):
    """openpyxl's writer with each worksheet serialised to memory, not a temporary file."""

    def write_worksheet(self, ws):
        if self.workbook.write_only:
            return super().write_worksheet(ws)
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        out = io.BytesIO()
        writer = _FastRowsWriter(ws, out=out)
        writer.write()
        ws._rels = writer._rels
        self._archive.writestr(ws.path[1:], out.getvalue())
        self.manifest.append(ws)


def workbook_bytes(wb: Workbook) -> bytes:
    """The .xlsx bytes of ``wb`` with fixed zip entry times."""
    buf = io.BytesIO()
    with FixedTimeZip(buf, "w", ZIP_DEFLATED) as archive:
        _MemoryExcelWriter(wb, archive).save()
    return buf.getvalue()


def save_workbook(wb: Workbook, target: Path | str, when: datetime | str) -> None:
    """Write ``wb`` atomically to ``target`` with created = modified = ``when``."""
    from reporting.documents.xlsx_direct import document_time

    stamp = document_time(when)
    wb.properties.created = wb.properties.modified = stamp  # openpyxl writes naive as UTC
    data = workbook_bytes(wb)

    def write(tmp: Path) -> None:
        tmp.write_bytes(data)

    atomic_save(target, write)
