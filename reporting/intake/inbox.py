"""The inbox and the archive: which files under the inbox are returns, in received order,
and their unchanged copies under ``workspace.archive_dir`` (``ab/<sha256><ext>``), also of
the files taken out of saved mails (``archive_bytes``).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from reporting.core.fileutil import SyncLater, atomic_path, atomic_write_bytes, sha256_file

# files that are never returns: office lock/temp files, system files, unfinished downloads
_IGNORED_NAME = re.compile(
    r"^(~\$|\.~lock\.|\.)|^(thumbs\.db|desktop\.ini)$|\.(tmp|crdownload|part|download)$", re.I
)
_SUFFIX_RE = re.compile(r"^\.[a-z0-9]{1,5}$")


class Skipped(NamedTuple):
    """An inbox entry that was not taken in, and why (Chinese, for collect and status)."""

    source: str  # path under the inbox
    reason: str
    retry: bool  # unreadable now, may be fine later (a failure of the run), or left alone for good


_SPECIAL = {
    stat.S_IFIFO: "命名管道（FIFO）",
    stat.S_IFSOCK: "套接字",
    stat.S_IFCHR: "字符设备",
    stat.S_IFBLK: "块设备",
}


def scan_inbox(
    inbox: Path, ignored: list[str], skipped: list[Skipped] | None = None
) -> list[tuple[Path, str]]:
    """Regular files under ``inbox`` in received order (modification time, then name).

    Symbolic links are never followed (one to /etc/passwd must not be archived), special
    files never opened; these and folders or files that cannot be read are added to
    ``skipped`` with the reason, so that nothing is left out without a word.
    """
    skipped = skipped if skipped is not None else []
    found = []

    def source_of(path: Path | str) -> str:
        return Path(path).relative_to(inbox).as_posix()

    def unreadable_dir(exc: OSError) -> None:
        if exc.filename is None or Path(exc.filename) == inbox and not inbox.exists():
            return
        why = exc.strerror or type(exc).__name__
        skipped.append(
            Skipped(
                source_of(exc.filename) + "/",
                f"文件夹无法读取（{why}），其中的文件都没有处理；请检查权限（或缩短过长的路径），"
                "下次运行时会重试",
                True,
            )
        )

    for dirpath, dirnames, filenames in os.walk(inbox, onerror=unreadable_dir):
        for name in sorted(dirnames):
            if _is_link(Path(dirpath) / name):
                filenames.append(name)  # reported below as a link, never entered
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and not _is_link(Path(dirpath) / d)
        )
        for name in filenames:
            path = Path(dirpath) / name
            source = source_of(path)
            try:
                st = path.lstat()
            except OSError as exc:
                skipped.append(
                    Skipped(
                        source,
                        f"无法读取（{exc.strerror or exc}），请检查文件权限，下次运行时会重试",
                        True,
                    )
                )
                continue
            if stat.S_ISLNK(st.st_mode):
                skipped.append(Skipped(source, _link_reason(path), False))
                continue
            if _IGNORED_NAME.search(name):
                ignored.append(source)
                continue
            if not stat.S_ISREG(st.st_mode):
                kind = _SPECIAL.get(stat.S_IFMT(st.st_mode), "特殊文件")
                skipped.append(
                    Skipped(
                        source,
                        f"不是普通文件（{kind}），未读取；报表请以普通文件放入收件目录",
                        False,
                    )
                )
                continue
            found.append((st.st_mtime_ns, source, path))
    found.sort(key=lambda t: (t[0], t[1]))
    return [(path, source) for _, source, path in found]


def _is_link(path: Path) -> bool:
    try:
        return path.is_symlink()
    except OSError:  # e.g. a path too long: listing it fails and is reported then
        return False


def _link_reason(path: Path) -> str:
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    return (
        f"是符号链接（指向 {target}），为安全起见不跟随、不归档；"
        "请把文件本身（而不是链接或快捷方式）放入收件目录"
    )


def inbox_skips(inbox: Path) -> list[Skipped]:
    """What ``scan_inbox`` would leave out of ``inbox`` now (for ``duban status``)."""
    skipped: list[Skipped] = []
    if inbox.is_dir():
        scan_inbox(inbox, [], skipped)
    return skipped


def archive_file(
    src: Path, sha: str, archive_dir: Path, later: SyncLater | None = None
) -> Path | None:
    """Copy ``src`` unchanged to ``archive_dir/ab/<sha><ext>``; None if it changed meanwhile.
    ``later``: made durable with its batch (``fileutil.SyncLater``)."""
    dest = archive_path(archive_dir, sha, src.name)
    if _kept(dest, src.stat().st_size, later, lambda: sha256_file(dest) == sha):
        return dest
    try:
        with atomic_path(dest, later) as tmp:
            shutil.copyfile(src, tmp)
            if sha256_file(tmp) != sha:
                raise _ChangedError
    except _ChangedError:
        return None
    return dest


def archive_bytes(
    data: bytes, sha: str, archive_dir: Path, name: str, later: SyncLater | None = None
) -> Path:
    """Keep ``data`` (a file taken out of a mail) as ``archive_dir/ab/<sha><ext of name>``."""
    dest = archive_path(archive_dir, sha, name)
    if not _kept(dest, len(data), later, lambda: dest.read_bytes() == data):
        atomic_write_bytes(dest, data, later)
    return dest


def _kept(dest: Path, size: int, later: SyncLater | None, whole: Callable[[], bool]) -> bool:
    """Whether the archive holds ``dest`` already. A copy of a batch that a crash cut
    short (renamed, never synced: ``fileutil.SyncLater``) may have its size but not its
    bytes, so one this process did not write is read before it is trusted."""
    if not (dest.exists() and dest.stat().st_size == size):
        return False
    return (later is not None and os.fspath(dest) in later.written) or whole()


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


_OUTPUT_NAMES = {"merged.json", "ledger.sqlite", "汇总表.xlsx"}  # files only duban writes
_OUTPUT_DIRS = {"forms", "report", "archive", "backups", "reminders", "bulletin"}
BLANK_FORM = (
    "这是本办下发的空白表单（没有填写），未作为报送处理；如是单位误发，请联系该单位重新填报"
)


def inbox_refusal(inbox: Path, workspace, period) -> str | None:
    """Why ``inbox`` cannot be an inbox (None when it can): the data dir itself or a folder
    above it, a folder of duban's own inside it (the period folder, forms, reports …), or a
    folder holding duban's outputs (a copy of a period folder). Taking those in would record
    duban's blank forms and reports as rejected returns and mail 退回通知 for them."""
    here, root = inbox.resolve(), workspace.root.resolve()
    if here == root or root.is_relative_to(here):
        return "它包含 duban 的数据目录"
    if here.is_relative_to(root):
        inboxes = [workspace.inbox_dir(p).resolve() for p in _periods(workspace, period)]
        if not any(here.is_relative_to(i) for i in inboxes):
            return "它是 duban 数据目录里存放表单、报告等输出的文件夹"
    for dirpath, dirnames, filenames in _walk(here, depth=2):
        found = _OUTPUT_NAMES.intersection(filenames) or _OUTPUT_DIRS.intersection(dirnames)
        if found:
            where = Path(dirpath).relative_to(here) / sorted(found)[0]
            return f"其中有 duban 自己生成的文件（{where.as_posix()}），像是报告期文件夹的副本"
    return None


