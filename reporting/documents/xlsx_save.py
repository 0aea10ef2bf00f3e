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
from datetime import UTC, datetime
from pathlib import Path
from zipfile import ZIP_DEFLATED

from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter

from reporting.core.fileutil import FixedTimeZip, atomic_save


class _MemoryExcelWriter(ExcelWriter):
    """openpyxl's writer with each worksheet serialised to memory, not a temporary file."""

    def write_worksheet(self, ws):
        if self.workbook.write_only:
            return super().write_worksheet(ws)
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        out = io.BytesIO()
        writer = WorksheetWriter(ws, out=out)
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
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    stamp = when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when
    wb.properties.created = wb.properties.modified = stamp  # openpyxl writes naive as UTC
    data = workbook_bytes(wb)

    def write(tmp: Path) -> None:
        tmp.write_bytes(data)

    atomic_save(target, write)
