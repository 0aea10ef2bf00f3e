"""Small file helpers: atomic writes, safe file names, safe spreadsheet text."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import zlib
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zipfile import ZIP64_LIMIT, ZIP_DEFLATED, ZipFile, ZipInfo

from reporting.core.exceptions import OutputError

_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
# XML 1.0 forbids these control characters (same set as openpyxl's ILLEGAL_CHARACTERS_RE)
# plus what a reader cannot see but a renderer obeys: zero-width characters and bidi
# controls (U+202E turns "进度80%" into a reversed line in every document that quotes it)
_ILLEGAL_XML = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]"
)
_FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r")


def safe_filename(name: str, limit: int = 80) -> str:
    """A name every file system and office program accepts: 区/某局 → 区_某局."""
    cleaned = _UNSAFE_NAME.sub("_", name).strip(" .")
    return (cleaned or "_")[:limit]


def clean_text(value: str) -> str:
    """Remove characters that cannot be stored in XML, and invisible or bidi controls."""
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


TEMP_PREFIX = ".tmp-"  # + "<pid>-<random><suffix>": the writer's pid says when it is stale
_TEMP_NAME = re.compile(r"^\.tmp-(\d+)-")
_cleaned: set[Path] = set()  # folders whose leftovers this process already removed


class SyncLater:
    """New files made durable together: written (and renamed into place) one by one, then
    ``sync`` flushes each file and each of their folders once, before whatever depends on
    them is committed (the ledger batch that records them). One fsync per file still, but
    issued after the batch is written, not between every two files, and several at a time
    (the file system commits them together). Only for files that are new and whose loss
    before ``sync`` the caller recovers from (an archive copy is made again from the inbox
    file its unrecorded return still has)."""

    THREADS = 8  # fsyncs in flight at once

    def __init__(self) -> None:
        self._files: list[str] = []
        self._folders: dict[str, None] = {}
        self.written: set[str] = set()  # by this process: whole whether synced yet or not

    def add(self, path: Path) -> None:
        name = os.fspath(path)
        self._files.append(name)
        self._folders[os.path.dirname(name)] = None
        self.written.add(name)

    def sync(self) -> None:
        files, folders = self._files, list(self._folders)
        self._files, self._folders = [], {}
        if not files:
            return
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(min(self.THREADS, len(files))) as pool:
            failed = [f for f in pool.map(_try_fsync, files) if f is not None]
            if failed:
                raise OutputError.of(*failed[0])
            list(pool.map(_fsync_dir, folders))


def _try_fsync(name: str) -> tuple[str, OSError] | None:
    try:
        _fsync(name)
    except OSError as exc:
        return name, exc
    return None


@contextmanager
def atomic_path(target: Path | str, later: SyncLater | None = None):
    """Yield a temporary path beside ``target``; it replaces ``target`` only on success.

    The temporary file lives in the target's own folder (``os.replace`` is atomic only
    within one file system), is created with mode 0666 so the process umask decides who
    may read the result (``mkstemp`` would give 0600), and is flushed to disk before the
    rename: after a crash or a full disk the previous file is still there, whole.
    An ``OSError`` while writing (disk full, no permission) becomes ``OutputError``;
    one about another file (a source that vanished) passes through unchanged.
    ``later``: flushed with its batch (``SyncLater.sync``) instead of here; a file it
    replaces is still flushed before the rename, so the old one stays whole until then.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        clean_temp_files(target.parent)
        tmp = _create_temp(target)
    except OSError as exc:
        raise OutputError.of(target, exc) from None
    try:
        yield tmp
        if later is None or os.path.lexists(target):
            _fsync(tmp)
        os.replace(tmp, target)
        if later is None:
            _fsync_dir(target.parent)
        else:
            later.add(target)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and _about(exc, tmp, target):
            raise OutputError.of(target, exc) from None
        raise


