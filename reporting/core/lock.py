"""One writer at a time: an exclusive ``flock`` on a file that says who holds it.

``data_dir_lock(root, command=, started=, timeout=, backup=)`` is taken by every command that
writes the data dir or sends (forms, remind, collect, report, run, the scheduler's jobs …), so
the scheduler's hourly collect and a person's ``duban collect`` never interleave. A second
process waits up to ``timeout`` seconds, then gets a ``LockedError`` naming the holder. The
lock file's place is the workspace's (``Workspace.data_lock``); the backup taken before the
first write is the caller's callable, so the lock knows nothing of the ledger.

The kernel drops a ``flock`` when its process dies (even by SIGKILL), so a lock left by a
dead process is simply taken over (``previous_pid`` tells who left it). Within one process
the lock is re-entrant: ``duban run`` holds it and calls the steps, which take it again
(an ``flock`` on a second descriptor would wait for ourselves). Threads of one process
are serialised by an ``RLock`` beside it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reporting.core.exceptions import LockedError
from reporting.core.workspace import Workspace

try:  # POSIX; elsewhere there is no lock (duban's service runs on Linux)
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Holder:
    """What the lock file says about the process that holds (or last held) it."""

    pid: int
    command: str = ""
    started: str = ""

    def text(self) -> str:
        return f"pid {self.pid}，命令 {self.command or '（未知）'}，开始于 {self.started or '（未知）'}"


_registry_guard = threading.Lock()
_held: dict[str, _Held] = {}


@dataclass
class _Held:
    rlock: threading.RLock
    fd: int | None = None
    count: int = 0


def _entry(path: Path) -> _Held:
    key = os.path.realpath(path)
    with _registry_guard:
        entry = _held.get(key)
        if entry is None:
            entry = _held[key] = _Held(threading.RLock())
        return entry


class FileLock:
    """An exclusive ``flock`` on ``path``; the file holds pid, command and start time."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.previous_pid: int | None = None
        self._mine = 0  # how many times this object acquired it

    def holder(self) -> Holder | None:
        """Who the file names (the holder, or the last one if it was not released)."""
        try:
            lines = self.path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return None
        if not lines or not lines[0].strip().isdigit():
            return None
        rest = lines[1:] + ["", ""]
        return Holder(int(lines[0].strip()), rest[0].strip(), rest[1].strip())

    def acquire(self, timeout: float = 0.0, *, command: str = "", started: str = "") -> bool:
        """Take the lock, waiting up to ``timeout`` seconds; False if another process
        (or thread) holds it."""
        entry = _entry(self.path)
        start = time.monotonic()
        if timeout > 0:
            got = entry.rlock.acquire(timeout=timeout)
        else:
            got = entry.rlock.acquire(blocking=False)
        if not got:
            return False
        if entry.count:  # re-entered by the thread that holds it
            entry.count += 1
            self._mine += 1
            return True
        try:
            fd = self._open_locked(start + timeout)
        except BaseException:
            entry.rlock.release()  # a full disk or a folder not ours: nothing left held
            raise
        if fd is None:
            entry.rlock.release()
            return False
        previous = self.holder()
        self.previous_pid = (
            previous.pid if previous is not None and previous.pid != os.getpid() else None
        )
        text = f"{os.getpid()}\n{_one_line(command)}\n{_one_line(started)}\n"
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, text.encode("utf-8"), 0)
        except OSError:
            pass  # a full disk: the flock holds all the same, only its holder goes unnamed
        entry.fd, entry.count = fd, 1
        self._mine += 1
        return True

    def _open_locked(self, deadline: float) -> int | None:
        """The lock file's descriptor with the flock taken, or None when ``deadline`` passed."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # 0666: the umask decides, as for every other file (a shared office: umask 002)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        while fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    return None
                time.sleep(min(0.1, max(deadline - time.monotonic(), 0.01)))
        return fd

    def held_by(self) -> int | None:
        """The pid of the live process holding the lock, or None (without taking it)."""
        if fcntl is None or not self.path.exists():
            return None
        entry = _held.get(os.path.realpath(self.path))
        if entry is not None and entry.count:
            return os.getpid()
        fd = os.open(self.path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self.holder()
            return holder.pid if holder else -1
        finally:
            os.close(fd)  # closing drops a lock we may have taken
        return None

    def release(self) -> None:
        if not self._mine:
            return
        entry = _entry(self.path)
        self._mine -= 1
        entry.count -= 1
        if entry.count == 0 and entry.fd is not None:
            os.ftruncate(entry.fd, 0)  # an empty file: nobody holds it
            os.close(entry.fd)  # closing drops the flock
            entry.fd = None
        entry.rlock.release()


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


@contextmanager
def data_dir_lock(
    root: Path | str,
    *,
    command: str,
    started: datetime | str = "",
    timeout: float = 60.0,
    backup: Callable[[str], object] | None = None,
):
    """Hold the data dir's lock for the block; ``LockedError`` after ``timeout`` seconds.
    The outermost hold first calls ``backup(started)`` (a copy of the ledger before the
    command's first write: ``ledger.backup_before_write``)."""
    lock = FileLock(Workspace(Path(root)).data_lock)
    when = started.isoformat(timespec="seconds") if isinstance(started, datetime) else started
    if not lock.acquire(timeout, command=command, started=when):
        holder = lock.holder()
        raise LockedError(busy_message(holder))
    try:
        if backup is not None and _entry(lock.path).count == 1:  # the outermost hold
            backup(when)
        yield lock
    finally:
        lock.release()


def busy_message(holder: Holder | None) -> str:
    who = holder.text() if holder else "pid （未知），命令 （未知），开始于 （未知）"
    return f"另一个 duban 正在运行（{who}），请等它结束后再试"
