"""Small file helpers: atomic writes, safe file names, safe spreadsheet text."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
# XML 1.0 forbids these control characters (same set as openpyxl's ILLEGAL_CHARACTERS_RE)
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r")


def safe_filename(name: str, limit: int = 80) -> str:
    """A name every file system and office program accepts: 区/某局 → 区_某局."""
    cleaned = _UNSAFE_NAME.sub("_", name).strip(" .")
    return (cleaned or "_")[:limit]


def clean_text(value: str) -> str:
    """Remove characters that cannot be stored in XML."""
    return _ILLEGAL_XML.sub("", value)


def safe_cell_text(value: str) -> str:
    """Unit-supplied text for a spreadsheet cell: no illegal characters, no formula injection.

    A leading = + - @ tab or CR is prefixed with an apostrophe-like quote so that no
    office program evaluates it (OWASP CSV/formula injection advice).
    """
    text = clean_text(value)
    if text.startswith(_FORMULA_LEAD):
        text = "'" + text
    return text


def sha256_file(path: Path | str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@contextmanager
def atomic_path(target: Path | str):
    """Yield a temporary path beside ``target``; it replaces ``target`` only on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(target: Path | str, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(target: Path | str, text: str) -> None:
    atomic_write_bytes(target, text.encode("utf-8"))


def atomic_save(target: Path | str, save: Callable[[Path], None]) -> None:
    """Call ``save(tmp_path)`` (e.g. ``workbook.save``) and move the result into place."""
    with atomic_path(target) as tmp:
        save(tmp)


ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # every entry of a written .docx/.xlsx: no wall clock


class FixedTimeZip(ZipFile):
    """A zip whose entries are all deflated, dated ``ZIP_TIME`` and mode 0644, so equal
    content gives equal bytes (zipfile and openpyxl stamp entries with the wall clock)."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        name = getattr(zinfo_or_arcname, "filename", zinfo_or_arcname)
        fixed = ZipInfo(name, date_time=ZIP_TIME)
        fixed.compress_type = ZIP_DEFLATED
        fixed.external_attr = 0o644 << 16
        super().writestr(fixed, data)