def create_file(path: Path | str) -> None:
    """Create an empty ``path`` (if missing) with mode 0666 less the umask, as every file duban
    writes: SQLite alone would make its database 0644 whatever the umask, so a second clerk
    of the office's group could not write the ledger."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except FileExistsError:
        pass


def _about(exc: OSError, *paths: Path) -> bool:
    """Whether ``exc`` is about writing one of ``paths`` (not e.g. reading the source)."""
    named = {str(n) for n in (exc.filename, exc.filename2) if n is not None}
    return not named or bool(named & {str(p) for p in paths})


def _create_temp(target: Path) -> Path:
    for _ in range(100):
        tmp = target.parent / f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}{target.suffix}"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(f"no free temporary name beside {target}")


def _fsync(path: Path | str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path | str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a directory; the rename itself is done
    finally:
        os.close(fd)


def clean_temp_files(folder: Path | str) -> list[Path]:
    """Remove temporary files a killed duban process left in ``folder`` (once per process).

    A temporary name carries its writer's pid: it is stale when that process is gone.
    """
    folder = Path(folder)
    if folder in _cleaned:
        return []
    _cleaned.add(folder)
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        found = _TEMP_NAME.match(entry.name)
        if found is None or not entry.is_file(follow_symlinks=False):
            continue
        if _alive(int(found.group(1))):
            continue
        try:
            os.unlink(entry.path)
        except OSError:
            continue
        removed.append(Path(entry.path))
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def atomic_write_bytes(target: Path | str, data: bytes, later: SyncLater | None = None) -> None:
    with atomic_path(target, later) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(target: Path | str, text: str, later: SyncLater | None = None) -> None:
    atomic_write_bytes(target, text.encode("utf-8"), later)


def atomic_save(
    target: Path | str, save: Callable[[Path], None], later: SyncLater | None = None
) -> None:
    """Call ``save(tmp_path)`` (e.g. ``workbook.save``) and move the result into place."""
    with atomic_path(target, later) as tmp:
        save(tmp)


ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # every entry of a written .docx/.xlsx: no wall clock


_DEFLATED: dict[bytes, tuple[int, bytes]] = {}  # a repeated member's data → (CRC, deflated)
_DEFLATED_MAX = 64


class FixedTimeZip(ZipFile):
    """A zip whose entries are all deflated, dated ``ZIP_TIME`` and mode 0644, so equal
    content gives equal bytes (zipfile and openpyxl stamp entries with the wall clock).

    An entry is written whole, as ``ZipFile.writestr`` writes it to a seekable file (the
    same bytes, without its per-entry write handle); ``repeated``: data most archives of
    a run hold (a theme, styles), deflated once per process."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        self.write_member(getattr(zinfo_or_arcname, "filename", zinfo_or_arcname), data)

    def write_member(self, name: str, data: bytes | str, repeated: bool = False) -> None:
        if isinstance(data, str):
            data = data.encode("utf-8")
        fixed = ZipInfo(name, date_time=ZIP_TIME)
        fixed.compress_type = ZIP_DEFLATED
        fixed.external_attr = 0o644 << 16
        me: Any = self  # zipfile's internals, as its writestr uses them (3.11 to 3.13)
        plain = not (me.fp and getattr(me, "_seekable", False)) or getattr(me, "_writing", True)
        if plain or len(data) * 1.05 > ZIP64_LIMIT:  # zipfile's errors, data descriptor, zip64
            super().writestr(fixed, data)
            return
        packed = _DEFLATED.get(data) if repeated else None
        if packed is None:
            deflate = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
            packed = (zlib.crc32(data), deflate.compress(data) + deflate.flush())
            if repeated:
                if len(_DEFLATED) >= _DEFLATED_MAX:
                    _DEFLATED.clear()
                _DEFLATED[data] = packed
        fixed.CRC, deflated = packed
        fixed.file_size, fixed.compress_size = len(data), len(deflated)
        fixed.flag_bits = 0
        with me._lock:
            me.fp.seek(me.start_dir)
            fixed.header_offset = me.start_dir
            me._writecheck(fixed)
            me._didModify = True
            me.fp.write(fixed.FileHeader(False))
            me.fp.write(deflated)
            me.start_dir = me.fp.tell()
            me.filelist.append(fixed)
            me.NameToInfo[name] = fixed