def _periods(workspace, period) -> list:
    from reporting.core.periods import Period

    out = [period]
    for d in workspace.period_dirs():
        try:
            out.append(Period.parse(d.name))
        except Exception:  # noqa: BLE001 - a folder that is no period: not an inbox either
            continue
    return out


def _walk(top: Path, depth: int):
    base = len(top.parts)
    for dirpath, dirnames, filenames in os.walk(top):
        if len(Path(dirpath).parts) - base >= depth:
            dirnames[:] = []
        yield dirpath, dirnames, filenames


def blank_forms(workspace, period) -> set[str]:
    """SHA-256 of the period's forms as duban wrote them: one found in the inbox is a blank
    form of ours, never a unit's return."""
    return hashes_of(workspace.forms_dir(period))


def hashes_of(folder: Path) -> set[str]:
    """SHA-256 of the .xlsx files in ``folder`` (none when it does not exist)."""
    from reporting.core.fileutil import sha256_file

    out = set()
    if folder.is_dir():
        for path in folder.glob("*.xlsx"):
            try:
                out.add(sha256_file(path))
            except OSError:
                continue
    return out


def hand_over_copy(path: Path, inbox: Path, came_to: str, received) -> Path:
    """A copy of ``path`` (a file or a saved mail) in another period's ``inbox``, under
    ``转自<period>/``, named by content (a rerun finds it there), its file time ``received``."""
    import shutil

    from reporting.core.fileutil import atomic_path, sha256_file

    folder = inbox / f"转自{came_to}"
    dest = folder / f"{sha256_file(path)[:16]}{path.suffix or '.bin'}"
    if not dest.exists():
        with atomic_path(dest) as tmp:
            shutil.copyfile(path, tmp)
        stamp = received.timestamp()
        os.utime(dest, (stamp, stamp))
    return dest


def write_set_aside(path: Path, items: list[tuple[str, str]]) -> None:
    """The files a collect set aside, for ``duban status`` (rewritten by every collect)."""
    import json

    from reporting.core.fileutil import atomic_write_bytes

    if not items and not path.exists():
        return
    data = [{"source": source, "reason": reason} for source, reason in items]
    atomic_write_bytes(path, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))


def read_set_aside(path: Path) -> list[dict]:
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [d for d in data if isinstance(d, dict) and "source" in d and "reason" in d]
