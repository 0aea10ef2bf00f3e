"""The inbox and the archive: which files under the inbox are returns, in received order,
and their unchanged copies under ``workspace.archive_dir`` (``ab/<sha256><ext>``), also of
the files taken out of saved mails (``archive_bytes``).
"""

from __future__ import annotations

import os
import re
import shutil
from datetime import datetime
from pathlib import Path

from reporting.core.fileutil import atomic_path, atomic_write_bytes, sha256_file

# files that are never returns: office lock/temp files, system files, unfinished downloads
_IGNORED_NAME = re.compile(
    r"^(~\$|\.~lock\.|\.)|^(thumbs\.db|desktop\.ini)$|\.(tmp|crdownload|part|download)$", re.I
)
_SUFFIX_RE = re.compile(r"^\.[a-z0-9]{1,5}$")


def scan_inbox(inbox: Path, ignored: list[str]) -> list[tuple[Path, str]]:
    """Files under ``inbox`` in received order (modification time, then name)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(inbox):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            path = Path(dirpath) / name
            source = path.relative_to(inbox).as_posix()
            if _IGNORED_NAME.search(name):
                ignored.append(source)
                continue
            try:
                st = path.stat()
            except OSError:
                continue
            if not path.is_file():
                continue
            found.append((st.st_mtime_ns, source, path))
    found.sort(key=lambda t: (t[0], t[1]))
    return [(path, source) for _, source, path in found]


def archive_file(src: Path, sha: str, archive_dir: Path) -> Path | None:
    """Copy ``src`` unchanged to ``archive_dir/ab/<sha><ext>``; None if it changed meanwhile."""
    dest = archive_path(archive_dir, sha, src.name)
    if dest.exists() and dest.stat().st_size == src.stat().st_size:
        return dest
    try:
        with atomic_path(dest) as tmp:
            shutil.copyfile(src, tmp)
            if sha256_file(tmp) != sha:
                raise _ChangedError
    except _ChangedError:
        return None
    return dest


def archive_bytes(data: bytes, sha: str, archive_dir: Path, name: str) -> Path:
    """Keep ``data`` (a file taken out of a mail) as ``archive_dir/ab/<sha><ext of name>``."""
    dest = archive_path(archive_dir, sha, name)
    if not (dest.exists() and dest.stat().st_size == len(data)):
        atomic_write_bytes(dest, data)
    return dest


def archive_path(archive_dir: Path, sha: str, name: str) -> Path:
    suffix = Path(name).suffix.lower()
    return archive_dir / sha[:2] / f"{sha}{suffix if _SUFFIX_RE.match(suffix) else '.bin'}"


class _ChangedError(Exception):
    """The inbox file changed between hashing and copying."""


def clean_stale_temp(archive_dir: Path, now: datetime, older_than: float = 3600) -> None:
    """Remove half-written archive copies left by a killed run (the rerun copies them again)."""
    cutoff = now.timestamp() - older_than
    for tmp in archive_dir.glob("*/.tmp-*"):
        try:
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()
        except OSError:
            pass
