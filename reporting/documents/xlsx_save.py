"""Saving a workbook reproducibly: the same content and time give the same bytes.

openpyxl's ``Workbook.save`` stamps ``modified`` with the wall clock; here the caller says
what time the document carries (the run's "now", or when its data was merged), and the file
is written to a temporary name in the same folder, then moved into place.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl.workbook.workbook import Workbook
from openpyxl.writer.excel import ExcelWriter

from reporting.core.fileutil import atomic_save


def save_workbook(wb: Workbook, target: Path | str, when: datetime | str) -> None:
    """Write ``wb`` atomically to ``target`` with created = modified = ``when``."""
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    stamp = when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when
    wb.properties.created = wb.properties.modified = stamp  # openpyxl writes naive as UTC

    from reporting.documents.docx_format import normalize_zip

    def write(tmp: Path) -> None:
        # openpyxl stamps every zip entry with the wall clock: fix the entry times too
        buf = io.BytesIO()
        with ZipFile(buf, "w", ZIP_DEFLATED, allowZip64=True) as archive:
            ExcelWriter(wb, archive).save()
        tmp.write_bytes(normalize_zip(buf.getvalue()))

    atomic_save(target, write)
